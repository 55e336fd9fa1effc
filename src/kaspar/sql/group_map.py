"""Python functions over groups and batches: ``applyInPandas`` / ``applyInArrow`` of a
``groupBy``, ``cogroup(...).applyInPandas`` / ``applyInArrow``, ``mapInPandas`` /
``mapInArrow``.

The result is a :class:`DeferredRelation`: nothing runs until an action needs the rows, as in
Spark, and the function's errors surface there (as ``PythonException``, which is how Spark
reports an error raised in its Python worker). The input is read once, as one Arrow table; it is
split into groups in bulk (the key columns grouped by pyarrow, each group taken by its row
indices), so Python runs once per group, not per row. Group keys are handed over as Spark hands
them: numpy scalars for pandas functions, ``pyarrow.Scalar`` for Arrow ones.
"""

from __future__ import annotations

import inspect
import traceback
import typing
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.type_conversion import parse_data_type, to_arrow
from kaspar.errors import PySparkRuntimeError, PySparkTypeError, PythonException
from kaspar.sql._local_data import local_table
from kaspar.sql.column import Column

if TYPE_CHECKING:
    from sqlglot import exp

    from kaspar.sql.dataframe import DataFrame

_KEY = "__kaspar_group_key_"

Groups = list[tuple[tuple[pa.Scalar, ...], pa.Table]]


def result_struct(func: Any, schema: Any, what: str) -> T.StructType:
    """``schema`` (DDL text or a StructType) checked, and ``func`` checked to be callable."""
    if not callable(func):
        raise PySparkTypeError(
            f"Argument `func` should be a function, got {type(func).__name__}.",
            "NOT_CALLABLE",
            {"arg_name": "func", "arg_type": type(func).__name__},
        )
    struct = parse_data_type(schema) if isinstance(schema, str) else schema
    if not isinstance(struct, T.StructType):
        shown = struct.simpleString() if isinstance(struct, T.DataType) else repr(struct)
        raise PySparkTypeError(
            f"{what} needs a StructType schema, got {shown}.",
            "INVALID_RETURN_TYPE_FOR_PANDAS_UDF",
        )
    return struct


def deferred_frame(
    df: DataFrame, struct: T.StructType, compute: Callable[[], Iterable[pa.Table]]
) -> DataFrame:
    """A DataFrame whose rows ``compute`` yields (Arrow tables already in ``struct``'s
    layout) when a query first reads them."""
    from kaspar.sql.dataframe import DataFrame

    target = arrow_schema(struct)

    def run() -> pa.Table:
        try:
            parts = list(compute())
        except Exception as e:  # the user's function failed, or its result does not fit
            raise PythonException(_worker_message(e), "PYTHON_EXCEPTION") from e
        table = pa.concat_tables(parts) if parts else target.empty_table()
        return local_table(table, struct)[0]

    empty = local_table(target.empty_table(), struct)[0]
    relation = L.DeferredRelation(empty, tuple(struct.names), compute=run)
    return DataFrame(df.sparkSession, relation)


def _worker_message(error: BaseException) -> str:
    """Spark's text for an error in its Python worker: the traceback, ending in the error."""
    lines = traceback.format_exception(error)
    return "An exception was thrown from the Python worker:\n" + "".join(lines).rstrip()


def arrow_schema(struct: T.StructType) -> pa.Schema:
    return pa.schema([pa.field(f.name, to_arrow(f.dataType), f.nullable) for f in struct.fields])


def conform(data: Any, struct: T.StructType, kind: str) -> pa.Table:
    """One result of the user's function as an Arrow table in ``struct``'s columns.

    ``kind`` is ``pandas`` (labels matched by name when they are strings, as Spark assigns
    them, else by position; values converted), ``arrow`` (grouped and cogrouped Arrow
    functions: columns by name, types must already be the schema's, as Spark checks them) or
    ``arrow_cast`` (``mapInArrow``: columns by name, cast safely)."""
    if kind == "pandas":
        if type(data).__module__.split(".")[0] != "pandas" or not hasattr(data, "columns"):
            raise _wrong_type("pandas.DataFrame", data)
        labels = list(data.columns)
        if labels and all(isinstance(c, str) for c in labels):
            _check_names(labels, struct.names)
            data = data[struct.names]
        else:
            _check_count(len(labels), len(struct.names))
            data = data.set_axis(struct.names, axis=1)
        table = pa.Table.from_pandas(data, preserve_index=False)
    else:
        if isinstance(data, pa.RecordBatch):
            data = pa.Table.from_batches([data])
        if not isinstance(data, pa.Table):
            raise _wrong_type("pyarrow.Table", data)
        _check_names(data.column_names, struct.names)
        table = data.select(struct.names)
    target = arrow_schema(struct)
    mismatches = []
    for field, column in zip(target, table.columns, strict=True):
        if kind == "arrow" and not _same_type(column.type, field.type):
            mismatches.append(
                f"column '{field.name}' (expected {field.type}, actual {column.type})"
            )
    if not mismatches:
        try:
            return table.cast(target, safe=kind != "pandas")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            mismatches = [
                f"column '{f.name}' (expected {f.type}, actual {c.type})"
                for f, c in zip(target, table.columns, strict=True)
                if not _same_type(c.type, f.type)
            ]
    raise PySparkRuntimeError(
        "Column types of the returned data do not match specified schema. "
        f"Mismatch: {', '.join(mismatches)}.",
        "RESULT_COLUMN_TYPES_MISMATCH",
    )


