"""kaspar.delta.cdc on hand-made Debezium events (no broker): both JSON envelope forms, the last
change per key, deletes, tombstones, truncate, ordering by LSN, and a batch applied twice."""

from __future__ import annotations

import functools
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from deltalake import DeltaTable as DeltaLakeTable

from kaspar.delta import DeltaTable, apply_debezium_changes, parse_debezium
from kaspar.delta.idempotent import TXN_APP_ID, TXN_VERSION, transaction
from kaspar.errors import IllegalArgumentException
from kaspar.sql import DataFrame, SparkSession

ROW = "id INT, name STRING"
KAFKA = "key binary, value binary, topic string, partition int, offset bigint"


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "customers")


def event(op: str, before: Any, after: Any, lsn: int, *, schemas: bool = False) -> bytes:
    """A Debezium value as JsonConverter writes it, with or without its schema wrapper."""
    payload = {
        "before": before,
        "after": after,
        "op": op,
        "source": {"lsn": lsn, "txId": 7, "ts_ms": 1, "snapshot": "false", "db": "postgres"},
        "ts_ms": 2,
    }
    wrapped = {"schema": {"type": "struct", "optional": False}, "payload": payload}
    return json.dumps(wrapped if schemas else payload).encode()


def batch(spark: SparkSession, *values: bytes | None, partitions: list[int] | None = None) -> Any:
    """Kafka records with these values, at offsets 0, 1, ... of partition 0 (or `partitions`)."""
    parts = partitions or [0] * len(values)
    rows = [
        (None, v, "shop.public.customers", p, i)
        for i, (v, p) in enumerate(zip(values, parts, strict=True))
    ]
    return spark.createDataFrame(rows, KAFKA)


def table_rows(path: str) -> list[dict[str, Any]]:
    return sorted(DeltaLakeTable(path).to_pyarrow_table().to_pylist(), key=lambda r: r["id"])


def test_parse_both_envelope_forms_and_drop_tombstones(spark: SparkSession) -> None:
    values = [
        event("c", None, {"id": 1, "name": "ada"}, 10),
        event("u", {"id": 1, "name": "ada"}, {"id": 1, "name": "ad"}, 11, schemas=True),
        None,
    ]
    parsed = parse_debezium(batch(spark, *values), ROW)
    assert parsed.columns == [
        "before",
        "after",
        "op",
        "source",
        "ts_ms",
        "topic",
        "partition",
        "offset",
    ]
    rows = parsed.collect()
    assert [(r.op, r.after.name, r.source.lsn, r.offset) for r in rows] == [
        ("c", "ada", 10, 0),
        ("u", "ad", 11, 1),
    ]
    assert rows[0].before is None and rows[1].before.name == "ada"


def test_last_change_per_key_upserts_and_deletes(spark: SparkSession, path: str) -> None:
    values = [
        event("r", None, {"id": 1, "name": "ada"}, 5),
        event("r", None, {"id": 2, "name": "bob"}, 5, schemas=True),
        event("c", None, {"id": 3, "name": "cy"}, 6),
        event("u", None, {"id": 1, "name": "ada lovelace"}, 7),
        event("d", {"id": 2, "name": None}, None, 8),
        None,  # the tombstone after the delete
        event("u", None, {"id": 3, "name": "cyd"}, 9),
    ]
    apply_debezium_changes(batch(spark, *values), 0, path, ["id"], ROW)
    assert table_rows(path) == [{"id": 1, "name": "ada lovelace"}, {"id": 3, "name": "cyd"}]
    deletes = [
        event("d", {"id": 1, "name": None}, None, 10),
        event("c", None, {"id": 4, "name": "di"}, 11),
    ]
    apply_debezium_changes(batch(spark, *deletes), 1, path, ["id"], ROW)
    assert table_rows(path) == [{"id": 3, "name": "cyd"}, {"id": 4, "name": "di"}]


def test_truncate_empties_the_table_then_later_changes_apply(
    spark: SparkSession, path: str
) -> None:
    first = [event("c", None, {"id": i, "name": f"n{i}"}, i) for i in range(1, 4)]
    apply_debezium_changes(batch(spark, *first), 0, path, ["id"], ROW)
    second = [
        event("u", None, {"id": 1, "name": "gone"}, 4),
        event("t", None, None, 5),
        event("c", None, {"id": 2, "name": "back"}, 6),
    ]
    apply_debezium_changes(batch(spark, *second), 1, path, ["id"], ROW)
    assert table_rows(path) == [{"id": 2, "name": "back"}]
    apply_debezium_changes(batch(spark, event("t", None, None, 7)), 2, path, ["id"], ROW)
    assert table_rows(path) == []


