"""``INSERT INTO ... VALUES`` and ``POST /inserts-stream``: rows into a stream's topic.

The rows (one statement's, or a chunk of the stream's) become one DataFrame, encoded by the
stream's formats in the engine (``formats.encode_key``/``encode_value``, as a persistent query's
sink encodes), then produced with an idempotent ``acks=all`` producer; the call returns once
Kafka acknowledged every record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from confluent_kafka import Producer
from sqlglot import exp

from kaspar.ksql import formats
from kaspar.ksql.errors import KsqlError
from kaspar.ksql.expressions import rewrite
from kaspar.ksql.metastore import Source
from kaspar.ksql.queries import PARTITIONER
from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql.column import Column
from kaspar.sql.dataframe import DataFrame

TIMEOUT_S = 30.0


class Inserter:
    def __init__(self, spark: SparkSession, servers: str) -> None:
        self.spark = spark
        self._producer = Producer(
            {
                "bootstrap.servers": servers,
                "enable.idempotence": True,
                "linger.ms": 5,
                "partitioner": PARTITIONER,
            }
        )

    def insert_values(
        self, sink: Source, columns: Sequence[str] | None, values: Sequence[exp.Expr]
    ) -> None:
        names = list(columns) if columns is not None else [c.name for c in sink.columns]
        if len(names) != len(values):
            raise KsqlError(
                f"Expected number columns and values to match: {names}, {[v.sql() for v in values]}"
            )
        given = dict(zip(names, values, strict=True))
        check_names(sink, given)
        row = []
        for column in sink.columns:
            tree = given.get(column.name)
            value = F.lit(None) if tree is None else Column(rewrite(tree))
            row.append(value.cast(column.type.spark).alias(column.name))
        rowtime = given.get("ROWTIME")
        row.append((F.lit(None) if rowtime is None else Column(rewrite(rowtime))).alias("ROWTIME"))
        self._send(sink, self.spark.range(1).select(*row))

    def insert_rows(self, sink: Source, rows: Sequence[Mapping[str, Any]]) -> None:
        """Rows as JSON objects (``/inserts-stream``), names matched as ksqlDB matches them."""
        normalized = [{k.upper(): v for k, v in row.items()} for row in rows]
        for row in normalized:
            check_names(sink, row)
        schema = ", ".join(f"`{c.name}` {c.type.spark}" for c in sink.columns)
        data = [
            (*(row.get(c.name) for c in sink.columns), row.get("ROWTIME")) for row in normalized
        ]
        frame = self.spark.createDataFrame(data, f"{schema}, `ROWTIME` BIGINT")
        self._send(sink, frame)

    def _send(self, sink: Source, frame: DataFrame) -> None:
        key = formats.encode_key(sink.key_format, [(c.name, c.type.ksql) for c in sink.key_columns])
        value = formats.encode_value(sink, [c.name for c in sink.value_columns])
        encoded = frame.select(
            (F.lit(None).cast("binary") if key is None else key).alias("key"),
            value.alias("value"),
            F.col("ROWTIME").cast("bigint").alias("ROWTIME"),
        ).collect()
        failures: list[str] = []

        def delivered(error: Any, _message: Any) -> None:
            if error is not None:
                failures.append(str(error))

        for record in encoded:
            extra = {} if record["ROWTIME"] is None else {"timestamp": record["ROWTIME"]}
            self._producer.produce(
                sink.topic,
                value=_bytes(record["value"]),
                key=_bytes(record["key"]),
                on_delivery=delivered,
                **extra,
            )
        left = self._producer.flush(TIMEOUT_S)
        if left or failures:
            reason = failures[0] if failures else f"{left} records not acknowledged"
            raise KsqlError(f"Failed to insert values into '{sink.name}'. {reason}")

    def close(self) -> None:
        self._producer.flush(TIMEOUT_S)


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


def check_names(sink: Source, given: Mapping[str, Any]) -> None:
    known = {c.name for c in sink.columns} | {"ROWTIME"}
    for name in given:
        if name not in known:
            raise KsqlError(f"Column name {name} does not exist.")
