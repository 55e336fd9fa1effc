"""Consumer-group rebalance time and transactional produce throughput, kaspar vs tansu.

    .venv/bin/python -m bench.broker_groups [--quick] [--brokers kaspar,tansu] [--json-out PATH]

* **rebalance**: three confluent-kafka consumers (range assignor, each on its own thread) share a
  6-partition topic; once they are stable a fourth subscribes. Measured: seconds from the fourth
  member's `subscribe()` until every member holds its new assignment (all 6 partitions assigned,
  4 members with at least one partition). Repeated `rounds` times, median reported.
* **txn produce**: the same records produced by an idempotent producer (acks=all, linger 5 ms)
  and by a transactional one committing every 1,000 records; records/s and their ratio.
* Compaction speed has its own benchmark (`python -m bench.compaction`): tansu has no compactor.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from rich.console import Console
from rich.table import Table

from bench import launch

PARTITIONS = 6
TXN_BATCH = 1000
TIME_LIMIT_S = 60.0


class Member(threading.Thread):
    """One group member polling on its own thread; remembers its current assignment."""

    def __init__(self, bootstrap: str, group: str, topic: str) -> None:
        super().__init__(daemon=True)
        self.assigned: set[int] = set()
        self.stop_event = threading.Event()
        self.consumer = Consumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": group,
                "session.timeout.ms": 10_000,
                "heartbeat.interval.ms": 500,
                "partition.assignment.strategy": "range",
                "enable.auto.commit": False,
            }
        )
        self.topic = topic

    def run(self) -> None:
        self.consumer.subscribe(
            [self.topic],
            on_assign=lambda _c, parts: self.assigned.update(p.partition for p in parts),
            on_revoke=lambda _c, parts: self.assigned.difference_update(p.partition for p in parts),
        )
        while not self.stop_event.is_set():
            self.consumer.poll(0.05)
        self.consumer.close()


def _wait(condition: Callable[[], bool], limit_s: float) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > limit_s:
            raise TimeoutError("group did not stabilise in time")
        time.sleep(0.005)
    return time.perf_counter() - start


def _stable(members: list[Member]) -> bool:
    owned = [p for m in members for p in m.assigned]
    return len(owned) == PARTITIONS == len(set(owned)) and all(m.assigned for m in members)


def rebalance_round(bootstrap: str, topic: str) -> float:
    """Seconds for a fourth member to join a stable group of three."""
    group = f"bench-{uuid.uuid4().hex[:8]}"
    members = [Member(bootstrap, group, topic) for _ in range(3)]
    for member in members:
        member.start()
    try:
        _wait(lambda: _stable(members), TIME_LIMIT_S)
        newcomer = Member(bootstrap, group, topic)
        members.append(newcomer)
        newcomer.start()
        return _wait(lambda: _stable(members), TIME_LIMIT_S)
    finally:
        for member in members:
            member.stop_event.set()
        for member in members:
            member.join(timeout=15)


def produce_rate(bootstrap: str, topic: str, records: int, *, transactional: bool) -> float:
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "linger.ms": 5,
        "enable.idempotence": True,
        "queue.buffering.max.messages": 1_000_000,
    }
    if transactional:
        config["transactional.id"] = f"bench-{uuid.uuid4().hex[:8]}"
    producer = Producer(config)
    value = bytes(100)
    if transactional:
        producer.init_transactions(TIME_LIMIT_S)
    start = time.perf_counter()
    for first in range(0, records, TXN_BATCH):
        if transactional:
            producer.begin_transaction()
        for i in range(first, min(first + TXN_BATCH, records)):
            producer.produce(topic, value, partition=i % PARTITIONS)
            producer.poll(0)
        if transactional:
            producer.commit_transaction(TIME_LIMIT_S)
    if producer.flush(TIME_LIMIT_S):
        raise TimeoutError("records still unacknowledged")
    return records / (time.perf_counter() - start)


def measure(name: str, rounds: int, records: int) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory(prefix=f"bench-groups-{name}-") as work_dir,
        launch.running(name, Path(work_dir)) as broker,
    ):
        bootstrap = broker.bootstrap_servers
        admin = AdminClient({"bootstrap.servers": bootstrap})
        topics = ["rebalance", "plain", "txn"]
        futures = admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in topics])
        for future in futures.values():
            future.result(30)
        times = [rebalance_round(bootstrap, "rebalance") for _ in range(rounds)]
        plain = produce_rate(bootstrap, "plain", records, transactional=False)
        txn = produce_rate(bootstrap, "txn", records, transactional=True)
    return {
        "rebalance_median_s": statistics.median(times),
        "rebalance_max_s": max(times),
        "plain_records_per_s": plain,
        "txn_records_per_s": txn,
        "txn_over_plain": txn / plain,
    }


def _table(results: dict[str, dict[str, float]]) -> Table:
    names = list(results)
    table = Table(title="consumer groups and transactions")
    table.add_column("metric")
    for name in names:
        table.add_column(name, justify="right")
    if len(names) == 2:  # kaspar and its peer
        table.add_column(f"{names[0]}/{names[1]}", justify="right")
    for metric in next(iter(results.values())):
        row = [f"{results[n][metric]:,.3f}" for n in names]
        if len(names) == 2:
            row.append(f"{results[names[0]][metric] / results[names[1]][metric]:.2f}x")
        table.add_row(metric, *row)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.broker_groups")
    parser.add_argument("--quick", action="store_true", help="1 rebalance round, 20,000 records")
    parser.add_argument("--brokers", default="kaspar,tansu")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args(argv)
    rounds, records = (1, 20_000) if args.quick else (3, 200_000)
    console = Console()
    results: dict[str, dict[str, float]] = {}
    for name in args.brokers.split(","):
        try:
            results[name] = measure(name, rounds, records)
        except (launch.BrokerUnavailable, TimeoutError, RuntimeError) as exc:
            console.print(f"[red]{name}: {exc}[/red]")
    if results:
        console.print(_table(results))
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
