"""The `kaspar` command: a typer app, one module per command group (see `app.py`)."""
