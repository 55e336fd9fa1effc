"""kaspar's carrier of Spark's ANSI intervals in DuckDB.

A day-time interval is a count of microseconds (a BIGINT) and a year-month interval a count of
months (an INTEGER). DuckDB's own INTERVAL is Spark's ``CalendarIntervalType``, so an ANSI
interval is held in a one-field struct whose field name says its Spark type, start and end
fields included (``type_conversion.ansi_interval_field``): the type survives every DuckDB
operator that passes values through (projections, unions, joins, min/max).
"""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.compile.cast_templates import fill
from kaspar.engine.type_conversion import ansi_interval_field, ansi_interval_of_field

ANSI_INTERVAL = "kaspar_ansi_interval"  # meta key: the node's value is an ANSI interval
LITERAL_VALUE = "kaspar_interval_literal"  # meta key: a literal's (type, months or micros)


def carrier(value: exp.Expr, dtype: T.AnsiIntervalType) -> exp.Expr:
    """``{field := value}``: the interval of ``value`` months or microseconds."""
    sql_type = "INTEGER" if isinstance(dtype, T.YearMonthIntervalType) else "BIGINT"
    return fill(f"struct_pack({ansi_interval_field(dtype)} := CAST(_x_ AS {sql_type}))", value)


def carried_type(kind: DuckDBPyType | str) -> T.AnsiIntervalType | None:
    """The ANSI interval type a DuckDB type carries (None: not a carrier)."""
    name = str(kind)
    if not (name.startswith("STRUCT(") and name.count(" ") == 1):
        return None
    return ansi_interval_of_field(name[len("STRUCT(") :].split(" ", maxsplit=1)[0])


def carried_value(e: exp.Expr) -> exp.Expr:
    """The months or microseconds a carrier holds."""
    return exp.Anonymous(this="struct_extract_at", expressions=[e.copy(), exp.Literal.number(1)])


__all__ = ["ANSI_INTERVAL", "LITERAL_VALUE", "carried_type", "carried_value", "carrier"]
