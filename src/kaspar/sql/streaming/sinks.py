"""``writeStream.format(...)`` -> an engine sink. Console, ``foreach`` and ``foreachBatch``
hand each batch to Python, so they are built here, on the facade side.

An error in the user's function fails the query as in PySpark: ``foreachBatch`` errors are
``FOREACH_BATCH_USER_FUNCTION_ERROR``, ``foreach`` errors ``PYTHON_EXCEPTION``, both with the
Python traceback in the message and the original error as ``__cause__``.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.sinks import ForeachBatchSink, StreamSink
from kaspar.errors import IllegalArgumentException, PySparkAttributeError, PythonException
from kaspar.sql.dataframe import DataFrame
from kaspar.sql.streaming.files import FILE_SINK_FORMATS, file_sink
from kaspar.sql.streaming.readwriter import DataStreamWriter, _delta, _kafka_sink, _memory

_CONSOLE_RULE = "-------------------------------------------"
_CONSOLE_DESCRIPTION = "org.apache.spark.sql.execution.streaming.ConsoleTable$"
_FOREACH_BATCH_ERROR = "An error occurred in the user provided function in foreach batch sink."


def _batch_frame(writer: DataStreamWriter, table: pa.Table) -> DataFrame:
    renamed = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
    return DataFrame(writer._session, L.LocalRelation(renamed, tuple(table.column_names)))


def _python_traceback(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)).rstrip("\n")


def _console(writer: DataStreamWriter, query_id: str) -> StreamSink:
    """Spark's console sink: a ``Batch: N`` banner, then ``show(numRows, truncate)``."""
    rows_text = writer._options.get("numrows", "20")
    truncate_text = writer._options.get("truncate", "true")
    if not rows_text.strip().lstrip("-").isdigit():
        raise IllegalArgumentException(
            f"Invalid value '{rows_text}' for option 'numRows' of the console sink: "
            "it must be an integer"
        )
    if truncate_text.lower() not in ("true", "false"):
        raise IllegalArgumentException(f"{truncate_text} is not a boolean string.")
    rows, truncate = int(rows_text), truncate_text.lower() == "true"

    def show(table: pa.Table, batch_id: int) -> None:
        print(f"{_CONSOLE_RULE}\nBatch: {batch_id}\n{_CONSOLE_RULE}")  # noqa: T201
        _batch_frame(writer, table).show(rows, truncate)

    return ForeachBatchSink(show, _CONSOLE_DESCRIPTION)


def _foreach_batch(writer: DataStreamWriter, query_id: str) -> StreamSink:
    return _callback_sink(
        writer,
        "foreachBatch function is not set",
        _FOREACH_BATCH_ERROR + " Reason:",
        "FOREACH_BATCH_USER_FUNCTION_ERROR",
        "ForeachBatchSink",
    )


def _foreach(writer: DataStreamWriter, query_id: str) -> StreamSink:
    return _callback_sink(
        writer,
        "foreach writer is not set",
        "An exception was thrown from the Python worker:",
        "PYTHON_EXCEPTION",
        "ForeachWriterTable",
    )


def _callback_sink(
    writer: DataStreamWriter, missing: str, prefix: str, error_class: str, description: str
) -> StreamSink:
    """A sink calling the user's function per batch; its errors become ``PythonException``."""
    func = writer._foreach_batch
    if func is None:
        raise IllegalArgumentException(missing)

    def call(table: pa.Table, batch_id: int) -> None:
        try:
            func(_batch_frame(writer, table), batch_id)
        except Exception as error:
            reason = _python_traceback(error)
            raise PythonException(f"{prefix} {reason}", error_class) from error

    return ForeachBatchSink(call, description)


def foreach_function(f: Any) -> Callable[[DataFrame, int], None]:
    """``writeStream.foreach(f)`` as a function of a batch: ``f(row)`` for a function, else
    PySpark's ``ForeachWriter`` protocol (``open(partition_id, epoch_id)``, ``process(row)``,
    ``close(error)``). A batch is one partition, id 0; ``epoch_id`` is the batch id."""
    if callable(f):

        def each_row(batch: DataFrame, batch_id: int) -> None:
            for row in batch.collect():
                f(row)

        return each_row
    process = _method(f, "process")
    if process is None:
        raise _not_callable("process")
    open_, close = _method(f, "open"), _method(f, "close")

    def open_process_close(batch: DataFrame, batch_id: int) -> None:
        should_process = open_(0, batch_id) if open_ is not None else True
        error: Exception | None = None
        try:
            if should_process:
                for row in batch.collect():
                    process(row)
        except Exception as e:  # noqa: BLE001 - handed to close(), then raised again
            error = e
        finally:
            if close is not None:
                close(error)
        if error is not None:
            raise error

    return open_process_close


def _method(f: Any, name: str) -> Callable[..., Any] | None:
    if not hasattr(f, name):
        return None
    method = getattr(f, name)
    if not callable(method):
        raise _not_callable(name)
    return method  # type: ignore[no-any-return]


def _not_callable(name: str) -> PySparkAttributeError:
    return PySparkAttributeError(
        f"Attribute `{name}` in provided object `f` is not callable.",
        "ATTRIBUTE_NOT_CALLABLE",
        {"attr_name": name, "obj_name": "f"},
    )


SINKS: dict[str, Callable[[DataStreamWriter, str], StreamSink]] = {
    "memory": _memory,
    "console": _console,
    "foreach": _foreach,
    "foreachbatch": _foreach_batch,
    "delta": _delta,
    "kafka": _kafka_sink,
    **dict.fromkeys(FILE_SINK_FORMATS, file_sink),
}
