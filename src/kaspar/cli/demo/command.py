"""`kaspar demo`: the platform running three seed pipelines at once, shown live.

The options and the summary; the steps are in `run.py` (imported when the demo runs, so that
`kaspar --help` does not load the engine).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from kaspar.cli.errors import CliError
from kaspar.cli.terminal import stdout

DEFAULT_DURATION_S = 60.0


def demo(
    *,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            "-d",
            help="Where the broker, tables and checkpoints go (default: a new temp dir).",
        ),
    ] = None,
    duration: Annotated[
        float,
        typer.Option("--duration", min=0, help="Seconds the producers run; 0: until Ctrl-C."),
    ] = DEFAULT_DURATION_S,
    bootstrap_server: Annotated[
        str | None,
        typer.Option(
            "--bootstrap-server",
            "--bootstrap-servers",
            "-b",
            help="Use this running Kafka, not the embedded platform.",
        ),
    ] = None,
    summary_json: Annotated[
        Path | None,
        typer.Option("--summary-json", help="Also write the summary to this file, as JSON."),
    ] = None,
) -> None:
    """Orders → Delta totals, sensors → window averages, feedback → sentiment alerts, live."""
    from kaspar.cli.demo.run import DemoOptions, run_demo
    from kaspar.cli.demo.summary import print_summary

    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="kaspar-demo-"))
    options = DemoOptions(data_dir.resolve(), duration or None, bootstrap_server)
    summary = run_demo(options)
    print_summary(stdout, summary)
    if summary_json is not None:
        summary.write_json(summary_json)
    if not summary.ok:
        raise CliError("the pipelines' results differ from what was produced (see the checks)")
