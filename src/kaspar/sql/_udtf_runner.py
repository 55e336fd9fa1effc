"""Python user-defined table functions (UDTFs), evaluated over Arrow batches inside DuckDB.

A UDTF call runs as a scalar Arrow function that returns, for each input row, the list of rows
the handler produced for it (``list<struct>``); the plan then explodes that list and reads the
struct's fields as columns. So a UDTF composes with everything else in a query: a lateral join
passes each left row's values, and the SQL forms (``FROM f(1)``, ``LATERAL f(t.x)``) compile to
the same call.

Three input shapes, one output shape:

* ``rows``: one value per argument per row (scalar arguments, or a TABLE argument as a struct).
  Per batch: 1. create the handler, 2. ``eval`` each row in order, 3. ``terminate`` once, its
  rows attached to the batch's last row (Spark associates them with the last row consumed).
* ``partitions``: a TABLE argument with PARTITION BY (or a single partition): each input row is
  a whole partition, a list of structs with their position; per partition: 1. create the
  handler, 2. ``eval`` each row in the requested order, 3. ``terminate``.
* ``arrow``: ``arrow_udtf``: ``eval`` gets the batch (a ``pa.RecordBatch`` for a TABLE
  argument, ``pa.Array`` per scalar argument) and yields ``pa.Table``/``pa.RecordBatch``; the
  whole output belongs to the batch's only row (a partition or the one-row call).

One Python ``eval`` call per input row is the UDTF contract; the output rows are converted to
Arrow column by column, in bulk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from kaspar.engine import types as T
from kaspar.engine.type_conversion import to_arrow
from kaspar.errors import PythonException

POSITION = "__udtf_pos"  # a partition row's position in the requested order


@dataclass(frozen=True, eq=False)
class UdtfCall:
    """One call site: the handler class, its output schema, how its arguments arrive."""

    handler: type
    schema: T.StructType
    keywords: tuple[str | None, ...]  # per argument: its keyword, or None when positional
    table_index: int | None = None  # which argument is the TABLE argument
    shape: str = "rows"  # rows | partitions | arrow
    analyze_result: Any = None  # passed to ``__init__`` when the handler takes it
    name: str = ""
    padded: bool = False  # the first column only carries the batch's row count (no arguments)
    _init_takes_result: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        import inspect

        init = inspect.getattr_static(self.handler, "__init__")
        takes = False
        if init is not object.__init__:
            kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            params = inspect.signature(init).parameters.values()
            takes = len([p for p in params if p.kind in kinds]) >= 2
        object.__setattr__(self, "_init_takes_result", takes)

    @property
    def arrow_type(self) -> pa.DataType:
        return pa.list_(to_arrow(self.schema))

    def evaluate(self, *columns: pa.Array) -> pa.Array:
        """DuckDB's Arrow UDF protocol: one batch of argument columns in, one list per row."""
        n = len(columns[0])
        if self.padded:
            columns = columns[1:]
        try:
            if self.shape == "arrow":
                return self._evaluate_arrow(columns, n)
            if self.shape == "partitions":
                return self._evaluate_partitions(columns)
            return self._evaluate_rows(columns, n)
        except PythonException:
            raise
        except Exception as e:  # the handler failed: Spark raises PythonException
            raise PythonException(f"{_WORKER}{type(e).__name__}: {e}") from e

    def _instance(self) -> Any:
        if self._init_takes_result and self.analyze_result is not None:
            return self.handler(self.analyze_result)
        return self.handler()

    def _eval_into(self, handler: Any, values: Sequence[Any], rows: list[Any]) -> bool:
        """``eval`` one row into ``rows``; True when the rest of the partition is skipped."""
        from kaspar.sql.udtf import SkipRestOfInputTableException

        try:
            produced = self._invoke(handler.eval, values)
        except SkipRestOfInputTableException:
            return True
        return _consume(produced, rows, "eval")

    def _invoke(self, method: Callable[..., Any], values: Sequence[Any]) -> Any:
        from kaspar.sql.udtf import SkipRestOfInputTableException

        args = [v for v, k in zip(values, self.keywords, strict=True) if k is None]
        kwargs = {k: v for v, k in zip(values, self.keywords, strict=True) if k is not None}
        try:
            return method(*args, **kwargs)
        except (SkipRestOfInputTableException, PythonException):
            raise
        except Exception as e:
            raise exec_error(method.__name__, e) from e

    def _evaluate_rows(self, columns: Sequence[pa.Array], n: int) -> pa.Array:
        values = [_python_values(c, i == self.table_index) for i, c in enumerate(columns)]
        rows: list[Any] = []
        counts = [0] * n
        handler = self._instance()
        for i in range(n):
            before = len(rows)
            if self._eval_into(handler, [v[i] for v in values], rows):
                break
            counts[i] = len(rows) - before
        before = len(rows)
        _terminate(handler, rows)
        if n:
            counts[-1] += len(rows) - before
        return self._lists(rows, counts)

    def _evaluate_partitions(self, columns: Sequence[pa.Array]) -> pa.Array:
        assert self.table_index is not None
        partitions = _ordered_partitions(columns[self.table_index])
        scalars = [c.to_pylist() for c in columns]
        rows: list[Any] = []
        counts: list[int] = []
        for i, table_rows in enumerate(partitions):
            before = len(rows)
            if table_rows:
                handler = self._instance()
                for row in table_rows:
                    values = [row if j == self.table_index else s[i] for j, s in enumerate(scalars)]
                    if self._eval_into(handler, values, rows):
                        break
                _terminate(handler, rows)
            counts.append(len(rows) - before)
        return self._lists(rows, counts)

    def _evaluate_arrow(self, columns: Sequence[pa.Array], n: int) -> pa.Array:
        target = to_arrow(self.schema)
        assert isinstance(target, pa.StructType)
        schema = pa.schema(list(target))
        counts = [0] * n
        tables: list[pa.Table] = []
        for i, args in self._arrow_groups(columns, n):
            handler = self._instance()
            out = _arrow_tables(self._invoke(handler.eval, args), schema, "eval")
            if hasattr(handler, "terminate"):
                out.extend(_arrow_tables(handler.terminate(), schema, "terminate"))
            if hasattr(handler, "cleanup"):
                handler.cleanup()
            counts[i] += sum(t.num_rows for t in out)
            tables.extend(out)
        table = pa.concat_tables(tables) if tables else schema.empty_table()
        return _lists_of(_struct_of(table, target), counts)

    def _arrow_groups(self, columns: Sequence[pa.Array], n: int) -> list[tuple[int, list[Any]]]:
        """(the row that owns the output, the ``eval`` arguments) per handler instance: one per
        partition of a partitioned TABLE argument, else one for the whole batch."""
        columns = [_combined(c) for c in columns]
        table = self.table_index
        if table is not None and pa.types.is_list(columns[table].type):
            groups = []
            for i, batch in enumerate(_partition_batches(columns[table])):
                if batch is not None:
                    args = [batch if j == table else c.slice(i, 1) for j, c in enumerate(columns)]
                    groups.append((i, args))
            return groups
        if not n:
            return []
        args = [
            pa.RecordBatch.from_struct_array(c) if j == table else c for j, c in enumerate(columns)
        ]
        return [(n - 1, args)]

    def _lists(self, rows: list[Any], counts: list[int]) -> pa.Array:
        target = to_arrow(self.schema)
        assert isinstance(target, pa.StructType)
        return _lists_of(_struct_array(rows, self.schema, target), counts)


