"""The seeds' CDC pipeline end to end: PostgreSQL -> the Connect worker's Debezium source ->
Kafka -> ``readStream.format("kafka")`` -> ``foreachBatch(apply_debezium_changes)`` -> Delta.
After each round of inserts, updates (one changing the key), deletes and a truncate, the Delta
table holds exactly the PostgreSQL table's rows; a query that fails (an exception) or dies
(SIGKILL of its process) after a batch's MERGE is committed but before its checkpoint is,
restarted, re-runs that batch without applying it twice.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, TopicPartition
from deltalake import DeltaTable as DeltaLakeTable

from kaspar.connect import ConnectWorker
from kaspar.delta import apply_debezium_changes
from kaspar.errors import StreamingQueryException
from kaspar.sql import DataFrame, SparkSession
from tests.integration.connect.conftest import wait_for_state, wait_until
from tests.integration.connect.postgres_fixture import PostgresServer

ROW = "id INT, name STRING, qty BIGINT, active BOOLEAN, score DOUBLE"
QUERY_TIMEOUT_S = 30


@dataclass(frozen=True)
class Capture:
    """A captured table, its CDC topic, and where the streaming query writes."""

    postgres: PostgresServer
    bootstrap_servers: str
    table: str
    topic: str
    delta_path: str
    checkpoint: str

    def sql(self, *statements: str) -> None:
        with self.postgres.connect() as connection, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.replace("{t}", self.table))

    def postgres_rows(self) -> list[tuple[Any, ...]]:
        with self.postgres.connect() as connection, connection.cursor() as cursor:
            cursor.execute(f"SELECT id, name, qty, active, score FROM {self.table} ORDER BY id")
            return [tuple(row) for row in cursor.fetchall()]

    def delta_rows(self) -> list[tuple[Any, ...]]:
        rows = DeltaLakeTable(self.delta_path).to_pyarrow_table().to_pylist()
        return sorted(tuple(r.values()) for r in rows)

    def wait_for_events(self, count: int) -> None:
        """Until the CDC topic holds `count` records (events and tombstones)."""
        consumer = Consumer({"bootstrap.servers": self.bootstrap_servers, "group.id": "watch"})
        try:
            wait_until(
                lambda: _end_offset(consumer, self.topic) >= count, f"{count} records in the topic"
            )
        finally:
            consumer.close()


def _end_offset(consumer: Consumer, topic: str) -> int:
    metadata = consumer.list_topics(topic, timeout=5).topics.get(topic)
    if metadata is None or metadata.error is not None:
        return 0
    ends = (
        consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1]
        for p in metadata.partitions
    )
    return sum(ends)


@pytest.fixture
def capture(
    postgres: PostgresServer, worker: ConnectWorker, connect_broker: Any, tmp_path: Path
) -> Iterator[Capture]:
    """A table with three rows, captured by a Debezium connector: its snapshot is in the topic."""
    prefix = f"pg{uuid.uuid4().hex[:6]}"
    capture = Capture(
        postgres,
        connect_broker.bootstrap_servers,
        f"stock_{prefix}",
        f"{prefix}.public.stock_{prefix}",
        str(tmp_path / "stock"),
        str(tmp_path / "checkpoint"),
    )
    capture.sql(
        "CREATE TABLE {t} (id int PRIMARY KEY, name text, qty bigint, active bool, score float8)",
        "INSERT INTO {t} VALUES (1, 'bolt', 10, true, 0.5), (2, 'nut', 20, false, NULL), "
        "(3, 'gear', NULL, true, 2.25)",
    )
    config = postgres.connector_config(
        **{
            "topic.prefix": prefix,
            "slot.name": f"slot_{prefix}",
            "publication.name": f"pub_{prefix}",
            "publication.autocreate.mode": "filtered",
            "table.include.list": f"public.{capture.table}",
            "skipped.operations": "none",
            "slot.drop.on.stop": "true",
        }
    )
    with httpx.Client(base_url=worker.url, timeout=30) as http:
        assert http.post("/connectors", json={"name": prefix, "config": config}).status_code == 201
        wait_for_state(http, prefix, "RUNNING")
        capture.wait_for_events(3)  # the snapshot: later changes are streamed, not snapshotted
        yield capture
        http.delete(f"/connectors/{prefix}")


def run_query(
    capture: Capture, apply: Callable[[DataFrame, int], None], max_offsets: int = 4
) -> None:
    """The seeds' pattern, bounded: read the CDC topic from the start (or the checkpoint) to
    its end, `max_offsets` records per batch, and apply each batch with `apply`."""
    spark = SparkSession.builder.getOrCreate()
    query = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", capture.bootstrap_servers)
        .option("subscribe", capture.topic)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", max_offsets)
        .load()
        .writeStream.foreachBatch(apply)
        .option("checkpointLocation", capture.checkpoint)
        .trigger(availableNow=True)
        .start()
    )
    assert query.awaitTermination(QUERY_TIMEOUT_S), "the query did not finish"
    assert query.exception() is None


def merges_by_batch(path: str, app_id: str) -> list[int | None]:
    """The txn version (batch id) of each MERGE commit, oldest first."""
    table = DeltaLakeTable(path)
    versions: list[int | None] = []
    for commit in reversed(table.history()):
        if commit["operation"] == "MERGE":
            versions.append(
                DeltaLakeTable(path, version=commit["version"]).transaction_version(app_id)
            )
    return versions


def test_delta_table_follows_postgres(capture: Capture) -> None:
    apply = functools.partial(
        apply_debezium_changes, target=capture.delta_path, key_columns=["id"], schema=ROW
    )
    run_query(capture, apply)
    assert capture.delta_rows() == capture.postgres_rows()

    capture.sql(
        "INSERT INTO {t} VALUES (4, 'washer', 5, true, 1.0), (5, 'pin', 1, false, 0.0)",
        "UPDATE {t} SET qty = qty + 1, score = 9.75 WHERE id IN (1, 4)",
        "UPDATE {t} SET name = 'hex bolt' WHERE id = 1",
        "DELETE FROM {t} WHERE id = 2",
        "UPDATE {t} SET id = 20 WHERE id = 3",  # a new key: delete, tombstone, create
        "BEGIN; INSERT INTO {t} VALUES (6, 'cog', 3, true, 3.5); "
        "UPDATE {t} SET active = NULL WHERE id = 6; COMMIT",
    )
    capture.wait_for_events(3 + 2 + 2 + 1 + 2 + 3 + 2)
    run_query(capture, apply)
    assert capture.delta_rows() == capture.postgres_rows()
    assert len(capture.postgres_rows()) == 5

    capture.sql(
        "UPDATE {t} SET qty = 100 WHERE id = 5",
        "TRUNCATE {t}",
        "INSERT INTO {t} VALUES (7, 'spring', 70, true, 7.0), (1, 'bolt again', 1, true, 1.0)",
        "DELETE FROM {t} WHERE id = 7",
    )
    capture.wait_for_events(15 + 1 + 1 + 2 + 2)
    run_query(capture, apply)
    assert capture.delta_rows() == capture.postgres_rows() == [(1, "bolt again", 1, True, 1.0)]


APP_ID = "stock-query"
ROOT = Path(__file__).resolve().parents[3]


def apply_to(capture: Capture) -> Callable[[DataFrame, int], None]:
    return functools.partial(
        apply_debezium_changes,
        target=capture.delta_path,
        key_columns=["id"],
        schema=ROW,
        app_id=APP_ID,
    )


def crash_with_an_exception(capture: Capture) -> None:
    """The query fails in batch 2, after its MERGE, before its `commits` entry."""
    apply = apply_to(capture)

    def fail_after_batch_2(batch: DataFrame, batch_id: int) -> None:
        apply(batch, batch_id)
        if batch_id == 2:
            raise RuntimeError("killed after the MERGE, before the checkpoint commit")

    with pytest.raises(StreamingQueryException, match="killed after the MERGE"):
        run_query(capture, fail_after_batch_2)


def killed_query() -> None:
    """In a subprocess: the query, whose process is killed (SIGKILL) after batch 2's MERGE."""
    bootstrap_servers, topic, delta_path, checkpoint = sys.argv[1:]
    capture = Capture(None, bootstrap_servers, "", topic, delta_path, checkpoint)  # type: ignore[arg-type]
    apply = apply_to(capture)

    def die_after_batch_2(batch: DataFrame, batch_id: int) -> None:
        apply(batch, batch_id)
        if batch_id == 2:
            os.kill(os.getpid(), signal.SIGKILL)

    run_query(capture, die_after_batch_2)


