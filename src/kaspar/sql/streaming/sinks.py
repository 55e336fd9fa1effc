"""``writeStream.format(...)`` -> an engine sink. Console and foreachBatch hand each batch to
Python as a DataFrame, so they are built here, on the facade side."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.sinks import ForeachBatchSink, StreamSink
from kaspar.errors import IllegalArgumentException
from kaspar.sql.dataframe import DataFrame
from kaspar.sql.streaming.readwriter import DataStreamWriter, _delta, _kafka_sink, _memory

_CONSOLE_RULE = "-------------------------------------------"


def _batch_frame(writer: DataStreamWriter, table: pa.Table) -> DataFrame:
    renamed = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
    return DataFrame(writer._session, L.LocalRelation(renamed, tuple(table.column_names)))


def _console(writer: DataStreamWriter, query_id: str) -> StreamSink:
    rows = int(writer._options.get("numrows", "20"))
    truncate = writer._options.get("truncate", "true") == "true"

    def show(table: pa.Table, batch_id: int) -> None:
        print(f"{_CONSOLE_RULE}\nBatch: {batch_id}\n{_CONSOLE_RULE}")  # noqa: T201
        _batch_frame(writer, table).show(rows, truncate)

    return ForeachBatchSink(show, "org.apache.spark.sql.execution.streaming.ConsoleTable$")


def _foreach_batch(writer: DataStreamWriter, query_id: str) -> StreamSink:
    func = writer._foreach_batch
    if func is None:
        raise IllegalArgumentException("foreachBatch function is not set")

    def call(table: pa.Table, batch_id: int) -> None:
        func(_batch_frame(writer, table), batch_id)

    return ForeachBatchSink(call)


SINKS: dict[str, Callable[[DataStreamWriter, str], StreamSink]] = {
    "memory": _memory,
    "console": _console,
    "foreachbatch": _foreach_batch,
    "delta": _delta,
    "kafka": _kafka_sink,
}
