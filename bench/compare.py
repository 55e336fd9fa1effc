"""Diff two benchmark result files (as written by `python -m bench.broker --json-out`).

    .venv/bin/python -m bench.compare OLD.json NEW.json

One row per (scenario, broker, metric) present in both files: old, new and the change in percent.
Throughput metrics (`*_per_s`) are better higher; latencies (`*_ms`, `seconds`) lower.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

LOWER_IS_BETTER = ("_ms", "seconds")


def load(path: Path) -> dict[str, dict[str, dict[str, Any]]]:
    return dict(json.loads(path.read_text())["results"])


def common_metrics(old: dict[str, Any], new: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    for scenario, by_broker in new.items():
        for broker, metrics in by_broker.items():
            before = old.get(scenario, {}).get(broker, {})
            for metric, value in metrics.items():
                if isinstance(value, float) and isinstance(before.get(metric), float):
                    yield scenario, broker, metric


def change(metric: str, before: float, after: float) -> str:
    if not before:
        return "-"
    percent = (after - before) / before * 100
    better = percent < 0 if metric.endswith(LOWER_IS_BETTER) else percent > 0
    colour = "green" if better else "red"
    return f"[{colour}]{percent:+.1f}%[/]" if abs(percent) >= 5 else f"{percent:+.1f}%"


def compare_table(old: dict[str, Any], new: dict[str, Any]) -> Table:
    table = Table(title="benchmark comparison (changes under 5% uncoloured)")
    for column in ("scenario", "broker", "metric", "old", "new", "change"):
        table.add_column(column, justify="left" if column in {"scenario", "metric"} else "right")
    for scenario, broker, metric in common_metrics(old, new):
        before, after = old[scenario][broker][metric], new[scenario][broker][metric]
        table.add_row(
            scenario,
            broker,
            metric,
            f"{before:,.2f}",
            f"{after:,.2f}",
            change(metric, before, after),
        )
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compare",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    Console().print(compare_table(load(args.old), load(args.new)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
