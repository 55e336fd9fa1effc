"""``Column``: a wrapper around a sqlglot expression, with PySpark's operators and methods."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

import sqlglot
from sqlglot import exp

from kaspar.engine.compile.ansi_interval_arithmetic import (
    interval_arithmetic,
    interval_negation,
    interval_scaling,
    is_interval,
)
from kaspar.engine.compile.ansi_interval_columns import spark_operator
from kaspar.engine.compile.dialect import KasparSpark
from kaspar.engine.plan.attributes import METADATA
from kaspar.engine.plan.naming import (
    SPARK_NAME,
    SPARK_TOP_NAME,
    column_text,
    output_name,
    top_level_name,
)
from kaspar.engine.plan.subquery import OUTER, subquery_expression
from kaspar.engine.type_conversion import parse_data_type, to_sqlglot
from kaspar.engine.types import DataType
from kaspar.errors import PySparkTypeError, PySparkValueError

if TYPE_CHECKING:
    from kaspar.sql.window import WindowSpec


MAP_GENERATOR = "kaspar_map_generator"  # meta: (generator name, outer, argument)
GENERATOR_ALIASES = "kaspar_generator_aliases"  # meta: the names given by alias(a, b, ...)


def named(e: exp.Expr, name: str) -> exp.Expr:
    """Record Spark's output name for ``e``."""
    e.meta[SPARK_NAME] = name
    return e


def aliased(e: exp.Expr, name: str) -> exp.Alias:
    """``e AS `name``` (any name, including SQL keywords such as NULL)."""
    return exp.Alias(this=e, alias=exp.to_identifier(name, quoted=True))


def _field(struct: exp.Expr, name: str) -> exp.Expr:
    return exp.Anonymous(
        this="struct_extract", expressions=[struct.copy(), exp.Literal.string(name)]
    )


def parenthesized(e: exp.Expr) -> exp.Expr:
    """``e`` in parentheses when it is itself an operator (a tree built here has no
    parentheses, and the SQL generator adds none: ``(a + 1) * 2`` must not read ``a + 1 * 2``).
    An alias inside an expression names nothing, as Spark drops it (``x / y.alias("n")``)."""
    if isinstance(e, exp.Alias):
        e = e.this
    if isinstance(e, exp.Binary | exp.Unary) and not isinstance(e, exp.Paren):
        return exp.Paren(this=e)
    return e


def literal(value: Any) -> exp.Expr:
    """The SQL literal for a Python value, typed and named as ``F.lit`` does."""
    if isinstance(value, Column):
        return value.expr
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):
        name = "NaN" if value != value else repr(value)  # noqa: PLR0124
        return named(exp.cast(exp.Literal.string(repr(value)), "DOUBLE"), name)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, decimal.Decimal):
        return named(exp.cast(exp.Literal.string(str(value)), _decimal_type(value)), str(value))
    if isinstance(value, dt.date | dt.time):
        return _temporal_literal(value)
    if isinstance(value, bytes | bytearray):
        text = value.hex().upper()
        return named(exp.Unhex(this=exp.Literal.string(text)), f"X'{text}'")
    if isinstance(value, list | tuple):
        items = [literal(v) for v in value]
        return named(exp.Array(expressions=items), f"array({', '.join(map(output_name, items))})")
    raise PySparkTypeError(f"Unsupported Literal '{value!r}'.", "UNSUPPORTED_LITERAL")


def _temporal_literal(value: dt.date | dt.time) -> exp.Expr:
    """A date, timestamp or TIME literal, named as Spark names it (``DATE '2024-01-02'``)."""
    if isinstance(value, dt.datetime):
        kind, text = "TIMESTAMP", value.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        kind, text = "DATE", value.isoformat()
    else:
        kind, text = "TIME", value.isoformat()
        text = text.rstrip("0") if value.microsecond else text
    return named(exp.cast(exp.Literal.string(text), kind), f"{kind} '{text}'")


def _decimal_type(value: decimal.Decimal) -> exp.DataType:
    _, digits, exponent = value.as_tuple()
    scale = max(0, -int(exponent))
    precision = max(len(digits), scale)
    return exp.DataType.build(f"DECIMAL({precision},{scale})")


