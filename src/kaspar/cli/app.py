"""The `kaspar` command: wires the command groups together and turns errors into messages."""

import os
import sys
from typing import Annotated

import typer
from confluent_kafka import KafkaException
from rich.markup import escape

from kaspar import __version__
from kaspar.cli.broker import broker
from kaspar.cli.connect import connect
from kaspar.cli.consume import consume
from kaspar.cli.demo import demo
from kaspar.cli.errors import CliError
from kaspar.cli.group import group_app
from kaspar.cli.ksql import ksql
from kaspar.cli.produce import produce
from kaspar.cli.registry import registry
from kaspar.cli.rest import rest
from kaspar.cli.terminal import stderr, stdout
from kaspar.cli.topic import topic_app
from kaspar.cli.up import up

app = typer.Typer(
    name="kaspar",
    help="Kafka and Spark in one pip install.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("broker")(broker)
app.add_typer(topic_app, name="topic")
app.add_typer(group_app, name="group")
app.command("produce")(produce)
app.command("consume")(consume)
app.command("demo")(demo)
app.command("up")(up)
app.command("registry")(registry)
app.command("rest")(rest)
app.command("connect")(connect)
app.command("ksql")(ksql)


def show_version(value: bool) -> None:
    """--version: print the version and exit."""
    if value:
        stdout.print(f"kaspar {__version__}")
        raise typer.Exit


@app.callback()
def kaspar(
    version: Annotated[
        bool,
        typer.Option("--version", callback=show_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Kafka and Spark in one pip install."""


def main() -> None:
    """Entry point of the `kaspar` command: no tracebacks for errors a user can fix."""
    try:
        app()
    except CliError as exc:
        stderr.print(f"[bold red]error:[/] {escape(exc.message)}", soft_wrap=True)
        sys.exit(exc.exit_code)
    except KafkaException as exc:
        stderr.print(f"[bold red]error:[/] {escape(exc.args[0].str())}", soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # The reader of stdout went away (`kaspar consume ... | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
