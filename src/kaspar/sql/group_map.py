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

import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.arrow_groups import key_values, split_groups
from kaspar.engine.plan import logical as L
from kaspar.engine.type_conversion import parse_data_type, to_arrow
from kaspar.errors import (
    PySparkNotImplementedError,
    PySparkRuntimeError,
    PySparkTypeError,
    PySparkValueError,
    PythonException,
)
from kaspar.sql._local_data import local_table
from kaspar.sql.column import Column

if TYPE_CHECKING:
    from sqlglot import exp

    from kaspar.sql.dataframe import DataFrame

_KEY = "__kaspar_group_key_"


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
            raise PythonException(worker_message(e), "PYTHON_EXCEPTION") from e
        table = pa.concat_tables(parts) if parts else target.empty_table()
        return local_table(table, struct)[0]

    empty = local_table(target.empty_table(), struct)[0]
    relation = L.DeferredRelation(empty, tuple(struct.names), compute=run)
    return DataFrame(df.sparkSession, relation)


def worker_message(error: BaseException) -> str:
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


def numpy_key(key: tuple[pa.Scalar, ...]) -> tuple[Any, ...]:
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
            result = func(numpy_key(key), data) if with_key else func(data)
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
                result = func(numpy_key(key), lf, rf) if with_key else func(lf, rf)
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
        right_by_key = {key_values(k): (k, t) for k, t in right_groups}
        for key, left in left_groups:
            match = right_by_key.pop(key_values(key), None)
            yield key, left, match[1] if match else right_empty
        for key, right in right_by_key.values():
            yield key, left_empty, right


def apply_in_pandas_with_state(  # noqa: PLR0917 - the API's five arguments and the group
    df: DataFrame,
    grouping: tuple[exp.Expr, ...],
    func: Callable[..., Any],
    output: Any,
    state: Any,
    output_mode: str,
    timeout: str,
) -> DataFrame:
    """``applyInPandasWithState``: on a stream, a ``FlatMapGroupsWithState`` node run by the
    streaming engine's ``GroupStateOperator`` (state kept across micro-batches); on a batch
    DataFrame, every group once with an empty state, as Spark runs it."""
    from kaspar.engine.streaming.group_state_operator import NO_TIMESTAMP, StateSlot
    from kaspar.sql._pandas import to_pandas
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.streaming.state import TIMEOUTS, GroupState

    out_struct = result_struct(func, output, "applyInPandasWithState")
    state_struct = parse_data_type(state) if isinstance(state, str) else state
    if not isinstance(state_struct, T.StructType):
        raise PySparkTypeError(
            f"stateStructType should be a StructType or a DDL string, got {state!r}.",
            "NOT_STRUCT",
        )
    mode = str(output_mode).lower()
    if mode not in ("append", "update"):
        raise PySparkValueError(
            f"Unknown output mode {output_mode}. Accepted output modes for "
            "applyInPandasWithState are 'append', 'update'.",
            "INVALID_OUTPUT_MODE",
        )
    if timeout not in TIMEOUTS:
        raise PySparkValueError(
            f"Invalid timeoutConf {timeout!r}: accepted are {', '.join(TIMEOUTS)} "
            "(GroupStateTimeout).",
            "INVALID_TIMEOUT_CONF",
        )

    def process(key: tuple[pa.Scalar, ...], rows: pa.Table, slot: StateSlot) -> list[pa.Table]:
        frames = iter([to_pandas(rows)] if rows.num_rows else [])
        try:
            results = func(numpy_key(key), frames, GroupState(slot))
            return [conform(r, out_struct, "pandas") for r in results]
        except Exception as e:  # the user's function: Spark's PythonException
            raise PythonException(worker_message(e), "PYTHON_EXCEPTION") from e

    source = keyed_input(df, grouping)
    if not df.isStreaming:

        def compute() -> Iterator[pa.Table]:
            for key, group in split_groups(source.toArrow(), len(grouping)):
                slot = StateSlot(None, NO_TIMESTAMP, False, NO_TIMESTAMP, False, 0, timeout)
                yield from process(key, group, slot)

        return deferred_frame(df, out_struct, compute)
    node = L.FlatMapGroupsWithState(
        source._plan, len(grouping), out_struct, state_struct, process, mode, timeout
    )
    return DataFrame(df.sparkSession, node)


_TIME_MODES = ("none", "processingtime", "eventtime")


