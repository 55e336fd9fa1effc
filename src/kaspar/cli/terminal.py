"""The two rich consoles: records and tables go to stdout, status and errors to stderr."""

from rich.console import Console

stdout = Console(highlight=False)
stderr = Console(stderr=True, highlight=False)


def status(message: str) -> None:
    """Print a status line on stderr, so stdout stays clean for records."""
    stderr.print(message, soft_wrap=True)
