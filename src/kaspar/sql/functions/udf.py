"""User-defined functions: ``udf`` (row at a time) and ``pandas_udf`` (vectorised).

Both run inside DuckDB as Arrow functions (``kaspar.engine.udf``): a ``udf`` sees Python values
per row, a scalar ``pandas_udf`` one pandas Series per argument for a whole batch. A grouped
aggregate ``pandas_udf`` (Series in, one value out, as PySpark infers from the type hints or
``PandasUDFType.GROUPED_AGG``) is ``f(list(col))``: DuckDB collects each group's values, and the
function sees them as one pandas Series per argument.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.type_conversion import parse_data_type, to_arrow
from kaspar.engine.udf import PythonUDF, register
from kaspar.errors import PySparkTypeError
from kaspar.sql.column import GROUPED_UDF, Column, to_columns
from kaspar.sql.functions._invoke import names, node


def _data_type(value: T.DataType | str | None) -> T.DataType:
    if value is None:
        return T.StringType()
    if isinstance(value, T.DataType):
        return value
    if isinstance(value, str):
        return parse_data_type(value)
    raise PySparkTypeError(
        "[NOT_EXPECTED_TYPE] Argument `returnType` should be a DataType or str, "
        f"got {type(value).__name__}.",
        "NOT_EXPECTED_TYPE",
    )


class UserDefinedFunction:
    """A Python function callable on Columns (PySpark ``UserDefinedFunction``)."""

    def __init__(
        self,
        func: Callable[..., Any],
        returnType: T.DataType | str | None = None,
        name: str | None = None,
        vectorized: bool = False,
        evalType: int | None = None,
    ) -> None:
        if not callable(func):
            raise PySparkTypeError(
                f"[NOT_CALLABLE] Argument `func` should be a callable, got {type(func).__name__}.",
                "NOT_CALLABLE",
            )
        self.func = func
        self.returnType = _data_type(returnType)
        self._name = str(name or getattr(func, "__name__", type(func).__name__))
        self.evalType = evalType or (200 if vectorized else 100)
        self.deterministic = True
        self._sql_names: dict[tuple[str, ...], str] = {}
        self._sql_name = self._registered(())
        functools.update_wrapper(self, func)

    def _python_udf(self, func: Callable[..., Any] | None = None) -> PythonUDF:
        """How ``func`` (this function, or it with keyword arguments bound by position) runs
        over a batch (``arrow_udf`` has its own kinds)."""
        func = self.func if func is None else func
        if self.evalType == PandasUDFType.GROUPED_AGG:
            grouped = _grouped(func, self.returnType)
            return PythonUDF(grouped, self.returnType, name=self._name, arrow=True)
        if self.evalType == ArrowUDFType.SCALAR:
            typed = _as_type(func, self.returnType)
            return PythonUDF(typed, self.returnType, name=self._name, arrow=True)
        vectorized = self.evalType == PandasUDFType.SCALAR
        return PythonUDF(func, self.returnType, vectorized, self._name)

    def _registered(self, keywords: tuple[str, ...]) -> str:
        """The SQL name of this function called with ``keywords`` after the positional
        arguments (registered once per set of keyword names)."""
        if keywords in self._sql_names:
            return self._sql_names[keywords]
        func = _with_keywords(self.func, keywords) if keywords else None
        self._sql_names[keywords] = register(self._python_udf(func))
        return self._sql_names[keywords]

    def __call__(self, *cols: Any, **kwargs: Any) -> Column:
        exprs = [c.expr for c in to_columns(cols)]
        keyword_exprs = [c.expr for c in to_columns(list(kwargs.values()))] if kwargs else []
        args = exprs + keyword_exprs
        if self.evalType == PandasUDFType.GROUPED_AGG:
            args = [exp.Anonymous(this="list", expressions=[e.copy()]) for e in args]
        call = exp.Anonymous(this=self._registered(tuple(kwargs)), expressions=args)
        call.meta[GROUPED_UDF] = self.evalType == PandasUDFType.GROUPED_AGG
        shown = [names(e) for e in exprs]
        shown += [f"{k} => {names(e)}" for k, e in zip(kwargs, keyword_exprs, strict=True)]
        return node(call, f"{self._name}({', '.join(shown)})")

    def asNondeterministic(self) -> UserDefinedFunction:
        self.deterministic = False
        return self


def _with_keywords(func: Callable[..., Any], keywords: tuple[str, ...]) -> Callable[..., Any]:
    """``func`` taking its last ``len(keywords)`` arguments as those keyword arguments."""
    count = len(keywords)

    def call(*args: Any) -> Any:
        positional, named = args[: len(args) - count], args[len(args) - count :]
        return func(*positional, **dict(zip(keywords, named, strict=True)))

    return call


def _as_type(func: Callable[..., Any], rtype: T.DataType) -> Callable[..., pa.Array]:
    """An Arrow UDF's result cast to its declared type (``pc.add`` of ints gives int64)."""
    target = to_arrow(rtype)

    def call(*arrays: pa.Array) -> pa.Array:
        result = func(*arrays)
        if not isinstance(result, pa.Array | pa.ChunkedArray):
            result = pa.array(result)
        return result.cast(target)

    return call