def _same_type(actual: pa.DataType, expected: pa.DataType) -> bool:
    """Equal as Spark's types: string and binary in either Arrow width."""
    widths = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
    return bool(widths.get(actual, actual) == widths.get(expected, expected))


def _wrong_type(expected: str, data: Any) -> PySparkTypeError:
    actual = f"{type(data).__module__}.{type(data).__name__}".removeprefix("builtins.")
    return PySparkTypeError(
        f"Return type of the user-defined function should be {expected}, but is {actual}.",
        "UDF_RETURN_TYPE",
    )


def _check_names(actual: list[str], expected: list[str]) -> None:
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    if missing or extra:
        text = (f" Missing: {', '.join(missing)}." if missing else "") + (
            f" Unexpected: {', '.join(extra)}." if extra else ""
        )
        raise PySparkRuntimeError(
            f"Column names of the returned data do not match specified schema.{text}",
            "RESULT_COLUMN_NAMES_MISMATCH",
        )


def _check_count(actual: int, expected: int) -> None:
    if actual != expected:
        raise PySparkRuntimeError(
            "Number of columns of the returned data doesn't "
            f"match specified schema. Expected: {expected} Actual: {actual}",
            "RESULT_COLUMN_SCHEMA_MISMATCH",
        )


# -- groups ---------------------------------------------------------------------------------


def keyed_input(df: DataFrame, grouping: tuple[exp.Expr, ...]) -> DataFrame:
    """The input with the grouping expressions' values in front, as ``__kaspar_group_key_i``."""
    keys = [Column(g.copy()).alias(f"{_KEY}{i}") for i, g in enumerate(grouping)]
    return df.select(*keys, "*")


def split_groups(table: pa.Table, n_keys: int) -> Groups:
    """``table`` (the key columns first) split into its groups, in order of first appearance;
    each group keeps its rows' order and drops the key columns."""
    data = table.select(list(range(n_keys, table.num_columns)))
    if n_keys == 0:
        return [((), data)]
    if table.num_rows == 0:
        return []
    keys = table.select(list(range(n_keys))).rename_columns([f"k{i}" for i in range(n_keys)])
    rows = keys.append_column("__row", pa.array(np.arange(table.num_rows, dtype=np.int64)))
    try:
        grouped = rows.group_by(keys.column_names, use_threads=False).aggregate([("__row", "list")])
    except (pa.ArrowNotImplementedError, pa.ArrowTypeError):  # nested keys: group their text
        text = pa.array([str(r) for r in keys.to_pylist()])  # rare: struct/map/array keys
        grouped = (
            rows.append_column("__text", text)
            .group_by(["__text"], use_threads=False)
            .aggregate([("__row", "list")])
        )
        firsts = pa.array([g[0] for g in grouped.column("__row_list").to_pylist()])
        key_rows = keys.take(firsts)
        return [
            (tuple(key_rows.column(k)[i] for k in range(n_keys)), data.take(indices.values))
            for i, indices in enumerate(grouped.column("__row_list"))
        ]
    lists = grouped.column("__row_list")
    return [
        (tuple(grouped.column(f"k{k}")[i] for k in range(n_keys)), data.take(lists[i].values))
        for i in range(grouped.num_rows)
    ]


