"""Every benchmark in one run: ``python -m bench``.

    .venv/bin/python -m bench                  # full sizes (an hour or more on 2 cores)
    .venv/bin/python -m bench --quick          # small sizes, to check that everything runs
    .venv/bin/python -m bench --quick --only broker,engine
    .venv/bin/python -m bench plot  bench/plots/results.json    # redraw the plots
    .venv/bin/python -m bench report bench/plots/results.json   # rewrite RESULTS.md's section

1. Probe the peers (PySpark, DuckDB, Tansu, Quix Streams, Apache Kafka): the ones that cannot
   run here are left out, with the reason.
2. Run each benchmark as a subprocess with a time limit (``bench/suite_runner.py``); one that
   fails or times out is reported and the others still run.
3. Write the run's JSON (``bench/results/suite-<time>/suite.json``, and a copy next to the
   plots), draw the plots (``bench/plots/*.png``) and rewrite the generated section of
   ``bench/RESULTS.md`` (ratios against every peer measured in the run, command, date, commit
   and load average).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from bench import suite, suite_report, suite_runner

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_MD = BENCH_DIR / "RESULTS.md"
PLOTS_DIR = BENCH_DIR / "plots"
RESULTS_DIR = BENCH_DIR / "results"


def _names(text: str | None) -> list[str] | None:
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", nargs="?", default="run", choices=("run", "plot", "report"))
    parser.add_argument("results", nargs="?", type=Path, help="a suite.json (plot, report)")
    parser.add_argument("--quick", action="store_true", help="small sizes, a few minutes each")
    names = ", ".join(b.name for b in suite.BENCHMARKS)
    parser.add_argument("--only", default=None, help=f"comma-separated, from: {names}")
    parser.add_argument("--skip", default=None, help="comma-separated benchmarks to leave out")
    parser.add_argument("--results-md", type=Path, default=RESULTS_MD)
    parser.add_argument("--plots-dir", type=Path, default=PLOTS_DIR)
    parser.add_argument("--out-dir", type=Path, default=None, help="per-benchmark JSON and logs")
    args = parser.parse_args(argv)
    if args.action != "run" and args.results is None:
        parser.error(f"{args.action} needs the results JSON of a run")
    try:
        args.benchmarks = suite.select(_names(args.only), _names(args.skip))
    except ValueError as exc:
        parser.error(str(exc))
    return args


def draw_plots(document: dict[str, Any], plots_dir: Path, console: Console) -> dict[str, Path]:
    try:
        from bench import plots

        written = plots.draw(document, plots_dir)
    except ImportError as exc:
        console.print(f"[yellow]no plots: {exc} (pip install matplotlib, or the bench extra)[/]")
        return {}
    console.print(f"{len(written)} plots written to {plots_dir}")
    return written


def report(document: dict[str, Any], args: argparse.Namespace, console: Console) -> None:
    """Plots, then the generated section of RESULTS.md linking them."""
    written = draw_plots(document, args.plots_dir, console)
    base = args.results_md.resolve().parent
    links = {key: os.path.relpath(path.resolve(), base) for key, path in written.items()}
    args.results_md.parent.mkdir(parents=True, exist_ok=True)
    suite_report.write_section(args.results_md, suite_report.render(document, links))
    console.print(f"section written to {args.results_md}")


def run(args: argparse.Namespace, argv: list[str], console: Console) -> dict[str, Any]:
    wanted = {peer for b in args.benchmarks for peer in b.peers}
    with console.status("probing the peers"):
        peers = suite.probe_peers(wanted)
    for name, peer in peers.items():
        colour = "green" if peer.available else "yellow"
        console.print(f"[{colour}]{suite.PEER_NAMES.get(name, name)}[/]: {peer.describe()}")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out_dir = args.out_dir or RESULTS_DIR / f"suite-{stamp}"
    command = " ".join(["python -m bench", *argv])
    document = suite_runner.run_suite(args.benchmarks, args.quick, peers, out_dir, command, console)
    text = json.dumps(document, indent=2, default=str) + "\n"
    (out_dir / "suite.json").write_text(text)
    args.plots_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(out_dir / "suite.json", args.plots_dir / "results.json")
    console.print(f"results: {out_dir / 'suite.json'} (copied to {args.plots_dir}/results.json)")
    return document


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    console = Console()
    if args.action == "plot":
        draw_plots(json.loads(args.results.read_text()), args.plots_dir, console)
        return 0
    if args.action == "report":
        report(json.loads(args.results.read_text()), args, console)
        return 0
    document = run(args, argv, console)
    report(document, args, console)
    failed = [b["name"] for b in document["benchmarks"] if b["status"] != "ok"]
    if failed:
        console.print(f"[yellow]not ok: {', '.join(failed)} (see the section and the logs)[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
