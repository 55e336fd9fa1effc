"""Running Python data sources (``datasource.py``): batch reads as deferred relations, batch
writes, micro-batch reads and writes.

A read yields tuples, Rows or ``pyarrow.RecordBatch``es per partition: record batches are
taken as they are (cast to the schema), tuples are gathered and converted once per partition
(the API hands them over one by one; kaspar touches them only to build the Arrow table).
Nothing is read until an action needs the rows; the rows read by a DataFrame's first action are
kept for its later ones (Spark reads the source again per action).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.type_conversion import parse_data_type
from kaspar.errors import (
    AnalysisException,
    PySparkNotImplementedError,
    PySparkRuntimeError,
    PythonException,
)
from kaspar.sql._conversion import to_rows
from kaspar.sql._local_data import local_table
from kaspar.sql.datasource import (
    CaseInsensitiveDict,
    DataSource,
    DataSourceArrowWriter,
)
from kaspar.sql.group_map import arrow_schema, conform, worker_message

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession

ROWS_PER_CHUNK = 65_536  # tuples gathered before they become one Arrow table


def source_options(options: dict[str, str], path: Any) -> CaseInsensitiveDict:
    given = CaseInsensitiveDict(options)
    if path is not None:
        given["path"] = path if isinstance(path, str) else ",".join(map(str, path))
    return given


def source_schema(source: DataSource, given: T.StructType | None) -> T.StructType:
    """The user's schema, else the source's own ``schema()`` (a StructType or DDL text)."""
    if given is not None:
        return given
    try:
        declared = source.schema()
    except PySparkNotImplementedError:
        raise AnalysisException(
            f"Data source '{type(source).name()}' has no schema: implement DataSource.schema() "
            "or give one with .schema(...).",
            "DATA_SOURCE_SCHEMA_NOT_DEFINED",
        ) from None
    struct = parse_data_type(declared) if isinstance(declared, str) else declared
    if not isinstance(struct, T.StructType):
        raise AnalysisException(
            f"Data source '{type(source).name()}' schema() must return a StructType or DDL "
            f"text, got {declared!r}.",
            "DATA_SOURCE_INVALID_SCHEMA",
        )
    return struct


def read_items(items: Iterator[Any], struct: T.StructType, where: str) -> Iterator[pa.Table]:
    """What a ``read`` yields as Arrow tables in ``struct``'s columns."""
    width = len(struct.fields)
    pending: list[Any] = []
    for item in items:
        if isinstance(item, pa.RecordBatch | pa.Table):
            if pending:
                yield _rows_table(pending, struct)
                pending = []
            yield conform(item, struct, "arrow_cast")
            continue
        if not isinstance(item, tuple):  # a Row is a tuple
            raise PySparkRuntimeError(
                f"Return type mismatch in the result from '{where}' method: expected a tuple, "
                f"a Row or a pyarrow.RecordBatch, got {type(item).__name__}.",
                "DATA_SOURCE_INVALID_RETURN_TYPE",
            )
        if len(item) != width:
            raise PySparkRuntimeError(
                f"Return schema mismatch in the result from '{where}' method. Expected: "
                f"{width} columns, Found: {len(item)} columns. Make sure the returned values "
                "match the required output schema.",
                "DATA_SOURCE_RETURN_SCHEMA_MISMATCH",
            )
        pending.append(item)
        if len(pending) >= ROWS_PER_CHUNK:
            yield _rows_table(pending, struct)
            pending = []
    if pending:
        yield _rows_table(pending, struct)


def _rows_table(rows: list[Any], struct: T.StructType) -> pa.Table:
    table = local_table([tuple(r) for r in rows], struct)[0]
    return table.rename_columns(struct.names)


def _partitions(reader: Any, *args: Any) -> list[Any]:
    try:
        return list(reader.partitions(*args))
    except PySparkNotImplementedError:
        return [None]


def read_relation(
    session: SparkSession,
    source_class: type[DataSource],
    path: Any,
    options: dict[str, str],
    schema: T.StructType | None,
) -> L.LogicalPlan:
    """``spark.read.format(name).load()``: a deferred relation that reads every partition."""
    source = source_class(source_options(options, path))
    struct = source_schema(source, schema)

    def compute() -> pa.Table:
        try:
            reader = source.reader(struct)
            tables = [
                t for p in _partitions(reader) for t in read_items(reader.read(p), struct, "read")
            ]
        except Exception as e:  # the source's code, or what it returned
            raise PythonException(worker_message(e), "PYTHON_EXCEPTION") from e
        target = arrow_schema(struct)
        table = pa.concat_tables(tables) if tables else target.empty_table()
        return local_table(table, struct)[0]

    empty = local_table(arrow_schema(struct).empty_table(), struct)[0]
    return L.DeferredRelation(empty, tuple(struct.names), compute=compute)


