"""`kaspar ksql` killed with SIGKILL while an aggregation over a TABLE is moving rows between
groups, then started again: the query resumes from its checkpointed state (the table's rows
and their groups), so the result table ends as the aggregation of the source table's final
rows, every old value undone once."""

from __future__ import annotations

import json
import struct
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from tests.e2e.test_ksql_crash import read_committed, run_statements, sigkill_then_restart

KEYS, GROUPS = 20, 3
READ_TIMEOUT_S = 30


def group(i: int) -> int:
    return (i + i // KEYS) % GROUPS  # a row changes groups from one update to the next


def produce(servers: str, topic: str, ids: range) -> None:
    """Update i: row k<i % KEYS> moves to group(i) with amount i; every 7th a delete."""
    producer = Producer({"bootstrap.servers": servers})
    for i in ids:
        value = None if i % 7 == 6 else json.dumps({"G": group(i), "N": i}).encode()
        producer.produce(topic, value, f"k{i % KEYS}".encode(), timestamp=1 + i)
        producer.poll(0)
        time.sleep(0.002)  # spread over several batches
    assert producer.flush(15) == 0


def expected(ids: range) -> dict[bytes, dict[str, int]]:
    """The aggregation of the table's final rows: per group, COUNT and SUM."""
    rows: dict[str, tuple[int, int] | None] = {}
    for i in ids:
        rows[f"k{i % KEYS}"] = None if i % 7 == 6 else (group(i), i)
    groups: dict[int, list[int]] = defaultdict(list)
    for row in rows.values():
        if row is not None:
            groups[row[0]].append(row[1])
    return {struct.pack(">i", g): {"C": len(ns), "S": sum(ns)} for g, ns in groups.items()}


def table_now(servers: str, topic: str, want: dict[bytes, Any]) -> dict[bytes, Any]:
    """The committed table: the latest value per key (tombstones delete), once it is `want`
    or READ_TIMEOUT_S has passed."""
    consumer = read_committed(servers, topic)
    table: dict[bytes, Any] = {}
    deadline = time.monotonic() + READ_TIMEOUT_S
    try:
        while time.monotonic() < deadline and table != want:
            for message in consumer.consume(500, 0.2):
                if message.error() is None:
                    value = message.value()
                    if value is None:
                        table.pop(message.key(), None)
                    else:
                        table[message.key()] = json.loads(value)
    finally:
        consumer.close()
    return table


STATEMENTS = (
    "CREATE TABLE {name} (id STRING PRIMARY KEY, g INT, n INT) WITH "
    "(kafka_topic='{topic}', value_format='JSON', partitions=1);"
    "CREATE TABLE {name}_BY_G AS SELECT g, COUNT(*) AS c, SUM(n) AS s FROM {name} GROUP BY g;"
)


@pytest.mark.timeout(120)
def test_sigkill_during_a_table_aggregation(kaspar_broker: Any, tmp_path: Path) -> None:
    name = f"T{uuid.uuid4().hex[:6].upper()}"
    servers, topic, sink = kaspar_broker.bootstrap_servers, f"{name.lower()}-in", f"{name}_BY_G"
    first, final = expected(range(300)), expected(range(600))

    def running(port: int) -> None:
        run_statements(port, STATEMENTS.format(name=name, topic=topic))
        produce(servers, topic, range(300))
        assert table_now(servers, sink, first) == first
        produce(servers, topic, range(300, 450))  # killed while these are being processed

    # updates 450..599 come while it is down
    sigkill_then_restart(
        servers,
        tmp_path,
        running,
        lambda: produce(servers, topic, range(450, 600)),
        lambda: _assert_equal(table_now(servers, sink, final), final),
    )


def _assert_equal(got: object, want: object) -> None:
    assert got == want