def _python_values(column: pa.Array, is_table: bool) -> list[Any]:
    values = column.to_pylist()
    if not is_table:
        return [_rows_in(v) for v in values] if pa.types.is_struct(column.type) else values
    return [_row(v) for v in values]


def _row(value: dict[str, Any] | None) -> Any:
    from kaspar.sql.row import Row

    if value is None:
        return None
    return Row(**{k: _rows_in(v) for k, v in value.items() if k != POSITION})


def _rows_in(value: Any) -> Any:
    """Nested structs as Rows, as Spark passes them to Python."""
    if isinstance(value, dict):
        return _row(value)
    if isinstance(value, list):
        return [_rows_in(v) for v in value]
    return value


def _consume(produced: Any, rows: list[Any], method: str) -> bool:
    """Append what ``eval``/``terminate`` yielded; True when it asked to skip the rest of the
    partition (``SkipRestOfInputTableException``)."""
    from kaspar.sql.udtf import SkipRestOfInputTableException

    if produced is None:
        return False
    if isinstance(produced, str | bytes) or not isinstance(produced, Iterable):
        raise PythonException(
            f"{_WORKER}[UDTF_RETURN_NOT_ITERABLE] The return value of the '{method}' method of "
            "the UDTF is invalid. It should be an iterable (e.g., generator or list), but got "
            f"'{type(produced).__name__}'. Please make sure that the UDTF returns one of these "
            "types."
        )
    try:
        rows.extend(produced)
    except SkipRestOfInputTableException:
        return True
    except PythonException:
        raise
    except Exception as e:
        raise exec_error(method, e) from e
    return False


_WORKER = "An exception was thrown from the Python worker: "


def schema_mismatch(expected: int, actual: int, method: str) -> PythonException:
    return PythonException(
        f"{_WORKER}[UDTF_RETURN_SCHEMA_MISMATCH] The number of columns in the result does not "
        f"match the specified schema. Expected column count: {expected}, Actual column count: "
        f"{actual}. Please make sure the values returned by the '{method}' method have the same "
        "number of columns as specified in the output schema."
    )


def exec_error(method: str, e: Exception) -> PythonException:
    """The user's ``eval``/``terminate`` failed: Spark's UDTF_EXEC_ERROR in a PythonException."""
    return PythonException(
        f"{_WORKER}[UDTF_EXEC_ERROR] User defined table function encountered an error in the "
        f"'{method}' method: {e}"
    )


