"""``arrow_udf`` (Spark 4.1): vectorised UDFs over ``pyarrow.Array`` instead of pandas Series.

As ``pandas_udf``, the kind comes from the type hints (or ``functionType``):

* ``SCALAR`` (``pa.Array, ... -> pa.Array``): one call per batch, same length out;
* ``SCALAR_ITER`` (``Iterator[pa.Array] -> Iterator[pa.Array]``, or ``Iterator[Tuple[...]]``
  for several columns): the function gets an iterator over the batches;
* ``GROUPED_AGG`` (``pa.Array, ... -> scalar``): one call per group with the group's values,
  which DuckDB collects as ``list(col)`` (as a grouped aggregate ``pandas_udf``);
* ``GROUPED_AGG_ITER`` (``Iterator[pa.Array] -> scalar``): the same, the values as one batch.

The arrays go to the function and back into DuckDB without any per-row Python.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.type_conversion import to_arrow
from kaspar.engine.udf import PythonUDF
from kaspar.errors import PythonException
from kaspar.sql.column import GROUPED_UDF, Column, to_columns
from kaspar.sql.functions._invoke import names, node
from kaspar.sql.functions.udf import ArrowUDFType, UserDefinedFunction

_GROUPED = (ArrowUDFType.GROUPED_AGG, ArrowUDFType.GROUPED_AGG_ITER)
_ITERATED = (ArrowUDFType.SCALAR_ITER, ArrowUDFType.GROUPED_AGG_ITER)


class ArrowUserDefinedFunction(UserDefinedFunction):
    """An ``arrow_udf``: Arrow arrays in; an array (scalar kinds) or a value per group out."""

    def _python_udf(self, func: Callable[..., Any] | None = None) -> PythonUDF:
        evaluate = (_grouped if self.evalType in _GROUPED else _scalar)(
            self.func if func is None else func, self.returnType, self.evalType in _ITERATED
        )
        return PythonUDF(evaluate, self.returnType, name=self._name, arrow=True)

    def __call__(self, *cols: Any, **kwargs: Any) -> Column:
        exprs = [c.expr for c in to_columns(cols)]
        named = {k: c.expr for k, c in zip(kwargs, to_columns(list(kwargs.values())), strict=True)}
        args = exprs + _keyword_positions(self.func, len(exprs), named)
        if self.evalType in _GROUPED:
            args = [exp.Anonymous(this="list", expressions=[e.copy()]) for e in args]
        shown = [names(e) for e in exprs] + [f"{k} => {names(e)}" for k, e in named.items()]
        call = exp.Anonymous(this=self._sql_name, expressions=args)
        call.meta[GROUPED_UDF] = self.evalType in _GROUPED
        return node(call, f"{self._name}({', '.join(shown)})")


def _keyword_positions(
    func: Callable[..., Any], first: int, named: dict[str, exp.Expr]
) -> list[exp.Expr]:
    """Keyword arguments in the order of the function's parameters after the positional ones."""
    if not named:
        return []
    params = list(inspect.signature(func).parameters)[first:]
    return [named[p].copy() for p in params if p in named]


def _result(value: Any, target: pa.DataType) -> pa.Array:
    if isinstance(value, pa.ChunkedArray):
        value = value.combine_chunks()
    if not isinstance(value, pa.Array):
        raise PythonException(
            "An exception was thrown from the Python worker: [UDF_RETURN_TYPE] Return type of "
            f"the user-defined function should be pyarrow.Array, but is {type(value).__name__}."
        )
    return value if value.type == target else value.cast(target)