def _arity(func: Callable[..., Any]) -> int:
    try:
        return len(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return 1


def _takes_iterator(func: Callable[..., Any]) -> bool:
    """Spark 4.1's iterator forms of ``applyInArrow`` / ``applyInPandas``: the data argument is
    annotated as an iterator (of record batches, of pandas DataFrames). Annotations that do
    not resolve (names imported inside a function, under ``from __future__ import
    annotations``) mean the table form, as in PySpark."""
    try:
        params = list(inspect.signature(func).parameters)
        hints = typing.get_type_hints(func)
    except (NameError, AttributeError, TypeError, ValueError, SyntaxError):
        return False
    if not params or params[-1] not in hints:
        return False
    return typing.get_origin(hints[params[-1]]) in (Iterator, Iterable)


def _numpy_key(key: tuple[pa.Scalar, ...]) -> tuple[Any, ...]:
    """A group key as Spark gives it to pandas functions: numpy scalars where there are."""
    values = []
    for scalar in key:
        value = pa.array([scalar.as_py()], scalar.type).to_numpy(zero_copy_only=False)[0]
        values.append(value)
    return tuple(values)


def apply_in_pandas(
    df: DataFrame, grouping: tuple[exp.Expr, ...], func: Callable[..., Any], schema: Any
) -> DataFrame:
    from kaspar.sql._pandas import to_pandas

    struct = result_struct(func, schema, "applyInPandas")
    with_key = _arity(func) == 2
    source = keyed_input(df, grouping)

    frames = _takes_iterator(func)  # Spark 4.1: iterators of pandas DataFrames in and out

    def compute() -> Iterator[pa.Table]:
        for key, group in split_groups(source.toArrow(), len(grouping)):
            data: Any = to_pandas(group)
            if frames:
                data = iter([data])
            result = func(_numpy_key(key), data) if with_key else func(data)
            for part in result if frames else [result]:
                yield conform(part, struct, "pandas")

    return deferred_frame(df, struct, compute)


def apply_in_arrow(
    df: DataFrame, grouping: tuple[exp.Expr, ...], func: Callable[..., Any], schema: Any
) -> DataFrame:
    struct = result_struct(func, schema, "applyInArrow")
    with_key = _arity(func) == 2
    batches = _takes_iterator(func)
    source = keyed_input(df, grouping)

    def compute() -> Iterator[pa.Table]:
        for key, group in split_groups(source.toArrow(), len(grouping)):
            data: Any = iter(group.to_batches()) if batches else group
            result = func(key, data) if with_key else func(data)
            if batches:
                for batch in result:
                    yield conform(batch, struct, "arrow")
            else:
                yield conform(result, struct, "arrow")

    return deferred_frame(df, struct, compute)


class PandasCogroupedOps:
    """``df1.groupBy(k).cogroup(df2.groupBy(k))``: both sides' groups of a key together."""

    def __init__(self, left: Any, right: Any) -> None:
        if len(left._grouping) != len(right._grouping):
            raise PySparkTypeError(
                "Both sides of a cogroup need the same number of grouping "
                f"keys, got {len(left._grouping)} and {len(right._grouping)}.",
                "INVALID_COGROUP",
            )
        self._left = left
        self._right = right

    def __repr__(self) -> str:
        return "PandasCogroupedOps"

    def applyInPandas(self, func: Callable[..., Any], schema: Any) -> DataFrame:
        from kaspar.sql._pandas import to_pandas

        struct = result_struct(func, schema, "applyInPandas")
        with_key = _arity(func) == 3

        def compute() -> Iterator[pa.Table]:
            for key, left, right in self._cogroups():
                lf, rf = to_pandas(left), to_pandas(right)
                result = func(_numpy_key(key), lf, rf) if with_key else func(lf, rf)
                yield conform(result, struct, "pandas")

        return deferred_frame(self._left._df, struct, compute)

    def applyInArrow(self, func: Callable[..., Any], schema: Any) -> DataFrame:
        struct = result_struct(func, schema, "applyInArrow")
        with_key = _arity(func) == 3

        def compute() -> Iterator[pa.Table]:
            for key, left, right in self._cogroups():
                result = func(key, left, right) if with_key else func(left, right)
                yield conform(result, struct, "arrow")

        return deferred_frame(self._left._df, struct, compute)

    def _cogroups(self) -> Iterator[tuple[tuple[pa.Scalar, ...], pa.Table, pa.Table]]:
        """Every key of either side with both sides' rows for it (an empty table where a side
        has none); keys in the left's order of appearance, then the right's own."""
        n = len(self._left._grouping)
        sides = []
        for grouped in (self._left, self._right):
            table = keyed_input(grouped._df, grouped._grouping).toArrow()
            groups = split_groups(table, n)
            empty = table.select(list(range(n, table.num_columns))).schema.empty_table()
            sides.append((groups, empty))
        (left_groups, left_empty), (right_groups, right_empty) = sides
        right_by_key = {_key_value(k): (k, t) for k, t in right_groups}
        for key, left in left_groups:
            match = right_by_key.pop(_key_value(key), None)
            yield key, left, match[1] if match else right_empty
        for key, right in right_by_key.values():
            yield key, left_empty, right


def _key_value(key: tuple[pa.Scalar, ...]) -> tuple[Any, ...]:
    return tuple(repr(s.as_py()) for s in key)
