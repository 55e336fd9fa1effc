"""Debezium change events applied to a Delta table with MERGE: the seeds' CDC pattern
(database -> Debezium -> Kafka -> ``readStream.format("kafka")`` -> ``foreachBatch`` -> Delta).

``parse_debezium`` turns the Kafka ``value`` column (Debezium's JSON envelope, with or without
the JsonConverter's ``{"schema": ..., "payload": ...}`` wrapper) into the columns ``op``,
``before``, ``after``, ``source`` and ``ts_ms``. ``apply_debezium_changes`` is a ``foreachBatch``
function (give it its options with ``functools.partial``) that keeps a Delta table equal to the
captured table. Everything runs as DataFrame operations (DuckDB) and one MERGE (delta-rs), through
the PySpark and delta-spark API (the Delta ``txn`` of its MERGE aside: see step 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import pyarrow.compute as pc

from kaspar.delta.idempotent import transaction
from kaspar.delta.tables import DeltaTable
from kaspar.engine.types import LongType, StringType, StructField, StructType
from kaspar.errors import AnalysisException, IllegalArgumentException

if TYPE_CHECKING:
    from kaspar.sql.column import Column
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession

__all__ = ["apply_debezium_changes", "debezium_envelope", "parse_debezium"]

OP = "__debezium_op"
_SEQ, _LAST_TRUNCATE = "__debezium_seq", "__debezium_last_truncate"
_ENVELOPE_FIELDS = ("before", "after", "op", "source", "ts_ms")
_KAFKA_COLUMNS = ("topic", "partition", "offset", "timestamp")
_SOURCE = StructType(
    [
        StructField("lsn", LongType()),
        StructField("txId", LongType()),
        StructField("ts_ms", LongType()),
        StructField("snapshot", StringType()),
        StructField("db", StringType()),
        StructField("schema", StringType()),
        StructField("table", StringType()),
    ]
)


def debezium_envelope(schema: StructType | str) -> StructType:
    """Debezium's envelope around rows of ``schema`` (a StructType or a DDL string)."""
    row = schema if isinstance(schema, StructType) else StructType.fromDDL(schema)
    if not isinstance(row, StructType):
        raise IllegalArgumentException(f"The row schema must be a struct, got {schema!r}")
    return StructType(
        [
            StructField("before", row),
            StructField("after", row),
            StructField("op", StringType()),
            StructField("source", _SOURCE),
            StructField("ts_ms", LongType()),
        ]
    )


def parse_debezium(
    df: DataFrame, schema: StructType | str, value_column: str = "value"
) -> DataFrame:
    """The Debezium events of ``df[value_column]`` as columns ``op``, ``before``, ``after``,
    ``source`` (``lsn``, ``txId``, ``ts_ms``, ``snapshot``, ``db``, ``schema``, ``table``) and
    ``ts_ms``, next to the Kafka columns ``topic``, ``partition``, ``offset``, ``timestamp``
    that ``df`` has. Tombstones (a null value) are dropped. Works on a batch or a stream.

    ``schema`` is the captured table's row as the converter writes it to JSON (a Debezium
    ``MicroTimestamp`` is a BIGINT, a ``ZonedTimestamp`` a STRING, ...).
    """
    from kaspar.sql import functions as F

    envelope = debezium_envelope(schema)
    wrapped = StructType([*envelope.fields, StructField("payload", envelope)])
    kafka = [c for c in _KAFKA_COLUMNS if c in df.columns]
    parsed = df.select(F.from_json(F.col(value_column).cast("string"), wrapped).alias("e"), *kafka)
    fields = [
        F.coalesce(F.col(f"e.payload.{name}"), F.col(f"e.{name}")).alias(name)
        for name in _ENVELOPE_FIELDS
    ]
    return parsed.select(*fields, *kafka).where(F.col("op").isNotNull())


def apply_debezium_changes(
    batch_df: DataFrame,
    batch_id: int,
    target: str | DeltaTable,
    key_columns: Sequence[str],
    schema: StructType | str | None = None,
    *,
    order_by: Literal["offset", "lsn"] = "offset",
    app_id: str | None = None,
    value_column: str = "value",
) -> None:
    """Apply one micro-batch of Debezium events to the Delta table ``target`` (a path, a table
    name, or a ``DeltaTable``; a missing path or name is created with ``schema``'s columns).

    1. Parse the envelopes (``parse_debezium``), unless ``batch_df`` already has ``op``,
       ``before`` and ``after``; tombstones are skipped.
    2. Number the changes in order: by Kafka ``partition``, ``offset`` (``order_by="offset"``,
       right when a key's changes share a partition, as with Debezium's keyed records) or by
       ``source.lsn`` then ``partition``, ``offset`` (``order_by="lsn"``).
    3. Drop what comes before the batch's last truncate (``op = 't'``).
    4. Keep each key's last change (the key from ``after``, else ``before``).
    5. MERGE it in one commit: ``d`` deletes, ``c``/``r``/``u`` upsert ``after``, and after a
       truncate every other row is deleted. The commit carries the Delta ``txn`` (``app_id``,
       ``batch_id``), as delta-spark's ``txnAppId``/``txnVersion`` session confs would give it
       (``kaspar.delta.idempotent``), so a batch run again after a crash is skipped.
       ``app_id`` defaults to one per target table: give another one when the query starts
       over with a new checkpoint (batch ids restart at 0).
    """
    if not key_columns:
        raise IllegalArgumentException("apply_debezium_changes needs at least one key column")
    changes = batch_df
    if not {"op", "before", "after"} <= set(batch_df.columns):
        if schema is None:
            raise IllegalArgumentException(
                "apply_debezium_changes needs the row schema to parse the Debezium events"
            )
        changes = parse_debezium(batch_df, schema, value_column)
    row = _row_schema(changes)
    latest = _latest_changes(changes, row, list(key_columns), order_by).toArrow()
    truncated = bool(pc.any(pc.equal(latest[OP], "t")).as_py())
    latest = latest.filter(pc.not_equal(latest[OP], "t"))
    if latest.num_rows == 0 and not truncated:
        return
    spark = batch_df.sparkSession
    table = _target_table(spark, target, row)
    with transaction(app_id or f"kaspar.delta.cdc:{table._path}", batch_id):
        _merge(table, spark.createDataFrame(latest), row, list(key_columns), truncated)


