"""User-defined functions: ``udf`` (row at a time) and ``pandas_udf`` (vectorised, scalar).

Both run inside DuckDB as Arrow functions (``kaspar.engine.udf``): a ``udf`` sees Python values
per row, a ``pandas_udf`` one pandas Series per argument for a whole batch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.type_conversion import parse_data_type
from kaspar.engine.udf import PythonUDF, register
from kaspar.errors import PySparkTypeError
from kaspar.sql.column import Column, to_columns
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
    ) -> None:
        if not callable(func):
            raise PySparkTypeError(
                f"[NOT_CALLABLE] Argument `func` should be a callable, got {type(func).__name__}.",
                "NOT_CALLABLE",
            )
        self.func = func
        self.returnType = _data_type(returnType)
        self._name = str(name or getattr(func, "__name__", type(func).__name__))
        self.evalType = 200 if vectorized else 100
        self.deterministic = True
        self._sql_name = register(PythonUDF(func, self.returnType, vectorized, self._name))
        functools.update_wrapper(self, func)

    def __call__(self, *cols: Any) -> Column:
        exprs = [c.expr for c in to_columns(cols)]
        call = exp.Anonymous(this=self._sql_name, expressions=exprs)
        return node(call, f"{self._name}({names(*exprs)})")

    def asNondeterministic(self) -> UserDefinedFunction:
        self.deterministic = False
        return self


def udf(
    f: Callable[..., Any] | T.DataType | str | None = None,
    returnType: T.DataType | str | None = None,
    *,
    useArrow: bool | None = None,
) -> Any:
    """``udf(f, returnType)`` or ``@udf(returnType=...)`` / ``@udf("int")`` / ``@udf``."""
    if f is None or isinstance(f, T.DataType | str):
        rtype = f if f is not None else returnType
        return lambda func: UserDefinedFunction(func, rtype)
    return UserDefinedFunction(f, returnType)


class PandasUDFType:
    """The pandas UDF kinds of PySpark 2.x (only ``SCALAR`` is supported)."""

    SCALAR = 200
    SCALAR_ITER = 204
    GROUPED_MAP = 201
    GROUPED_AGG = 202


def pandas_udf(
    f: Callable[..., Any] | T.DataType | str | None = None,
    returnType: T.DataType | str | int | None = None,
    functionType: int | None = None,
) -> Any:
    """A vectorised scalar UDF: pandas Series in, pandas Series out."""
    if isinstance(returnType, int):
        returnType = None  # the old (returnType, functionType) order: only SCALAR is supported
    if f is None or isinstance(f, T.DataType | str):
        rtype = f if f is not None else returnType
        return lambda func: UserDefinedFunction(func, rtype, vectorized=True)
    return UserDefinedFunction(f, returnType, vectorized=True)


__all__ = ["PandasUDFType", "UserDefinedFunction", "pandas_udf", "udf"]
