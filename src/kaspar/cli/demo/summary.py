"""The demo's summary: what was written where, the checks, and how to query the results.

Printed with rich at the end of the demo, and written as JSON with `--summary-json PATH`:
`{"ok", "bootstrap_servers", "data_dir", "duration_s", "skipped", "topics": {name:
{"partitions", "records"}}, "produced": {topic: acknowledged}, "tables": {name: path},
"order_totals": {customer: total}, "sensor_windows", "alerts": {topic: count},
"notifications", "checks": [{"name", "expected", "actual", "ok"}]}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kaspar.cli.demo.checks import Check


@dataclass
class Summary:
    """Everything the demo reports at the end."""

    bootstrap_servers: str
    data_dir: Path
    duration_s: float
    embedded: bool
    skipped: str = ""
    topics: dict[str, dict[str, int]] = field(default_factory=dict)
    produced: dict[str, int] = field(default_factory=dict)
    tables: dict[str, Path] = field(default_factory=dict)
    order_totals: dict[str, float] = field(default_factory=dict)
    sensor_windows: int = 0
    alerts: dict[str, int] = field(default_factory=dict)
    notifications: int = 0
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "bootstrap_servers": self.bootstrap_servers,
            "data_dir": str(self.data_dir),
            "duration_s": round(self.duration_s, 1),
            "skipped": self.skipped,
            "topics": self.topics,
            "produced": self.produced,
            "tables": {name: str(path) for name, path in self.tables.items()},
            "order_totals": self.order_totals,
            "sensor_windows": self.sensor_windows,
            "alerts": self.alerts,
            "notifications": self.notifications,
            "checks": [check.as_json() for check in self.checks],
        }

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.as_json(), indent=2, default=str) + "\n", encoding="utf-8")


def written_table(summary: Summary) -> Table:
    table = Table(
        "where", "what", "records", "produced by the demo",
        title="what the demo wrote", title_justify="left",
    )  # fmt: skip
    for topic, info in summary.topics.items():
        produced = summary.produced.get(topic)
        table.add_row(
            topic,
            f"Kafka topic, {info['partitions']} partition(s)",
            f"{info['records']:,}",
            "" if produced is None else f"{produced:,}",
        )
    rows = {"order_totals": len(summary.order_totals), "sensor_averages": summary.sensor_windows}
    for name, path in summary.tables.items():
        table.add_row(str(path), "Delta table", f"{rows.get(name, 0):,}", "")
    return table


def checks_table(summary: Summary) -> Table:
    table = Table("check", "expected", "actual", "", title="checks", title_justify="left")
    for check in summary.checks:
        verdict = "[green]ok[/]" if check.ok else "[bold red]FAILED[/]"
        table.add_row(check.name, _short(check.expected), _short(check.actual), verdict)
    return table


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


def how_to_query(summary: Summary) -> str:
    """Snippets that read the results: kaspar.sql, deltalake, a Kafka consumer."""
    totals, windows = summary.tables.get("order_totals"), summary.tables.get("sensor_averages")
    lines = ["query the results with PySpark's API on kaspar:",
             "  from kaspar.sql import SparkSession",
             "  spark = SparkSession.builder.getOrCreate()"]  # fmt: skip
    if totals is not None:
        lines.append(f'  spark.read.format("delta").load("{totals}").orderBy("customerId").show()')
    if windows is not None:
        lines.append(f'  spark.read.format("delta").load("{windows}").orderBy("window_end").show()')
    lines.append("or with the deltalake package:")
    lines.append(f'  from deltalake import DeltaTable; DeltaTable("{totals}").to_pandas()')
    if summary.embedded:
        lines.append(
            f"the broker has stopped; its data lives in {summary.data_dir / 'broker'}: "
            f"`kaspar up --data-dir {summary.data_dir}` serves it again, then e.g. "
            "`kaspar consume orders --from-beginning --max 5`"
        )
    return "\n".join(lines)


def print_summary(console: Console, summary: Summary) -> None:
    console.print(written_table(summary))
    if summary.skipped:
        console.print(f"[yellow]{escape(summary.skipped)}[/]", soft_wrap=True)
    console.print(checks_table(summary))
    console.print(how_to_query(summary), markup=False, highlight=False, soft_wrap=True)