def _row_schema(changes: DataFrame) -> StructType:
    row = changes.schema["after"].dataType
    if not isinstance(row, StructType):
        raise AnalysisException("The Debezium column `after` must be a struct", "DATATYPE_MISMATCH")
    return row


def _order(changes: DataFrame, order_by: str) -> list[Column]:
    from kaspar.sql import functions as F

    if order_by not in ("offset", "lsn"):
        raise IllegalArgumentException(f"order_by must be 'offset' or 'lsn', got {order_by!r}")
    missing = [c for c in ("partition", "offset") if c not in changes.columns]
    if missing:
        raise AnalysisException(
            f"apply_debezium_changes orders the changes by the Kafka columns partition and "
            f"offset: {missing} not in {changes.columns}",
            "UNRESOLVED_COLUMN",
        )
    by_offset = [F.col("partition"), F.col("offset")]
    return [F.col("source.lsn"), *by_offset] if order_by == "lsn" else by_offset


def _latest_changes(
    changes: DataFrame, row: StructType, keys: list[str], order_by: str
) -> DataFrame:
    """Steps 2-4: each key's last change after the last truncate, with ``OP``; the truncate
    itself is kept as one row (null keys) so the caller knows it happened."""
    from kaspar.sql import Window
    from kaspar.sql import functions as F

    unknown = [k for k in keys if k not in row.names]
    if unknown:
        raise AnalysisException(
            f"Key columns {unknown} are not columns of the row {row.names}", "UNRESOLVED_COLUMN"
        )
    columns = [
        F.coalesce(F.col(f"after.{c}"), F.col(f"before.{c}")).alias(c)
        if c in keys
        else F.col(f"after.{c}").alias(c)
        for c in row.names
    ]
    numbered = changes.select(
        *columns,
        F.col("op").alias(OP),
        F.row_number().over(Window.orderBy(*_order(changes, order_by))).alias(_SEQ),
    )
    last_truncate = F.max(F.when(F.col(OP) == "t", F.col(_SEQ))).over(Window.partitionBy(F.lit(1)))
    after_truncate = numbered.withColumn(_LAST_TRUNCATE, F.coalesce(last_truncate, F.lit(0))).where(
        F.col(_SEQ) >= F.col(_LAST_TRUNCATE)
    )
    last_per_key = Window.partitionBy(*keys).orderBy(F.col(_SEQ).desc())
    return (
        after_truncate.withColumn(_SEQ, F.row_number().over(last_per_key))
        .where(F.col(_SEQ) == 1)
        .select(*row.names, OP)
    )


def _target_table(spark: SparkSession, target: str | DeltaTable, row: StructType) -> DeltaTable:
    """The target as a DeltaTable, created empty with the row's columns when missing."""
    if isinstance(target, DeltaTable):
        return target
    if DeltaTable.isDeltaTable(spark, target):
        return DeltaTable.forPath(spark, target)
    is_path = any(mark in target for mark in ("/", "\\", ":"))
    if not is_path and spark.catalog.tableExists(target):
        return DeltaTable.forName(spark, target)
    empty = spark.createDataFrame([], row).write.format("delta").mode("ignore")
    if is_path:
        empty.save(target)
        return DeltaTable.forPath(spark, target)
    empty.saveAsTable(target)
    return DeltaTable.forName(spark, target)


def _merge(
    table: DeltaTable, latest: DataFrame, row: StructType, keys: list[str], truncated: bool
) -> None:
    """Step 5, in delta-spark's MERGE builder."""
    on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    values = {f"`{c}`": f"s.`{c}`" for c in row.names}
    deleted = f"s.{OP} = 'd'"
    merge = (
        table.alias("t")
        .merge(latest.alias("s"), on)
        .whenMatchedDelete(condition=deleted)
        .whenMatchedUpdate(condition=f"NOT ({deleted})", set=values)
        .whenNotMatchedInsert(condition=f"NOT ({deleted})", values=values)
    )
    if truncated:
        merge = merge.whenNotMatchedBySourceDelete()
    merge.execute()