def _terminate(handler: Any, rows: list[Any]) -> None:
    """``terminate`` (its rows added), then ``cleanup``: the end of one handler instance."""
    try:
        if hasattr(handler, "terminate"):
            try:
                produced = handler.terminate()
            except PythonException:
                raise
            except Exception as e:
                raise exec_error("terminate", e) from e
            _consume(produced, rows, "terminate")
    finally:
        if hasattr(handler, "cleanup"):
            handler.cleanup()


def _struct_array(rows: list[Any], schema: T.StructType, target: pa.StructType) -> pa.Array:
    """The rows (tuples, lists, dicts, Rows) as one struct array, built column by column."""
    width = len(schema.fields)
    names = [f.name for f in schema.fields]
    tuples: list[Sequence[Any]] = []
    for row in rows:
        if row is None:
            tuples.append([None] * width)
        elif not isinstance(row, tuple | list | dict):
            if width != 1:
                raise PythonException(
                    f"{_WORKER}[UDTF_INVALID_OUTPUT_ROW_TYPE] The type of an individual output "
                    "row in the 'eval' method of the UDTF is invalid. Each row should be a "
                    f"tuple, list, or dict, but got '{type(row).__name__}'. Please make sure "
                    "that the output rows are of the correct type."
                )
            tuples.append([row])  # one column: a bare value is the row (Spark's Arrow path)
        elif isinstance(row, dict):
            tuples.append([row.get(n) for n in names])
        elif hasattr(row, "asDict") and getattr(row, "__fields__", None):
            d = row.asDict()
            tuples.append([d.get(n) for n in names])
        else:
            if len(row) != width:
                raise schema_mismatch(width, len(row), "eval")
            tuples.append(row)
    columns = list(zip(*tuples, strict=True)) if tuples else [() for _ in names]
    children = [_child(values, target.field(i).type) for i, values in enumerate(columns)]
    return pa.StructArray.from_arrays(children, fields=list(target))


def _child(values: Sequence[Any], arrow_type: pa.DataType) -> pa.Array:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pa.array([_text(v) for v in values], type=arrow_type)
    return pa.array([_arrow_value(v) for v in values], type=arrow_type)


def _text(value: Any) -> Any:
    """A value yielded for a string column, as Spark coerces it (``True`` is ``true``)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _arrow_value(value: Any) -> Any:
    if isinstance(value, tuple) and hasattr(value, "asDict"):
        return value.asDict(recursive=True)
    return value


def _lists_of(values: pa.Array, counts: list[int]) -> pa.Array:
    offsets = pa.array([0, *_running(counts)], type=pa.int32())
    return pa.ListArray.from_arrays(offsets, values)


def _running(counts: list[int]) -> list[int]:
    total, out = 0, []
    for c in counts:
        total += c
        out.append(total)
    return out


def _combined(column: Any) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _ordered_partitions(lists: pa.Array) -> list[list[Any]]:
    """Each partition's rows (as Rows) in the requested order (their POSITION field)."""
    lists = _combined(lists)
    values = lists.flatten()
    parents = pc.list_parent_indices(lists)
    index = pa.array(range(len(values)), type=pa.int64())
    table = pa.table({"p": parents, "pos": values.field(POSITION), "i": index})
    table = table.sort_by([("p", "ascending"), ("pos", "ascending")])
    ordered = values.take(table.column("i")).to_pylist()
    partitions: list[list[Any]] = [[] for _ in range(len(lists))]
    for p, row in zip(table.column("p").to_pylist(), ordered, strict=True):
        partitions[p].append(_row(row))
    return partitions


def _partition_batches(lists: pa.Array) -> list[pa.RecordBatch | None]:
    """Each partition as one record batch in the requested order, without its position."""
    out: list[pa.RecordBatch | None] = []
    for i in range(len(lists)):
        part = lists[i].values
        if part is None or len(part) == 0:
            out.append(None)
            continue
        batch = pa.RecordBatch.from_struct_array(part)
        batch = batch.take(pc.sort_indices(batch.column(POSITION)))
        out.append(batch.drop_columns([POSITION]))
    return out


def _arrow_tables(produced: Any, schema: pa.Schema, method: str) -> list[pa.Table]:
    if produced is None:
        return []
    out = []
    for produced_item in produced:
        item = produced_item
        if isinstance(item, pa.RecordBatch):
            item = pa.Table.from_batches([item])
        if not isinstance(item, pa.Table):
            raise PythonException(
                f"{_WORKER}[UDTF_ARROW_TYPE_CONVERSION_ERROR] PyArrow UDTF must return an "
                "iterator of pyarrow.Table or pyarrow.RecordBatch objects."
            )
        if item.num_columns != len(schema):
            raise schema_mismatch(len(schema), item.num_columns, method)
        out.append(item.rename_columns(schema.names).cast(schema))
    return out


def _struct_of(table: pa.Table, target: pa.StructType) -> pa.Array:
    table = table.combine_chunks()
    children = [_combined(table.column(i)) for i in range(table.num_columns)]
    if not children or not table.num_rows:
        return pa.array([], type=target)
    return pa.StructArray.from_arrays(children, fields=list(target))