def transform_with_state(  # noqa: PLR0917 - the API's arguments and the grouping
    df: DataFrame,
    grouping: tuple[exp.Expr, ...],
    processor: Any,
    output: Any,
    output_mode: str,
    time_mode: str,
    initial_state: Any,
    rows_api: bool,
) -> DataFrame:
    """``transformWithStateInPandas`` (``rows_api`` False: pandas DataFrames in and out) and
    ``transformWithState`` (Rows): on a stream, a ``TransformWithState`` node run by the
    streaming engine's ``TransformWithStateOperator``; on a batch DataFrame every group once
    with empty state."""
    from kaspar.engine.streaming.transform_state_operator import KeyedState, TimerValues
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.streaming.stateful_processor import ProcessorRunner

    what = "transformWithState" if rows_api else "transformWithStateInPandas"
    struct, mode, clock_mode = _check_transform(
        what, processor, output, output_mode, time_mode, initial_state
    )
    source = keyed_input(df, grouping)
    n = len(grouping)
    data_struct = T.StructType(source.schema.fields[n:])
    initial_rows, initial_struct = _initial_state(what, initial_state, source, n)
    runner = ProcessorRunner(
        processor, struct, data_struct, rows_api, time_mode=clock_mode, initial=initial_struct
    )
    if not df.isStreaming:

        def compute() -> Iterator[pa.Table]:
            runner.start()
            now = TimerValues(-1, -1)
            states: dict[tuple[object, ...], KeyedState] = {}
            try:
                for key, rows in split_groups(initial_rows(), n) if initial_rows else []:
                    state = states.setdefault(key_values(key), KeyedState())
                    yield from runner.initial(key, rows, state, now)
                for key, group in split_groups(source.toArrow(), n):
                    state = states.setdefault(key_values(key), KeyedState())
                    yield from runner.process(key, group, state, now)
            finally:
                runner.stop()

        return deferred_frame(df, struct, compute)
    node = L.TransformWithState(
        source._plan,
        n,
        struct,
        runner.process,
        runner.expire,
        runner.start,
        runner.stop,
        mode,
        clock_mode,
        initial_rows,
        runner.initial if initial_rows else None,
        runner.uses_ttl,
    )
    return DataFrame(df.sparkSession, node)


def _initial_state(
    what: str, initial: Any, source: DataFrame, n: int
) -> tuple[Callable[[], pa.Table] | None, T.StructType | None]:
    """``initialState=`` (a ``GroupedData``) read when the query needs it: its grouping keys
    first, cast to the input's grouping key types, then every column of its DataFrame; and
    that DataFrame's schema (what ``handleInitialState`` gets)."""
    from kaspar.sql.group import GroupedData

    if initial is None:
        return None, None
    if not isinstance(initial, GroupedData):
        # PySpark asserts it; the message says what is wanted
        raise AssertionError(
            f"{what}: initialState must be a GroupedData (df.groupBy(...)), got "
            f"{type(initial).__name__}."
        )
    if initial._df.isStreaming:
        raise PySparkNotImplementedError(
            f"{what} with a streaming initialState is not supported by kaspar: give it a "
            "batch DataFrame's groupBy(...).",
            "NOT_IMPLEMENTED",
        )
    if len(initial._grouping) != n:
        raise PySparkValueError(
            f"{what}: initialState is grouped by {len(initial._grouping)} column(s), the input "
            f"by {n}; both must be grouped by the same keys.",
            "INITIAL_STATE_GROUPING_MISMATCH",
        )
    keyed = keyed_input(initial._df, initial._grouping)
    struct = T.StructType(keyed.schema.fields[n:])
    key_types = [to_arrow(f.dataType) for f in source.schema.fields[:n]]

    def rows() -> pa.Table:
        table = keyed.toArrow()
        for i, key_type in enumerate(key_types):
            column = table.column(i)
            if column.type == key_type:
                continue
            try:
                column = column.cast(key_type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
                raise PySparkValueError(
                    f"{what}: initialState's grouping key {i + 1} ({column.type}) does not "
                    f"convert to the input's grouping key type ({key_type}): {e}",
                    "INITIAL_STATE_KEY_TYPE_MISMATCH",
                ) from e
            table = table.set_column(i, table.field(i).name, column)
        return table

    return rows, struct


def _check_transform(  # noqa: PLR0917 - the API's arguments
    what: str, processor: Any, output: Any, output_mode: str, time_mode: str, initial: Any
) -> tuple[T.StructType, str, str]:
    """The output schema, output mode and time mode of a ``transformWithState*`` call."""
    if not callable(getattr(processor, "handleInputRows", None)):
        raise PySparkTypeError(
            f"{what} needs a StatefulProcessor, got {type(processor).__name__}.",
            "NOT_STATEFUL_PROCESSOR",
        )
    struct = result_struct(processor.handleInputRows, output, what)
    mode = str(output_mode).lower()
    if mode not in ("append", "update"):
        raise PySparkValueError(
            f"Unknown output mode {output_mode}. Accepted output modes for {what} are "
            "'append', 'update'.",
            "INVALID_OUTPUT_MODE",
        )
    clock_mode = str(time_mode).lower()
    if clock_mode not in _TIME_MODES:
        raise PySparkValueError(
            f"Invalid timeMode {time_mode!r}: accepted are 'None', 'ProcessingTime', 'EventTime'.",
            "INVALID_TIME_MODE",
        )
    return struct, mode, clock_mode
