"""Batch read benchmark: kaspar against PySpark local[2] and plain DuckDB SQL, in one run.

    .venv/bin/python -m bench.read [--rows 5000000] [--runs 3]
        [--engines kaspar,pyspark,duckdb] [--formats json,csv] [--json-out PATH]

1. Generate the order files once (`bench/read_scenarios.py`: NDJSON and CSV, cached).
2. For each scenario (format x schema: strings/numbers only, with a timestamp, inferred), start
   one fresh worker process per engine (`bench/read_worker.py`; the engines' order rotates from
   one scenario to the next) that runs read + filter + groupBy once to warm up, then ``--runs``
   timed runs, and reports the warm-up's time (the cold first read), the median, its result's
   checksum and its peak memory (VmHWM of the process and its children, so PySpark's JVM
   counts).
3. Print rows/s per engine (from the median), kaspar's time over DuckDB's (the goal: at most
   1.5x), the first run's seconds per engine, PySpark's time over kaspar's, peak memory, and a
   warning for any result whose checksum differs between
   kaspar and PySpark (DuckDB infers JSON timestamps where Spark keeps strings, so it is not the
   reference); write the results as JSON.

The ``inferred`` scenarios infer the schema on the first read, reading every record as Spark
does; kaspar caches inferred schemas per process, keyed by the files' (path, size, mtime) and
the options (``kaspar.engine.sources.schema_cache``), so its timed runs re-read unchanged files
without inferring again (PySpark infers on every read; DuckDB samples, not infers from all rows).
The "first run s" columns show the cold reads, inference included.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from bench.checksums import checksums_agree
from bench.engine_runner import REPO_ROOT, worker_env
from bench.read_scenarios import FORMATS, SCENARIOS, Scenario, default_data_dir, orders_file
from bench.read_worker import MARKER

ENGINES = ("kaspar", "pyspark", "duckdb")
GOAL_VS_DUCKDB = 1.5  # kaspar's time / DuckDB's time, at most
WORKER_TIMEOUT_S = 1800
Results = dict[str, dict[str, dict[str, Any]]]


def run_worker(engine: str, scenario: Scenario, path: Path, runs: int, log: Path) -> dict[str, Any]:
    """One fresh worker process: warm-up + ``runs`` timed runs of one scenario on one engine."""
    command = [
        sys.executable,
        "-m",
        "bench.read_worker",
        *("--engine", engine, "--format", scenario.fmt, "--schema", scenario.schema),
        *("--path", str(path), "--runs", str(runs)),
    ]
    with log.open("a") as stderr:
        try:
            done = subprocess.run(
                command,
                cwd=REPO_ROOT,
                env=worker_env(),
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                timeout=WORKER_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {WORKER_TIMEOUT_S} s"}
    for line in done.stdout.splitlines():
        if line.startswith(MARKER):
            return dict(json.loads(line[len(MARKER) :]))
    return {"error": f"worker exited ({done.returncode}) without a result; see {log}"}


def run_all(args: argparse.Namespace, files: dict[str, Path], console: Console) -> Results:
    results: Results = {}
    scenarios = [s for s in SCENARIOS if s.fmt in args.formats]
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("scenarios", total=len(scenarios) * len(args.engines))
        for i, scenario in enumerate(scenarios):
            order = args.engines[i % len(args.engines) :] + args.engines[: i % len(args.engines)]
            for engine in order:
                progress.update(task, description=f"{scenario.name}: {engine}")
                log = args.log_dir / f"{engine}.log"
                reply = run_worker(engine, scenario, files[scenario.fmt], args.runs, log)
                if "runs" in reply:
                    reply["seconds"] = statistics.median(reply["runs"])
                    reply["rows_per_s"] = args.rows / reply["seconds"]
                results.setdefault(scenario.name, {})[engine] = reply
                progress.advance(task)
    return results


def check(results: Results) -> list[str]:
    """Warnings for results where kaspar's checksum differs from PySpark's."""
    warnings = []
    for name, by_engine in results.items():
        ours, theirs = by_engine.get("kaspar", {}), by_engine.get("pyspark", {})
        if "checksum" in ours and "checksum" in theirs:
            ours["agrees"] = checksums_agree(ours["checksum"], theirs["checksum"], abs_tol=1e-3)
            if not ours["agrees"]:
                warnings.append(f"{name}: kaspar {ours['checksum']} != {theirs['checksum']}")
    return warnings


def time_ratio(by_engine: dict[str, dict[str, Any]], a: str, b: str) -> float | None:
    ta, tb = by_engine.get(a, {}).get("seconds"), by_engine.get(b, {}).get("seconds")
    return ta / tb if ta and tb else None


def table(results: Results, engines: list[str], rows: int) -> Table:
    out = Table(title=f"{rows:,} rows: read + filter + groupBy", title_justify="left")
    out.add_column("scenario")
    for engine in engines:
        out.add_column(f"{engine} rows/s", justify="right")
    out.add_column("kaspar/duckdb time", justify="right")
    for engine in engines:
        out.add_column(f"{engine} first run s", justify="right")
    out.add_column("pyspark/kaspar time", justify="right")
    for engine in engines:
        out.add_column(f"{engine} peak MiB", justify="right")
    errors = []
    for name, by_engine in results.items():
        row = [name]
        for engine in engines:
            m = by_engine.get(engine, {})
            mark = "" if m.get("agrees", True) else " [red]≠[/]"
            row.append(f"{m['rows_per_s']:,.0f}{mark}" if "rows_per_s" in m else "-")
            if "error" in m:
                errors.append(f"{engine} {name}: {m['error'][:300]}")
        vs_duckdb = time_ratio(by_engine, "kaspar", "duckdb")
        color = "green" if vs_duckdb is not None and vs_duckdb <= GOAL_VS_DUCKDB else "red"
        row.append(f"[{color}]{vs_duckdb:.2f}x[/]" if vs_duckdb else "-")
        for engine in engines:
            first = by_engine.get(engine, {}).get("first_run")
            row.append(f"{first:.2f}" if first else "-")
        vs_pyspark = time_ratio(by_engine, "pyspark", "kaspar")
        row.append(f"{vs_pyspark:.1f}x" if vs_pyspark else "-")
        for engine in engines:
            peak = by_engine.get(engine, {}).get("peak_rss_mb")
            row.append(f"{peak:,.0f}" if peak else "-")
        out.add_row(*row)
    out.caption, out.caption_justify = "\n".join(errors) or None, "left"
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.read",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rows", type=int, default=5_000_000, help="orders per file")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after the warm-up")
    parser.add_argument("--engines", default=",".join(ENGINES), help="from: " + ", ".join(ENGINES))
    parser.add_argument("--formats", default=",".join(FORMATS), help="json, csv")
    parser.add_argument("--data-dir", type=Path, default=default_data_dir())
    parser.add_argument("--json-out", type=Path, default=None, help="results file")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    args.formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if unknown := set(args.engines) - set(ENGINES):
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))}; accepted: {ENGINES}")
    if unknown := set(args.formats) - set(FORMATS):
        parser.error(f"unknown format(s): {', '.join(sorted(unknown))}; accepted: {FORMATS}")
    args.log_dir = args.data_dir / "logs"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console()
    if not console.is_terminal:
        console.width = 160
    args.log_dir.mkdir(parents=True, exist_ok=True)
    with console.status(f"generating {args.rows:,}-row order files (cached)"):
        files = {f: orders_file(f, args.rows, args.data_dir) for f in args.formats}
    console.print(f"engines {', '.join(args.engines)}; worker logs in {args.log_dir}")
    results = run_all(args, files, console)
    for warning in check(results):
        console.print(f"[bold yellow]warning: results differ:[/] {warning}")
    console.print(table(results, args.engines, args.rows))
    worst = [
        r
        for by_engine in results.values()
        if (r := time_ratio(by_engine, "kaspar", "duckdb")) is not None
    ]
    console.print(
        f"worst kaspar/duckdb time: {max(worst, default=float('nan')):.2f}x (goal <= 1.5x)"
    )
    meta = {
        "benchmark": "read",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "rows": args.rows,
        "runs": args.runs,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "duckdb": duckdb.__version__,
    }
    out = (
        args.json_out
        or REPO_ROOT / "bench" / "results" / f"read-{time.strftime('%Y%m%d-%H%M%S')}.json"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"meta": meta, "results": results}, indent=2) + "\n")
    console.print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
