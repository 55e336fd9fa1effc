"""Python user-defined table functions: ``udtf``, ``arrow_udtf`` and ``spark.udtf``.

A UDTF is a class whose ``eval`` yields rows (and optional ``terminate`` yields more at the end
of a partition). Calling it with Columns, or with one TABLE argument (``df.asTable()``), gives a
DataFrame: the call is a Python function over Arrow batches that returns each input row's output
rows as a list (``kaspar.sql._udtf_runner``), exploded into the schema's columns. The schema is the
``returnType`` or what the static ``analyze`` method returns for the arguments' types.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.type_conversion import parse_data_type
from kaspar.engine.udf import PythonUDF, register
from kaspar.errors import PySparkAttributeError, PySparkTypeError
from kaspar.sql._udtf_runner import POSITION, UdtfCall
from kaspar.sql.column import Column, to_columns
from kaspar.sql.table_arg import TableArg

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession

SQL_TABLE_UDF = 300
SQL_ARROW_TABLE_UDF = 301
SQL_ARROW_UDTF = 302
_ROW = "__udtf_row"
_ROWS = "__udtf_rows"


@dataclass(frozen=True)
class AnalyzeArgument:
    """An argument as ``analyze`` sees it: its type, its value when constant, whether a table."""

    dataType: T.DataType
    value: Any | None
    isTable: bool
    isConstantExpression: bool


@dataclass(frozen=True)
class PartitioningColumn:
    name: str


@dataclass(frozen=True)
class OrderingColumn:
    name: str
    ascending: bool = True
    overrideNullsFirst: bool | None = None


@dataclass(frozen=True)
class SelectedColumn:
    name: str
    alias: str = ""


@dataclass
class AnalyzeResult:
    """What ``analyze`` returns: the output schema, and how to partition a TABLE argument."""

    schema: T.StructType
    withSinglePartition: bool = False
    partitionBy: Any = field(default_factory=tuple)
    orderBy: Any = field(default_factory=tuple)
    select: Any = field(default_factory=tuple)


class SkipRestOfInputTableException(Exception):
    """Raised by ``eval``: the rest of this partition is skipped, ``terminate`` still runs."""


def _validate_handler(cls: Any, returnType: Any) -> None:
    if not isinstance(cls, type):
        raise PySparkTypeError(
            "The UDTF is invalid. The function handler must be a class, but got "
            f"'{type(cls).__name__}'. Please provide a class as the function handler.",
            "INVALID_UDTF_HANDLER_TYPE",
            {"type": type(cls).__name__},
        )
    name = cls.__name__
    if not hasattr(cls, "eval"):
        raise PySparkAttributeError(
            f"The UDTF '{name}' is invalid. It does not implement the required 'eval' method. "
            f"Please implement the 'eval' method in '{name}' and try again.",
            "INVALID_UDTF_NO_EVAL",
            {"name": name},
        )
    has_analyze = hasattr(cls, "analyze")
    static = has_analyze and isinstance(inspect.getattr_static(cls, "analyze"), staticmethod)
    if returnType is None and not static:
        raise PySparkAttributeError(
            f"The UDTF '{name}' is invalid. It does not specify its return type or implement "
            "the required 'analyze' static method. Please specify the return type or implement "
            f"the 'analyze' static method in '{name}' and try again.",
            "INVALID_UDTF_RETURN_TYPE",
            {"name": name},
        )
    if returnType is not None and has_analyze:
        raise PySparkAttributeError(
            f"The UDTF '{name}' is invalid. It has both its return type and an 'analyze' "
            "attribute. Please make it have one of either the return type or the 'analyze' "
            f"static method in '{name}' and try again.",
            "INVALID_UDTF_BOTH_RETURN_TYPE_AND_ANALYZE",
            {"name": name},
        )


class UserDefinedTableFunction:
    """A UDTF: call it with Columns (or one ``TableArg``) to get a DataFrame."""

    def __init__(
        self,
        func: type,
        returnType: T.StructType | str | None = None,
        name: str | None = None,
        evalType: int = SQL_TABLE_UDF,
        deterministic: bool = False,
    ) -> None:
        _validate_handler(func, returnType)
        self.func = func
        self._returnType = returnType
        self._name = name or func.__name__
        self.evalType = evalType
        self.deterministic = deterministic

    @property
    def returnType(self) -> T.StructType | None:
        if self._returnType is None:
            return None
        parsed = (
            parse_data_type(self._returnType)
            if isinstance(self._returnType, str)
            else self._returnType
        )
        if not isinstance(parsed, T.StructType):
            raise PySparkTypeError(
                f"Mismatch in return type for the UDTF '{self._name}'. Expected a 'StructType', "
                f"but got '{parsed}'. Please ensure the return type is a correctly formatted "
                "StructType.",
                "UDTF_RETURN_TYPE_MISMATCH",
                {"name": self._name, "return_type": str(parsed)},
            )
        return parsed

    def asDeterministic(self) -> UserDefinedTableFunction:
        self.deterministic = True
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> DataFrame:
        from kaspar.sql._udtf_call import call_udtf

        return call_udtf(self, list(args), dict(kwargs))


class UDTFRegistration:
    """``spark.udtf``: UDTFs registered by name for ``spark.sql``."""

    def __init__(self, sparkSession: SparkSession) -> None:
        self.sparkSession = sparkSession
        self._functions: dict[str, UserDefinedTableFunction] = {}

    def register(self, name: str, f: UserDefinedTableFunction) -> UserDefinedTableFunction:
        if not isinstance(f, UserDefinedTableFunction):
            raise PySparkTypeError(
                f"Cannot register the UDTF '{name}': expected a 'UserDefinedTableFunction'. "
                "Please make sure the UDTF is correctly defined as a class, and then either wrap "
                "it in the `udtf()` function or annotate it with `@udtf(...)`.",
                "CANNOT_REGISTER_UDTF",
                {"name": name},
            )
        registered = UserDefinedTableFunction(
            f.func, f._returnType, name, f.evalType, f.deterministic
        )
        self._functions[name.lower()] = registered
        return registered

    def lookup(self, name: str) -> UserDefinedTableFunction | None:
        return self._functions.get(name.lower())


def _create(
    cls: Any, returnType: Any, useArrow: bool | None, arrow_native: bool
) -> UserDefinedTableFunction:
    if arrow_native:
        _validate_handler(cls, returnType)
        if hasattr(cls, "analyze"):
            raise PySparkAttributeError(
                f"The arrow UDTF '{cls.__name__}' is invalid. Arrow UDTFs do not support the "
                f"'analyze' method. Please remove the 'analyze' method from '{cls.__name__}' "
                "and specify a returnType instead.",
                "INVALID_ARROW_UDTF_WITH_ANALYZE",
                {"name": cls.__name__},
            )
        return UserDefinedTableFunction(cls, returnType, evalType=SQL_ARROW_UDTF)
    eval_type = SQL_ARROW_TABLE_UDF if useArrow else SQL_TABLE_UDF
    return UserDefinedTableFunction(cls, returnType, evalType=eval_type)


def udtf(
    cls: type | None = None,
    *,
    returnType: T.StructType | str | None = None,
    useArrow: bool | None = None,
) -> Any:
    """``udtf(Cls, returnType=...)``, ``@udtf(returnType=...)`` or ``@udtf`` (with
    ``analyze``)."""
    if cls is None:
        return lambda c: _create(c, returnType, useArrow, False)
    return _create(cls, returnType, useArrow, False)


def arrow_udtf(cls: type | None = None, *, returnType: T.StructType | str | None = None) -> Any:
    """A UDTF whose ``eval`` gets ``pa.RecordBatch``/``pa.Array`` and yields ``pa.Table``."""
    if cls is None:
        return lambda c: _create(c, returnType, None, True)
    return _create(cls, returnType, None, True)


def udtf_column(call: UdtfCall, args: list[exp.Expr]) -> Column:
    """The call as a Column whose value is the list of output rows of each input row."""
    from kaspar.engine.types import ArrayType

    if not args:
        args = [exp.Literal.number(0)]
        call = UdtfCall(**{**_fields(call), "padded": True})
    udf = PythonUDF(call.evaluate, ArrayType(call.schema, True), name=call.name, arrow=True)
    return Column(exp.Anonymous(this=register(udf), expressions=args))


def _fields(call: UdtfCall) -> dict[str, Any]:
    names = ("handler", "schema", "keywords", "table_index", "shape", "analyze_result", "name")
    return {n: getattr(call, n) for n in names}


def explode_rows(source: DataFrame, rows: Column, schema: T.StructType) -> DataFrame:
    """``source`` with each row replaced by its output rows, as the schema's columns."""
    from kaspar.sql import functions as F

    exploded = source.select(F.explode(rows).alias(_ROW))
    df = exploded.select(*[F.col(_ROW).getField(f.name).alias(f.name) for f in schema.fields])
    _CALLS.add(df.plan)
    return df