def _hinted_eval_type(func: Callable[..., Any]) -> int | None:
    """The vectorised kind a plain ``udf``'s type hints ask for (pandas Series or Arrow
    arrays on every argument and the result), or None for a row-at-a-time UDF."""
    signature = inspect.signature(func)
    params = list(signature.parameters.values())
    hints = [p.annotation for p in params] + [signature.return_annotation]
    if not params or any(h is inspect.Parameter.empty for h in hints):
        return None
    kinds = {_hint_kind(h) for h in hints}
    if kinds == {"pandas.Series"}:
        return PandasUDFType.SCALAR
    if kinds == {"pyarrow.Array"}:
        return ArrowUDFType.SCALAR
    return None


_ALIASES = {"pd": "pandas", "pa": "pyarrow"}


def _hint_kind(hint: Any) -> str:
    """``pandas.Series``, ``pyarrow.Array`` or the hint's own name; a hint written as text
    (``from __future__ import annotations``) by its spelling (``pd.Series``)."""
    if isinstance(hint, str):
        package, _, name = hint.strip().rpartition(".")
        return f"{_ALIASES.get(package, package)}.{name}"
    package = str(getattr(hint, "__module__", "")).split(".")[0]
    return f"{package}.{getattr(hint, '__name__', '')}"


def udf(
    f: Callable[..., Any] | T.DataType | str | None = None,
    returnType: T.DataType | str | None = None,
    *,
    useArrow: bool | None = None,
) -> Any:
    """``udf(f, returnType)`` or ``@udf(returnType=...)`` / ``@udf("int")`` / ``@udf``; type
    hints of pandas Series or Arrow arrays make it vectorised (unless ``useArrow`` is set)."""

    def build(func: Callable[..., Any], rtype: T.DataType | str | None) -> UserDefinedFunction:
        kind = _hinted_eval_type(func) if useArrow is None else None
        return UserDefinedFunction(func, rtype, evalType=kind)

    if f is None or isinstance(f, T.DataType | str):
        rtype = f if f is not None else returnType
        return lambda func: build(func, rtype)
    return build(f, returnType)


def call_udf(udfName: str, *cols: Any) -> Column:
    """Call the function registered as ``udfName`` with ``spark.udf.register``."""
    from kaspar.sql.session import SparkSession

    return SparkSession.active().udf.lookup(udfName)(*cols)


class ArrowUDFType:
    """The Arrow UDF kinds (``SCALAR``: Arrow arrays in, an Arrow array out)."""

    SCALAR = 250
    SCALAR_ITER = 251
    GROUPED_AGG = 252
    GROUPED_AGG_ITER = 254


class PandasUDFType:
    """The pandas UDF kinds of PySpark 2.x (``SCALAR`` and ``GROUPED_AGG`` are supported)."""

    SCALAR = 200
    SCALAR_ITER = 204
    GROUPED_MAP = 201
    GROUPED_AGG = 202


def _grouped(func: Callable[..., Any], rtype: T.DataType) -> Callable[..., pa.Array]:
    """A grouped aggregate over list columns: ``func`` once per row (group), Series in."""
    target = to_arrow(rtype)

    def values(column: pa.Array, i: int) -> Any:
        items = column[i].values
        return (pa.array([], column.type.value_type) if items is None else items).to_pandas()

    def evaluate(*lists: pa.Array) -> pa.Array:
        out = []
        for i in range(len(lists[0])):
            value = func(*(values(column, i) for column in lists))
            out.append(value.item() if hasattr(value, "item") else value)
        return pa.array(out, type=target, from_pandas=True)

    return evaluate


def _eval_type(func: Callable[..., Any], functionType: int | None) -> int:
    """``GROUPED_AGG`` when asked, or when the hints say Series in and a scalar out."""
    if functionType is not None:
        return functionType
    try:
        hints = typing.get_type_hints(func)
    except (NameError, TypeError):
        return PandasUDFType.SCALAR
    returns = hints.pop("return", None)
    params = list(inspect.signature(func).parameters)
    series = [getattr(hints.get(p), "__name__", "") == "Series" for p in params]
    frame_like = getattr(returns, "__name__", "") in ("Series", "DataFrame", "Iterator")
    if params and all(series) and returns is not None and not frame_like:
        return PandasUDFType.GROUPED_AGG
    return PandasUDFType.SCALAR


def pandas_udf(
    f: Callable[..., Any] | T.DataType | str | None = None,
    returnType: T.DataType | str | int | None = None,
    functionType: int | None = None,
) -> Any:
    """A vectorised UDF: scalar (Series in, Series out) or grouped aggregate (Series in, a
    value out)."""
    if isinstance(returnType, int):  # the old (returnType, functionType) order
        functionType, returnType = returnType, None
    if f is None or isinstance(f, T.DataType | str):
        rtype = f if f is not None else returnType
        return lambda func: UserDefinedFunction(
            func, rtype, vectorized=True, evalType=_eval_type(func, functionType)
        )
    return UserDefinedFunction(f, returnType, vectorized=True, evalType=_eval_type(f, functionType))


__all__ = ["ArrowUDFType", "PandasUDFType", "UserDefinedFunction", "call_udf", "pandas_udf", "udf"]