def to_expr(value: Any) -> exp.Expr:
    """A Column's expression, or a column reference for a name (PySpark's ColumnOrName)."""
    if isinstance(value, Column):
        return value.expr
    if isinstance(value, str):
        return column_reference(value)
    raise PySparkTypeError(
        "[NOT_COLUMN_OR_STR] Argument `col` should be a Column or str, "
        f"got {type(value).__name__}.",
        "NOT_COLUMN_OR_STR",
    )


def column_reference(name: str) -> exp.Expr:
    """``col("a")``, ``col("t.a")``, ``col("*")``, ``col("`a.b`")``."""
    if name == "*":
        return exp.Star()
    if name.endswith(".*"):
        return exp.Column(this=exp.Star(), table=exp.to_identifier(name[:-2]))
    if "`" in name or "." in name:
        parsed = sqlglot.parse_one(name, dialect=KasparSpark)
        if isinstance(parsed, exp.Column):
            return named(parsed, parsed.name)
    return exp.column(name, quoted=True)


def _other(value: Any) -> exp.Expr:
    return value.expr if isinstance(value, Column) else literal(value)


class Column:
    """A column expression (PySpark ``pyspark.sql.Column``)."""

    __slots__ = ("_expr",)

    def __init__(self, expr: exp.Expr) -> None:
        self._expr = expr

    @property
    def expr(self) -> exp.Expr:
        return self._expr

    def _name(self) -> str:
        return output_name(self._expr)

    def __repr__(self) -> str:
        return f"Column<'{column_text(self._expr)}'>"

    # -- operators ---------------------------------------------------------------------------
    def _bin(self, cls: type[exp.Expr], other: Any, reverse: bool = False) -> Column:
        left, right = parenthesized(self._expr), parenthesized(_other(other))
        if reverse:
            left, right = right, left
        plain = spark_operator(cls(this=left, expression=right))
        if cls in (exp.Add, exp.Sub) and (is_interval(left) or is_interval(right)):
            shifted = interval_arithmetic(left, right, subtract=cls is exp.Sub)
            sign = "-" if cls is exp.Sub else "+"  # Spark's datetime-interval names: no parens
            text = f"{output_name(left)} {sign} {output_name(right)}"
            both = is_interval(left) and is_interval(right)
            return Column(named(shifted, f"({text})" if both else text))
        if cls in (exp.Mul, exp.Div) and (is_interval(left) or is_interval(right)):
            scaled = interval_scaling(left, right, divide=cls is exp.Div)
            if not is_interval(left):  # Spark names n * interval as interval * n
                plain = cls(this=right, expression=left)
            return Column(named(scaled, output_name(plain)))
        return Column(plain)

    def __add__(self, o: Any) -> Column:
        return self._bin(exp.Add, o)

    def __radd__(self, o: Any) -> Column:
        return self._bin(exp.Add, o, True)

    def __sub__(self, o: Any) -> Column:
        return self._bin(exp.Sub, o)

    def __rsub__(self, o: Any) -> Column:
        return self._bin(exp.Sub, o, True)

    def __mul__(self, o: Any) -> Column:
        return self._bin(exp.Mul, o)

    def __rmul__(self, o: Any) -> Column:
        return self._bin(exp.Mul, o, True)

    def __truediv__(self, o: Any) -> Column:
        return self._bin(exp.Div, o)

    def __rtruediv__(self, o: Any) -> Column:
        return self._bin(exp.Div, o, True)

    def __mod__(self, o: Any) -> Column:
        return self._bin(exp.Mod, o)

    def __rmod__(self, o: Any) -> Column:
        return self._bin(exp.Mod, o, True)

    def __pow__(self, o: Any) -> Column:
        e = exp.Pow(this=self._expr, expression=_other(o))
        return Column(named(e, f"POWER({self._name()}, {output_name(_other(o))})"))

    def __rpow__(self, o: Any) -> Column:
        e = exp.Pow(this=_other(o), expression=self._expr)
        return Column(named(e, f"POWER({output_name(_other(o))}, {self._name()})"))

    def __eq__(self, o: Any) -> Column:  # type: ignore[override]
        return self._bin(exp.EQ, o)

    def __ne__(self, o: Any) -> Column:  # type: ignore[override]
        return self._bin(exp.NEQ, o)

    def __lt__(self, o: Any) -> Column:
        return self._bin(exp.LT, o)

    def __le__(self, o: Any) -> Column:
        return self._bin(exp.LTE, o)

    def __gt__(self, o: Any) -> Column:
        return self._bin(exp.GT, o)

    def __ge__(self, o: Any) -> Column:
        return self._bin(exp.GTE, o)

    def __and__(self, o: Any) -> Column:
        return self._bin(exp.And, o)

    def __rand__(self, o: Any) -> Column:
        return self._bin(exp.And, o, True)

    def __or__(self, o: Any) -> Column:
        return self._bin(exp.Or, o)

    def __ror__(self, o: Any) -> Column:
        return self._bin(exp.Or, o, True)

    def __invert__(self) -> Column:
        return Column(exp.Not(this=parenthesized(self._expr)))

    def __neg__(self) -> Column:
        if is_interval(self._expr):
            return Column(
                named(interval_negation(self._expr), f"negative({output_name(self._expr)})")
            )
        return Column(spark_operator(exp.Neg(this=parenthesized(self._expr))))

    __hash__ = None  # type: ignore[assignment]

    def __bool__(self) -> NoReturn:
        raise PySparkValueError(
            "[CANNOT_CONVERT_COLUMN_INTO_BOOL] Cannot convert column into bool: please use '&' "
            "for 'and', '|' for 'or', '~' for 'not' when building DataFrame boolean expressions.",
            "CANNOT_CONVERT_COLUMN_INTO_BOOL",
        )

    def __iter__(self) -> NoReturn:
        raise PySparkTypeError("[NOT_ITERABLE] Column is not iterable.", "NOT_ITERABLE")

    def __contains__(self, item: Any) -> NoReturn:
        raise PySparkValueError(
            "[CANNOT_APPLY_IN_FOR_COLUMN] Cannot apply 'in' operator against a column: please "
            "use 'contains' in a string column or 'array_contains' function for an array column.",
            "CANNOT_APPLY_IN_FOR_COLUMN",
        )

    def eqNullSafe(self, o: Any) -> Column:
        return self._bin(exp.NullSafeEQ, o)

    def bitwiseAND(self, o: Any) -> Column:
        return self._bin(exp.BitwiseAnd, o)

    def bitwiseOR(self, o: Any) -> Column:
        return self._bin(exp.BitwiseOr, o)

    def bitwiseXOR(self, o: Any) -> Column:
        return self._bin(exp.BitwiseXor, o)

    # -- naming and types -------------------------------------------------------------------
    def withField(self, fieldName: str, col: Column) -> Column:
        """The struct with field ``fieldName`` (a dotted path into nested structs) set to
        ``col``, added when absent (DuckDB's ``struct_update``); NULL for a NULL struct."""
        value = col.expr

        def update(base: exp.Expr, path: list[str]) -> exp.Expr:
            inner = value if len(path) == 1 else update(_field(base, path[0]), path[1:])
            setting = exp.PropertyEQ(this=exp.to_identifier(path[0]), expression=inner.copy())
            return exp.Anonymous(this="struct_update", expressions=[base.copy(), setting])

        updated = update(self._expr, fieldName.split("."))
        is_null = exp.Is(this=self._expr.copy(), expression=exp.Null())
        e = exp.If(this=is_null, true=exp.Null(), false=updated)
        return Column(named(e, f"update_fields({self._name()}, WithField({output_name(value)}))"))

    def dropFields(self, *fieldNames: str) -> Column:
        """The struct without the fields ``fieldNames`` (dotted paths reach nested structs;
        absent fields are ignored; NULL for a NULL struct)."""
        from kaspar.sql._drop_fields import drop_fields

        name = f"update_fields({self._name()}, {', '.join(['dropfield()'] * len(fieldNames))})"
        return Column(named(drop_fields(self._expr, fieldNames, name, self._name()), name))

    def transform(self, f: Callable[[Column], Column]) -> Column:
        """``f(self)``: a function of a Column applied in a method chain."""
        return f(self)

    def alias(self, *alias: str, **kwargs: Any) -> Column:
        multi = self._expr.meta.get("multi")
        generates = multi or self._expr.meta.get("inline") or self._expr.meta.get(MAP_GENERATOR)
        if generates and len(alias) > 1:
            # a generator's columns, named in order (select checks the count once it is known)
            column = Column(self._expr.copy())
            column.expr.meta[GENERATOR_ALIASES] = tuple(alias)
            if multi and len(alias) == len(multi):
                column.expr.meta["multi"] = [
                    aliased(m.this, a) for m, a in zip(multi, alias, strict=True)
                ]
            return column
        if len(alias) != 1:
            raise PySparkValueError(
                "[ONLY_ONE_ALIAS] only one alias is supported", "ONLY_ONE_ALIAS"
            )
        inner = self._expr.this if isinstance(self._expr, exp.Alias) else self._expr
        named_as = aliased(inner, alias[0])
        if kwargs.get("metadata") is not None:
            named_as.meta[METADATA] = json.dumps(kwargs["metadata"])
        return Column(named_as)

    name = alias

    def cast(self, dataType: DataType | str) -> Column:
        dtype = parse_data_type(dataType) if isinstance(dataType, str) else dataType
        e = named(
            exp.Cast(this=self._expr, to=to_sqlglot(dtype)),
            f"CAST({self._name()} AS {dtype.simpleString().upper()})",
        )
        inner = self._expr.this if isinstance(self._expr, exp.Cast) else self._expr
        if isinstance(inner, exp.Column | exp.Alias):
            e.meta[SPARK_TOP_NAME] = top_level_name(inner)
        return Column(e)

    astype = cast

    def try_cast(self, dataType: DataType | str) -> Column:
        dtype = parse_data_type(dataType) if isinstance(dataType, str) else dataType
        e = named(
            exp.TryCast(this=self._expr, to=to_sqlglot(dtype)),
            f"TRY_CAST({self._name()} AS {dtype.simpleString().upper()})",
        )
        inner = self._expr.this if isinstance(self._expr, exp.Cast) else self._expr
        if isinstance(inner, exp.Column | exp.Alias):  # a column keeps its name, as in cast
            e.meta[SPARK_TOP_NAME] = top_level_name(inner)
        return Column(e)

    # -- predicates -------------------------------------------------------------------------
    def isNull(self) -> Column:
        return Column(exp.Is(this=self._expr, expression=exp.Null()))

    def isNotNull(self) -> Column:
        return Column(exp.Not(this=exp.Is(this=self._expr, expression=exp.Null())))

    def isNaN(self) -> Column:
        from kaspar.sql.functions.conditional import isnan

        return isnan(self)

    def isin(self, *cols: Any) -> Column:
        """In the values, or in a DataFrame's rows (an IN subquery: a struct compares field by
        field with the DataFrame's columns)."""
        if len(cols) == 1 and hasattr(cols[0], "plan") and hasattr(cols[0], "columns"):
            left = self._expr
            if isinstance(left, exp.Struct):
                left = exp.Tuple(
                    expressions=[f.expression if isinstance(f, exp.PropertyEQ) else f for f in left]
                )
            return Column(exp.In(this=left, query=subquery_expression(cols[0].plan)))
        values = cols[0] if len(cols) == 1 and isinstance(cols[0], list | tuple | set) else cols
        return Column(exp.In(this=self._expr, expressions=[_other(v) for v in values]))

    def outer(self) -> Column:
        """A reference to the enclosing query's column inside a subquery (``scalar``,
        ``exists``, ``isin``): the subquery is correlated with each outer row."""
        e = self._expr.copy()
        e.meta[OUTER] = True
        return Column(e)

    def between(self, lowerBound: Any, upperBound: Any) -> Column:
        low, high = _other(lowerBound), _other(upperBound)
        return Column(exp.Between(this=self._expr, low=low, high=high))

    def like(self, other: str) -> Column:
        e = exp.Like(this=self._expr, expression=exp.Literal.string(other))
        return Column(named(e, f"{self._name()} LIKE {other}"))

    def ilike(self, other: str) -> Column:
        e = exp.ILike(this=self._expr, expression=exp.Literal.string(other))
        return Column(named(e, f"ilike({self._name()}, {other})"))

    def rlike(self, other: str) -> Column:
        e = exp.RegexpLike(this=self._expr, expression=exp.Literal.string(other))
        return Column(named(e, f"RLIKE({self._name()}, {other})"))

    def _string_test(self, fn: str, other: Any) -> Column:
        o = _other(other)
        e = exp.func(fn, self._expr, o, dialect=KasparSpark)
        return Column(named(e, f"{fn}({self._name()}, {output_name(o)})"))

    def contains(self, other: Any) -> Column:
        return self._string_test("contains", other)

    def startswith(self, other: Any) -> Column:
        return self._string_test("startswith", other)

    def endswith(self, other: Any) -> Column:
        return self._string_test("endswith", other)

    def substr(self, startPos: Any, length: Any) -> Column:
        start, size = _other(startPos), _other(length)
        e = exp.Substring(this=self._expr, start=start, length=size)
        return Column(
            named(e, f"substr({self._name()}, {output_name(start)}, {output_name(size)})")
        )

    # -- conditionals -----------------------------------------------------------------------
    def when(self, condition: Column, value: Any) -> Column:
        if not isinstance(self._expr, exp.Case) or self._expr.args.get("default") is not None:
            raise PySparkValueError(
                "[INVALID_WHEN_USAGE] when() can only be applied on a Column previously "
                "generated by when() function, and cannot be applied once otherwise() is applied.",
                "INVALID_WHEN_USAGE",
            )
        case = self._expr.copy()
        case.append("ifs", exp.If(this=condition.expr, true=_other(value)))
        return Column(case)

    def otherwise(self, value: Any) -> Column:
        if not isinstance(self._expr, exp.Case):
            raise PySparkValueError(
                "[INVALID_WHEN_USAGE] otherwise() can only be applied once on a Column previously "
                "generated by when().",
                "INVALID_WHEN_USAGE",
            )
        case = self._expr.copy()
        case.set("default", _other(value))
        return Column(case)

    # -- nested data ------------------------------------------------------------------------
    def getField(self, name: str) -> Column:
        e = exp.Bracket(this=self._expr, expressions=[exp.Literal.string(name)])
        return Column(named(e, f"{self._name()}.{name}"))

    def getItem(self, key: Any) -> Column:
        k = _other(key)
        e = exp.Bracket(this=self._expr, expressions=[k])
        return Column(named(e, f"{self._name()}[{output_name(k)}]"))

    def __getitem__(self, key: Any) -> Column:
        if isinstance(key, slice):
            start, length = key.start, key.stop
            return self.substr(start, length)
        return self.getItem(key)

    def __getattr__(self, item: str) -> Column:
        if item.startswith("__"):
            raise AttributeError(item)
        return self.getField(item)

    # -- ordering and windows ---------------------------------------------------------------
    def _ordered(self, desc: bool, nulls_first: bool) -> Column:
        return Column(exp.Ordered(this=self._expr, desc=desc, nulls_first=nulls_first))

    def asc(self) -> Column:
        return self._ordered(False, True)

    def asc_nulls_first(self) -> Column:
        return self._ordered(False, True)

    def asc_nulls_last(self) -> Column:
        return self._ordered(False, False)

    def desc(self) -> Column:
        return self._ordered(True, False)

    def desc_nulls_first(self) -> Column:
        return self._ordered(True, True)

    def desc_nulls_last(self) -> Column:
        return self._ordered(True, False)

    def over(self, window: WindowSpec | None = None) -> Column:
        from kaspar.sql.window import Window

        spec = window if window is not None else Window.partitionBy()
        if self._expr.meta.get(GROUPED_UDF):  # the window collects the group's values
            call = self._expr.copy()
            for arg in call.expressions:
                arg.replace(spec.apply(arg.copy()))
            return Column(named(call, spec.apply(self._expr.copy()).meta[SPARK_NAME]))
        return Column(spec.apply(self._expr))


GROUPED_UDF = "grouped_udf"  # a grouped aggregate UDF's call: f(list(a), ...)


def to_columns(cols: Iterable[Any]) -> list[Column]:
    """Flatten PySpark's ``*cols`` (which may be one list) into Columns."""
    items = list(cols)
    if len(items) == 1 and isinstance(items[0], list | tuple):
        items = list(items[0])
    return [c if isinstance(c, Column) else Column(to_expr(c)) for c in items]
