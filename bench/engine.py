"""Engine benchmark: kaspar against PySpark local[2] and plain DuckDB SQL, same four queries.

    .venv/bin/python -m bench.engine [--quick] [--sizes 1000000,5000000]
        [--engines kaspar,pyspark,duckdb] [--json-out PATH]

1. Generate the JSON-lines event files once (`bench/engine_data.py`, cached in a temp folder).
2. Start one worker process per engine (`bench/engine_worker.py`) and send them requests round-robin
   (so load from elsewhere on the machine falls on every engine alike); run each
   query of `bench/engine_queries.py` on each file (parse JSON + filter + project, groupBy
   sum/count, 1-minute buckets, word count): one warm-up run, then the median of up to three
   timed runs within a per-query budget. kaspar and PySpark run the same DataFrame function;
   DuckDB runs equivalent hand-written SQL. Then the fixed overhead: `df.count()` on a 10-row
   DataFrame (median of 200) and a new small query (createDataFrame + filter + collect).
3. Print events/s, the ratios kaspar/pyspark and kaspar/duckdb, a warning for any result whose
   checksum (row count, sum of numbers, total characters) differs between engines, and write
   the results as JSON (`bench/compare.py` diffs two such files).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from rich.console import Console
from rich.table import Table

from bench import engine_data, engine_runner
from bench.checksums import checksums_agree
from bench.engine_queries import QUERIES
from bench.engine_runner import OVERHEADS, Results

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ENGINES = ("kaspar", "pyspark", "duckdb")
GOAL_VS_PYSPARK = 10.0
GOAL_VS_DUCKDB = 1 / 1.5
GOAL_COUNT_MS = 5.0


@dataclass(frozen=True)
class Plan:
    sizes: tuple[int, ...]
    budget_s: float  # per query and engine: no more timed runs once warm-up + runs pass this


REPEATS = 3
FULL = Plan((1_000_000, 5_000_000), budget_s=40.0)
QUICK = Plan((1_000_000,), budget_s=20.0)


def compare_checksums(results: Results) -> list[str]:
    """A warning per scenario where an engine's result checksum differs from the reference."""
    warnings = []
    for scenario, by_engine in results.items():
        sums = {e: m["checksum"] for e, m in by_engine.items() if "checksum" in m}
        if len(sums) < 2:
            continue
        reference = "duckdb" if "duckdb" in sums else next(iter(sums))
        for engine, summary in sums.items():
            agrees = checksums_agree(summary, sums[reference])
            by_engine[engine]["agrees"] = agrees
            if not agrees:
                warnings.append(
                    f"{scenario}: {engine} {summary} differs from {reference} {sums[reference]}"
                )
    return warnings


def ratio(results: Results, scenario: str, other: str) -> float | None:
    kaspar = results.get(scenario, {}).get("kaspar", {}).get("events_per_s")
    theirs = results.get(scenario, {}).get(other, {}).get("events_per_s")
    return kaspar / theirs if kaspar and theirs else None


def fmt_ratio(value: float | None, goal: float) -> str:
    if value is None:
        return "-"
    return f"[{'green' if value >= goal else 'red'}]{value:.2f}x[/]"


def size_table(results: Results, n: int, engines: list[str]) -> Table:
    errors = [
        f"{e} {q.name}: {results[f'{q.name} @ {n}'][e]['error'][:300]}"
        for q in QUERIES
        for e in engines
        if "error" in results.get(f"{q.name} @ {n}", {}).get(e, {})
    ]
    table = Table(title=f"{n:,} events (events/s, median)", title_justify="left")
    table.caption, table.caption_justify = "\n".join(errors) or None, "left"
    table.add_column("query")
    for engine in engines:
        table.add_column(engine, justify="right")
    table.add_column("kaspar/pyspark", justify="right")
    table.add_column("kaspar/duckdb", justify="right")
    for query in QUERIES:
        scenario = f"{query.name} @ {n}"
        by_engine = results.get(scenario, {})
        row = [query.name]
        for engine in engines:
            eps = by_engine.get(engine, {}).get("events_per_s")
            mark = "" if by_engine.get(engine, {}).get("agrees", True) else " [red]≠[/]"
            row.append(f"{eps:,.0f}{mark}" if eps else "-")
        row.append(fmt_ratio(ratio(results, scenario, "pyspark"), GOAL_VS_PYSPARK))
        row.append(fmt_ratio(ratio(results, scenario, "duckdb"), GOAL_VS_DUCKDB))
        table.add_row(*row)
    return table


