"""`kaspar ksql` killed with SIGKILL while an aggregation over a TABLE is moving rows between
groups, then started again: the query resumes from its checkpointed state (the table's rows
and their groups), so the result table ends as the aggregation of the source table's final
rows, every old value undone once."""

from __future__ import annotations

import json
import signal
import struct
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from tests.conftest import free_port, signal_and_wait
from tests.e2e.test_ksql_crash import start_ksql

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
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"check-{uuid.uuid4().hex}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
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


@pytest.mark.timeout(120)
def test_sigkill_during_a_table_aggregation(kaspar_broker: Any, tmp_path: Path) -> None:
    servers, port = kaspar_broker.bootstrap_servers, free_port()
    service_id, name = f"tcrash_{uuid.uuid4().hex[:6]}_", f"T{uuid.uuid4().hex[:6].upper()}"
    topic = f"{name.lower()}-in"
    process = start_ksql(servers, port, tmp_path, service_id)
    try:
        statements = (
            f"CREATE TABLE {name} (id STRING PRIMARY KEY, g INT, n INT) WITH "
            f"(kafka_topic='{topic}', value_format='JSON', partitions=1);"
            f"CREATE TABLE {name}_BY_G AS SELECT g, COUNT(*) AS c, SUM(n) AS s FROM {name} "
            "GROUP BY g;"
        )
        body = {"ksql": statements, "streamsProperties": {"auto.offset.reset": "earliest"}}
        response = httpx.post(f"http://127.0.0.1:{port}/ksql", json=body, timeout=30)
        assert response.status_code == 200, response.text
        produce(servers, topic, range(300))
        assert table_now(servers, f"{name}_BY_G", expected(range(300))) == expected(range(300))
        produce(servers, topic, range(300, 450))  # killed while these are being processed
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=10)

    produce(servers, topic, range(450, 600))  # while it is down
    process = start_ksql(servers, port, tmp_path, service_id)
    try:
        want = expected(range(600))
        assert table_now(servers, f"{name}_BY_G", want) == want
    finally:
        _, err = signal_and_wait(process, signal.SIGTERM)
    assert "Traceback" not in err