def test_order_by_lsn_across_partitions(spark: SparkSession, path: str) -> None:
    values = [
        event("u", None, {"id": 1, "name": "new"}, 20),
        event("c", None, {"id": 1, "name": "old"}, 10),
    ]
    apply = functools.partial(apply_debezium_changes, target=path, key_columns=["id"], schema=ROW)
    apply(batch(spark, *values, partitions=[0, 1]), 0, order_by="lsn")
    assert table_rows(path) == [{"id": 1, "name": "new"}]
    apply(batch(spark, *values, partitions=[0, 1]), 1)  # by partition, offset: partition 1 last
    assert table_rows(path) == [{"id": 1, "name": "old"}]


def test_a_batch_applied_again_is_skipped(spark: SparkSession, path: str) -> None:
    apply_debezium_changes(
        batch(spark, event("c", None, {"id": 1, "name": "a"}, 1)), 0, path, ["id"], ROW
    )
    again = batch(spark, event("u", None, {"id": 1, "name": "b"}, 2))
    apply_debezium_changes(again, 1, path, ["id"], ROW)
    apply_debezium_changes(again, 1, path, ["id"], ROW)  # the same batch id after a crash
    history = DeltaLakeTable(path).history()
    assert [h["operation"] for h in history] == ["MERGE", "MERGE", "WRITE"]
    assert DeltaLakeTable(path).transaction_version(f"kaspar.delta.cdc:{path}") == 1
    assert spark.conf.get(TXN_APP_ID, None) is None and spark.conf.get(TXN_VERSION, None) is None


def test_parsed_stream_and_table_object(spark: SparkSession, path: str) -> None:
    """A batch parsed beforehand (no schema needed) and a DeltaTable as the target."""
    spark.createDataFrame([(9, "old")], ROW).write.format("delta").save(path)
    parsed: DataFrame = parse_debezium(
        batch(spark, event("c", None, {"id": 1, "name": "a"}, 1)), ROW
    )
    apply_debezium_changes(parsed, 0, DeltaTable.forPath(spark, path), ["id"], app_id="q1")
    assert table_rows(path) == [{"id": 1, "name": "a"}, {"id": 9, "name": "old"}]
    assert DeltaLakeTable(path).transaction_version("q1") == 0


def test_merge_builder_honours_the_txn_session_confs(spark: SparkSession, path: str) -> None:
    spark.createDataFrame([(1, "a")], ROW).write.format("delta").save(path)
    source = spark.createDataFrame([(1, "b")], ROW)

    def merge() -> None:
        DeltaTable.forPath(spark, path).alias("t").merge(
            source.alias("s"), "t.id = s.id"
        ).whenMatchedUpdateAll().execute()

    spark.conf.set(TXN_APP_ID, "app")
    try:
        spark.conf.set(TXN_VERSION, "3")
        merge()
        merge()
        spark.conf.set(TXN_VERSION, "2")
        DeltaTable.forPath(spark, path).delete("id = 1")  # an older version: skipped too
    finally:
        spark.conf.unset(TXN_APP_ID)
        spark.conf.unset(TXN_VERSION)
    assert table_rows(path) == [{"id": 1, "name": "b"}]
    assert len(DeltaLakeTable(path).history()) == 2


def test_errors(spark: SparkSession, path: str) -> None:
    one = batch(spark, event("c", None, {"id": 1, "name": "a"}, 1))
    with pytest.raises(IllegalArgumentException, match="row schema"):
        apply_debezium_changes(one, 0, path, ["id"])
    with pytest.raises(IllegalArgumentException, match="key column"):
        apply_debezium_changes(one, 0, path, [], ROW)
    with pytest.raises(IllegalArgumentException, match="order_by"):
        apply_debezium_changes(one, 0, path, ["id"], ROW, order_by="time")  # type: ignore[arg-type]


def test_the_helpers_txn_is_its_threads_only(spark: SparkSession, path: str) -> None:
    """Another query's MERGE, on another thread meanwhile, commits without the helper's txn."""
    spark.createDataFrame([(1, "a")], ROW).write.format("delta").save(path)
    inside, merged = threading.Event(), threading.Event()

    def hold_a_transaction() -> None:
        with transaction("cdc-query", 5):
            inside.set()
            merged.wait(10)

    holder = threading.Thread(target=hold_a_transaction)
    holder.start()
    assert inside.wait(10)
    DeltaTable.forPath(spark, path).alias("t").merge(
        spark.createDataFrame([(2, "b")], ROW).alias("s"), "t.id = s.id"
    ).whenNotMatchedInsertAll().execute()
    merged.set()
    holder.join(10)
    assert DeltaLakeTable(path).transaction_version("cdc-query") is None
    assert [r["id"] for r in table_rows(path)] == [1, 2]