def overhead_table(results: Results, engines: list[str]) -> Table:
    table = Table(title="fixed overhead (ms, median)", title_justify="left")
    table.add_column("probe")
    for engine in engines:
        table.add_column(engine, justify="right")
    for probe in OVERHEADS:
        by_engine = results.get(probe, {})
        values = [by_engine.get(e, {}).get("median_ms") for e in engines]
        table.add_row(probe, *(f"{v:.2f}" if v is not None else "-" for v in values))
    return table


def goals(results: Results, sizes: tuple[int, ...]) -> dict[str, Any]:
    """The issue's three goals, each with the worst case that decides it."""
    scenarios = [f"{q.name} @ {n}" for n in sizes for q in QUERIES]
    vs_pyspark = [r for s in scenarios if (r := ratio(results, s, "pyspark")) is not None]
    vs_duckdb = [r for s in scenarios if (r := ratio(results, s, "duckdb")) is not None]
    count_ms = results.get(OVERHEADS[0], {}).get("kaspar", {}).get("median_ms")
    return {
        "min kaspar/pyspark throughput (goal >= 10x)": min(vs_pyspark, default=None),
        "min kaspar/duckdb throughput (goal >= 0.67x)": min(vs_duckdb, default=None),
        "kaspar df.count() on 10 rows, ms (goal < 5)": count_ms,
        "met": bool(vs_pyspark and vs_duckdb and count_ms is not None)
        and min(vs_pyspark) >= GOAL_VS_PYSPARK
        and min(vs_duckdb) >= GOAL_VS_DUCKDB
        and count_ms < GOAL_COUNT_MS,
    }


def metadata(plan: Plan, args: argparse.Namespace) -> dict[str, Any]:
    import pyspark

    return {
        "benchmark": "engine",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": args.quick,
        "sizes": list(plan.sizes),
        "budget_s": plan.budget_s,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "duckdb": duckdb.__version__,
        "pyspark": pyspark.__version__,
        "repeats": REPEATS,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.engine",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="1M events, shorter budgets")
    parser.add_argument("--sizes", default=None, help="comma-separated event counts")
    parser.add_argument("--engines", default=",".join(ENGINES), help="from: " + ", ".join(ENGINES))
    parser.add_argument("--data-dir", type=Path, default=engine_data.default_data_dir())
    parser.add_argument("--json-out", type=Path, default=None, help="results file")
    logs = engine_data.default_data_dir() / "logs"
    parser.add_argument("--log-dir", type=Path, default=logs, help="worker stderr files")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if unknown := set(args.engines) - set(ENGINES):
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))}")
    if args.sizes:
        args.sizes = tuple(int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip())
    return args


def run(args: argparse.Namespace, plan: Plan, console: Console) -> Results:
    with console.status("generating event files (cached)"):
        files = {n: engine_data.events_file(n, args.data_dir) for n in plan.sizes}
    console.print(f"engines {', '.join(args.engines)}; worker logs in {args.log_dir}")
    args.log_dir.mkdir(parents=True, exist_ok=True)
    return engine_runner.run_all(args.engines, files, REPEATS, plan.budget_s, args.log_dir)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    if args.sizes:
        plan = Plan(args.sizes, plan.budget_s)
    console = Console()
    if not console.is_terminal:
        console.width = 120
    results = run(args, plan, console)
    for warning in compare_checksums(results):
        console.print(f"[bold yellow]warning: results differ:[/] {warning}")
    for n in plan.sizes:
        console.print(size_table(results, n, args.engines))
    console.print(overhead_table(results, args.engines))
    goal_check = goals(results, plan.sizes)
    console.print(goal_check)
    out = args.json_out or RESULTS_DIR / f"engine-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {"meta": metadata(plan, args), "results": results, "goals": goal_check}
    out.write_text(json.dumps(document, indent=2) + "\n")
    console.print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