_CALLS: weakref.WeakSet[Any] = weakref.WeakSet()  # the plans of UDTF calls
_PENDING: weakref.WeakKeyDictionary[Any, Callable[[DataFrame], DataFrame]] = (
    weakref.WeakKeyDictionary()
)


def pending_call(session: SparkSession, build: Callable[[DataFrame], DataFrame]) -> DataFrame:
    """A call whose schema ``analyze`` gives from ``outer()`` arguments: a stand-in until its
    lateral join, which builds it with the left side (``resolve_lateral``)."""
    from kaspar.sql import functions as F

    stand_in = session.range(1).select(F.lit(None).alias("__udtf_pending"))
    _PENDING[stand_in.plan] = build
    return stand_in


def resolve_lateral(right: DataFrame, left: DataFrame) -> DataFrame:
    """The lateral join's right side, built now if it is a pending UDTF call."""
    build = _PENDING.get(right.plan)
    return right if build is None else build(left)


def is_udtf_call(plan: Any) -> bool:
    """Whether ``plan`` is a UDTF call's own DataFrame (a lateral join with one is inner, even
    when a left join is asked: Spark keeps no left row whose call produced nothing)."""
    return plan in _CALLS


def table_rows(table: TableArg) -> tuple[DataFrame, Column]:
    """The TABLE argument's source and its value per row: a struct of the row, or (when
    partitioned) one row per partition holding the list of its rows with their position."""
    from kaspar.sql import functions as F
    from kaspar.sql.window import Window

    df = table.dataFrame
    columns = list(table.selection) or [df[c] for c in df.columns]
    if not table.partitioned:
        return df, F.struct(*columns)
    order = list(table.ordering) or [F.lit(1)]
    window = Window.partitionBy(*(table.partitions or [F.lit(1)])).orderBy(*order)
    keys = [f"__udtf_key_{i}" for i in range(len(table.partitions))]
    partitions = [p.alias(k) for p, k in zip(table.partitions, keys, strict=True)]
    staged = df.select(*columns, *partitions, F.row_number().over(window).alias(POSITION))
    row = F.struct(*[staged[c] for c in staged.columns[: len(columns)]], staged[POSITION])
    grouped = staged.groupBy(*keys).agg(F.collect_list(row).alias(_ROWS))
    if keys:
        grouped = grouped.orderBy(*keys)
    return grouped, F.col(_ROWS)


def expression(value: Any) -> exp.Expr:
    """An argument as an expression (a Column, a column name, or a literal)."""
    if isinstance(value, Column):
        return value.expr
    return to_columns([value])[0].expr


__all__ = [
    "AnalyzeArgument",
    "AnalyzeResult",
    "OrderingColumn",
    "PartitioningColumn",
    "SelectedColumn",
    "SkipRestOfInputTableException",
    "UDTFRegistration",
    "UserDefinedTableFunction",
    "arrow_udtf",
    "udtf",
]
