"""Broker benchmark: kaspar against tansu, same client (confluent-kafka), same workloads.

    .venv/bin/python -m bench.broker [--quick] [--brokers kaspar,tansu] [--json-out PATH]

Each broker runs in its own process, one broker at a time. For every broker:

1. start it on a free 127.0.0.1 port and wait until it answers Metadata;
2. for each record size (100 B, 1 KiB) and partition count (1, 6): create a topic, produce the
   records (acks=all, linger.ms=5), then consume them from earliest (manual assign);
3. measure end-to-end latency at 10,000 records/s on a fresh topic;
4. stop it.

Then print one table per scenario (kaspar, tansu, kaspar/tansu) and write the results as JSON
(`bench/compare.py` diffs two such files).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import confluent_kafka
from rich.console import Console
from rich.table import Table

from bench import launch, workloads
from bench.workloads import Workload

RESULTS_DIR = Path(__file__).resolve().parent / "results"
LATENCY_RATE = 10_000
SIZES = (100, 1024)
PARTITIONS = (1, 6)


@dataclass(frozen=True)
class Plan:
    """How much work each scenario does."""

    records_by_size: dict[int, int]
    latency_seconds: float
    time_limit_s: float


FULL = Plan({100: 1_000_000, 1024: 200_000}, latency_seconds=5.0, time_limit_s=120.0)
QUICK = Plan({100: 100_000, 1024: 20_000}, latency_seconds=3.0, time_limit_s=10.0)

Results = dict[str, dict[str, dict[str, Any]]]


def scenario_name(kind: str, size: int, partitions: int) -> str:
    return f"{kind} {size} B x {partitions} partition{'s' if partitions > 1 else ''}"


def attempt(measure: Callable[[], Any]) -> Any:
    """Run one measurement; a failure becomes {"error": ...} so the other scenarios still run."""
    try:
        return measure()
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def run_throughput(bootstrap: str, plan: Plan, results: Results, broker: str) -> None:
    for size in SIZES:
        for partitions in PARTITIONS:
            workload = Workload(size, partitions, plan.records_by_size[size])
            topic = attempt(partial(workloads.create_topic, bootstrap, partitions))
            if isinstance(topic, str):
                args = (bootstrap, topic, workload, plan.time_limit_s)
                produced = attempt(partial(workloads.produce, *args))
            else:
                produced = {"error": f"create topic: {topic['error']}"}
            consumed = (
                {"error": "skipped: produce failed"}
                if "error" in produced
                else attempt(partial(workloads.consume, *args))
            )
            results.setdefault(scenario_name("produce", size, partitions), {})[broker] = produced
            results.setdefault(scenario_name("consume", size, partitions), {})[broker] = consumed


def run_latency(bootstrap: str, plan: Plan, results: Results, broker: str) -> None:
    workload = Workload(100, 1, int(LATENCY_RATE * plan.latency_seconds))

    def measure() -> dict[str, float]:
        topic = workloads.create_topic(bootstrap, workload.partitions)
        return workloads.latency(bootstrap, topic, workload, LATENCY_RATE, plan.time_limit_s)

    name = f"latency 100 B x 1 partition @ {LATENCY_RATE:,} records/s"
    results.setdefault(name, {})[broker] = attempt(measure)


def run_broker(name: str, plan: Plan, results: Results, console: Console) -> str | None:
    """Benchmark one broker; return why it could not run, or None."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as work_dir:
        try:
            with launch.running(name, Path(work_dir)) as broker:
                console.print(f"[bold]{name}[/] on {broker.bootstrap_servers} (pid {broker.pid})")
                run_throughput(broker.bootstrap_servers, plan, results, name)
                run_latency(broker.bootstrap_servers, plan, results, name)
        except launch.BrokerUnavailable as exc:
            console.print(f"[yellow]{name} unavailable:[/] {exc}")
            return str(exc)
    return None


def format_value(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:,.2f}" if isinstance(value, float) else str(value)


def ratio(kaspar: Any, tansu: Any) -> str:
    if isinstance(kaspar, float) and isinstance(tansu, float) and tansu:
        return f"{kaspar / tansu:.2f}x"
    return "-"


def scenario_table(
    scenario: str, by_broker: dict[str, dict[str, Any]], brokers: list[str]
) -> Table:
    """Metrics as rows, brokers as columns, plus kaspar/tansu when both ran; errors below."""
    with_ratio = {"kaspar", "tansu"} <= set(brokers)
    errors = [
        f"{b}: {by_broker[b]['error'][:200]}" for b in brokers if "error" in by_broker.get(b, {})
    ]
    table = Table(
        title=scenario,
        title_justify="left",
        caption="\n".join(errors) or None,
        caption_justify="left",
    )
    table.add_column("metric")
    for broker in brokers:
        table.add_column(broker, justify="right")
    if with_ratio:
        table.add_column("kaspar/tansu", justify="right")
    metrics = dict.fromkeys(m for result in by_broker.values() for m in result if m != "error")
    for metric in metrics:
        values = {b: by_broker.get(b, {}).get(metric) for b in brokers}
        row = [metric, *(format_value(values[b]) for b in brokers)]
        if with_ratio:
            row.append(ratio(values["kaspar"], values["tansu"]))
        table.add_row(*row)
    return table


def metadata(plan: Plan, quick: bool, unavailable: dict[str, str]) -> dict[str, Any]:
    return {
        "benchmark": "broker",
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "quick": quick,
        "plan": {
            "records_by_size": plan.records_by_size,
            "latency_seconds": plan.latency_seconds,
            "latency_rate": LATENCY_RATE,
            "time_limit_s": plan.time_limit_s,
        },
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "client": f"confluent-kafka {confluent_kafka.__version__}, "
        f"librdkafka {confluent_kafka.libversion()[0]}",
        "unavailable": unavailable,
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.broker",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small workloads (< 3 minutes)")
    parser.add_argument(
        "--brokers",
        default="kaspar,tansu",
        help="comma-separated, from: kaspar, tansu, kafka (Apache Kafka) (default: kaspar,tansu)",
    )
    parser.add_argument(
        "--json-out",
        type=Path,
        default=None,
        help="results file (default: bench/results/broker-<time>.json)",
    )
    args = parser.parse_args(argv)
    args.brokers = [b.strip() for b in args.brokers.split(",") if b.strip()]
    unknown = set(args.brokers) - set(launch.BROKERS)
    if unknown:
        parser.error(f"unknown broker(s): {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    console = Console()
    results: Results = {}
    unavailable: dict[str, str] = {}
    for name in args.brokers:
        if (reason := run_broker(name, plan, results, console)) is not None:
            unavailable[name] = reason
    for scenario, by_broker in results.items():
        console.print(scenario_table(scenario, by_broker, args.brokers))
    out = args.json_out or RESULTS_DIR / f"broker-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    document = {"meta": metadata(plan, args.quick, unavailable), "results": results}
    out.write_text(json.dumps(document, indent=2) + "\n")
    console.print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