def crash_with_kill_9(capture: Capture) -> None:
    """The query's process is killed after batch 2's MERGE, before its `commits` entry."""
    code = f"from {__name__} import killed_query; killed_query()"
    arguments = [capture.bootstrap_servers, capture.topic, capture.delta_path, capture.checkpoint]
    result = subprocess.run(
        [sys.executable, "-c", code, *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=QUERY_TIMEOUT_S * 2,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr[-3000:]


@pytest.mark.parametrize(
    "crash", [crash_with_an_exception, crash_with_kill_9], ids=["exception", "kill-9"]
)
def test_restart_after_a_crash_applies_nothing_twice(
    capture: Capture, crash: Callable[[Capture], None]
) -> None:
    capture.sql(
        "INSERT INTO {t} SELECT i, 'item ' || i, i * 10, i % 2 = 0, i / 4.0 "
        "FROM generate_series(4, 9) AS i",
        "UPDATE {t} SET qty = 0 WHERE id % 3 = 0",
        "DELETE FROM {t} WHERE id IN (4, 5)",
        "TRUNCATE {t}",
        "INSERT INTO {t} VALUES (10, 'after truncate', 1, true, 1.5), (11, 'x', 2, false, 2.5)",
        "UPDATE {t} SET name = 'ten' WHERE id = 10",
    )
    capture.wait_for_events(3 + 6 + 3 + 4 + 1 + 2 + 1)  # 20 records: 5 batches of 4
    crash(capture)
    assert merges_by_batch(capture.delta_path, APP_ID) == [0, 1, 2]

    apply, seen = apply_to(capture), []

    def record(batch: DataFrame, batch_id: int) -> None:
        seen.append(batch_id)
        apply(batch, batch_id)

    run_query(capture, record)
    assert seen == [2, 3, 4]  # batch 2 run again from its offsets entry
    assert merges_by_batch(capture.delta_path, APP_ID) == [0, 1, 2, 3, 4]  # but merged once
    assert capture.delta_rows() == capture.postgres_rows()
    assert capture.postgres_rows() == [(10, "ten", 1, True, 1.5), (11, "x", 2, False, 2.5)]
