"""The one exception type the CLI turns into a message and an exit code."""


class CliError(Exception):
    """A user-facing failure: printed as `error: <message>` on stderr, never as a traceback."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