def write_frame(
    df: DataFrame,
    source_class: type[DataSource],
    path: str | None,
    mode: str,
    options: dict[str, str],
) -> None:
    """``df.write.format(name).save()``: the rows to ``writer.write``, then ``commit`` (or
    ``abort`` when writing failed)."""
    if mode not in ("append", "overwrite"):
        shown = {"error": "ErrorIfExists", "errorifexists": "ErrorIfExists"}.get(mode, mode.title())
        raise AnalysisException(
            f'The data source "{source_class.name()}" cannot be written in the {shown} mode. '
            'Please use either the "Append" or "Overwrite" mode instead.',
            "UNSUPPORTED_DATA_SOURCE_SAVE_MODE",
        )
    source = source_class(source_options(options, path))
    writer = source.writer(df.schema, mode == "overwrite")
    table = df.toArrow()
    messages: list[Any] = []
    try:
        if isinstance(writer, DataSourceArrowWriter):
            messages.append(writer.write(iter(table.to_batches())))
        else:
            messages.append(writer.write(iter(to_rows(table, df.schema))))
    except Exception as e:
        writer.abort(messages)
        raise PythonException(worker_message(e), "PYTHON_EXCEPTION") from e
    writer.commit(messages)


class PythonStreamSource:
    """A Python ``DataSourceStreamReader`` (or ``SimpleDataSourceStreamReader``) as a stream
    source of the micro-batch engine: its offsets are the reader's dicts (kept as JSON in the
    checkpoint's offsets log)."""

    def __init__(self, source: DataSource, struct: T.StructType) -> None:
        self.struct = struct
        self.schema = arrow_schema(struct)
        self.description = f"PythonMicroBatchStream[{type(source).name()}]"
        self._source = source
        self._simple: Any = None
        self._reader: Any = None
        self._cached: dict[str, Any] = {}
        try:
            self._reader = source.streamReader(struct)
        except PySparkNotImplementedError:
            self._simple = source.simpleStreamReader(struct)

    def for_query(self) -> PythonStreamSource:
        return PythonStreamSource(self._source, self.struct)

    def initial_offset(self) -> Any:
        return (self._reader or self._simple).initialOffset()

    def latest_offset(self, start: Any, limited: bool, until: Any | None) -> Any:
        if until is not None:
            return until
        if self._reader is not None:
            return self._reader.latestOffset()
        items, end = self._simple.read(start)  # the rows are kept for get_batch
        self._cached = {"start": start, "end": end, "items": list(items)}
        return end

    def get_batch(self, start: Any, end: Any) -> pa.Table:
        try:
            if self._reader is not None:
                parts = _partitions(self._reader, start, end)
                chunks = (self._reader.read(p) for p in parts)
                items: Iterator[Any] = itertools.chain.from_iterable(chunks)
            elif self._cached.get("start") == start and self._cached.get("end") == end:
                items = iter(self._cached["items"])
            else:  # a batch re-run after a restart: the rows between its offsets
                items = self._simple.readBetweenOffsets(start, end)
            tables = list(read_items(items, self.struct, "read"))
        except Exception as e:
            raise PythonException(worker_message(e), "PYTHON_EXCEPTION") from e
        return pa.concat_tables([self.schema.empty_table(), *(t.cast(self.schema) for t in tables)])

    def commit(self, end: Any) -> None:
        (self._reader or self._simple).commit(end)

    def stop(self) -> None:
        if self._reader is not None:
            self._reader.stop()


def stream_source(
    source_class: type[DataSource], options: dict[str, str], schema: T.StructType | None
) -> PythonStreamSource:
    source = source_class(source_options(options, options.get("path")))
    return PythonStreamSource(source, source_schema(source, schema))


class PythonStreamSink:
    """A Python ``DataSourceStreamWriter`` as a micro-batch sink: ``write`` the batch's rows,
    then ``commit(messages, batchId)`` (``abort`` when writing failed). A batch re-run after a
    crash comes again with the same ``batchId``: the writer makes it idempotent, as in Spark."""

    def __init__(self, writer: Any, schema: T.StructType, name: str) -> None:
        self._writer = writer
        self._schema = schema
        self.description = f"PythonStreamingSink[{name}]"

    def add_batch(self, batch_id: int, table: pa.Table) -> None:
        messages: list[Any] = []
        try:
            rows = to_rows(table.rename_columns(self._schema.names), self._schema)
            messages.append(self._writer.write(iter(rows)))
        except Exception as e:
            self._writer.abort(messages, batch_id)
            raise PythonException(worker_message(e), "PYTHON_EXCEPTION") from e
        self._writer.commit(messages, batch_id)

    def stop(self) -> None:
        pass


def stream_sink(
    source_class: type[DataSource], options: dict[str, str], schema: T.StructType, mode: str
) -> PythonStreamSink:
    source = source_class(source_options(options, options.get("path")))
    writer = source.streamWriter(schema, mode == "complete")
    return PythonStreamSink(writer, schema, source_class.name())