def _scalar(func: Callable[..., Any], rtype: T.DataType, iterated: bool) -> Callable[..., Any]:
    target = to_arrow(rtype)

    def evaluate(*chunked: pa.Array) -> pa.Array:
        columns = [_array(c) for c in chunked]
        try:
            if not iterated:
                return _checked_length(_result(func(*columns), target), len(columns[0]))
            batches = iter([columns[0]] if len(columns) == 1 else [tuple(columns)])
            parts = [_result(part, target) for part in func(batches)]
            out = pa.concat_arrays(parts) if parts else pa.array([], type=target)
            return _checked_length(out, len(columns[0]))
        except PythonException:
            raise
        except Exception as e:
            raise PythonException(
                f"An exception was thrown from the Python worker: {type(e).__name__}: {e}"
            ) from e

    return evaluate


def _array(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The function sees one ``pa.Array`` per argument, as in Spark."""
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _checked_length(result: pa.Array, expected: int) -> pa.Array:
    if len(result) != expected:
        raise PythonException(
            "An exception was thrown from the Python worker: [SCHEMA_MISMATCH_FOR_ARROW_UDF] "
            f"The length of output in Scalar iterator arrow UDF should be the same with the "
            f"input's; however, the length of output was {len(result)} and the length of input "
            f"was {expected}."
        )
    return result


def _grouped(func: Callable[..., Any], rtype: T.DataType, iterated: bool) -> Callable[..., Any]:
    """One call per group (a row of ``list(col)`` values); the values gathered into an array."""
    target = to_arrow(rtype)

    def values(column: pa.Array, i: int) -> pa.Array:
        items = column[i].values
        return pa.array([], column.type.value_type) if items is None else items

    def evaluate(*chunked: pa.Array) -> pa.Array:
        lists = [_array(c) for c in chunked]
        out = []
        try:
            for i in range(len(lists[0])):
                group = [values(column, i) for column in lists]
                if iterated:
                    value = func(iter([group[0]] if len(group) == 1 else [tuple(group)]))
                else:
                    value = func(*group)
                out.append(_python_value(value))
        except Exception as e:
            raise PythonException(
                f"An exception was thrown from the Python worker: {type(e).__name__}: {e}"
            ) from e
        return pa.array(out, type=target)

    return evaluate


def _python_value(value: Any) -> Any:
    if isinstance(value, pa.Scalar):
        return value.as_py()
    return value.item() if hasattr(value, "item") else value


def _eval_type(func: Callable[..., Any], functionType: int | None) -> int:
    """The kind the hints say: Arrays or an Iterator in; an Array, an Iterator or a value out."""
    if functionType is not None:
        return functionType
    try:
        hints = typing.get_type_hints(func)
    except (NameError, TypeError):
        return ArrowUDFType.SCALAR
    returns = hints.pop("return", None)
    params = [hints.get(p) for p in inspect.signature(func).parameters]
    iterator_in = len(params) == 1 and _is_iterator(params[0])
    if returns is None or _is_iterator(returns):
        return ArrowUDFType.SCALAR_ITER if iterator_in else ArrowUDFType.SCALAR
    if getattr(returns, "__name__", "") in ("Array", "ChunkedArray"):
        return ArrowUDFType.SCALAR
    return ArrowUDFType.GROUPED_AGG_ITER if iterator_in else ArrowUDFType.GROUPED_AGG


def _is_iterator(hint: Any) -> bool:
    origin = typing.get_origin(hint)
    return origin is not None and getattr(origin, "__name__", "") in ("Iterator", "Iterable")


def arrow_udf(
    f: Callable[..., Any] | T.DataType | str | None = None,
    returnType: T.DataType | str | int | None = None,
    functionType: int | None = None,
) -> Any:
    """A UDF over ``pyarrow.Array`` batches: ``@arrow_udf("long")`` or ``arrow_udf(f, type)``."""
    if isinstance(returnType, int):  # the (returnType, functionType) order
        functionType, returnType = returnType, None
    if f is None or isinstance(f, T.DataType | str):
        rtype = f if f is not None else returnType
        return lambda func: ArrowUserDefinedFunction(
            func, rtype, evalType=_eval_type(func, functionType)
        )
    return ArrowUserDefinedFunction(f, returnType, evalType=_eval_type(f, functionType))


__all__ = ["ArrowUDFType", "arrow_udf"]
