"""Column construction and conditional functions: ``col``, ``lit``, ``expr``, ``when``..."""

from __future__ import annotations

from typing import Any

import sqlglot
from sqlglot import exp

from kaspar.engine.compile.dialect import KasparSpark, user_sql
from kaspar.engine.plan.naming import output_name
from kaspar.errors import ParseException
from kaspar.sql.column import Column, column_reference, literal, to_columns, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, call, names, node


def col(col: str) -> Column:
    return Column(column_reference(col))


column = col


def lit(col: Any) -> Column:
    return col if isinstance(col, Column) else Column(literal(col))


def expr(str: str) -> Column:
    return Column(parse_expression(str))


def parse_expression(text: str) -> exp.Expr:
    """Parse a Spark SQL expression (``expr``, ``selectExpr``, ``filter("...")``)."""
    try:
        with user_sql():
            parsed = sqlglot.parse_one(text, dialect=KasparSpark)
    except sqlglot.errors.ParseError as e:
        raise ParseException(f"Syntax error at or near '{text}'.", "PARSE_SYNTAX_ERROR") from e
    from kaspar.sql._sql_function_bridge import bridge_functions  # -> functions -> here

    return bridge_functions(parsed)


def when(condition: Column, value: Any) -> Column:
    return Column(exp.Case(ifs=[exp.If(this=condition.expr, true=literal(value))]))


def coalesce(*cols: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns(cols)]
    return node(exp.Coalesce(this=exprs[0], expressions=exprs[1:]), f"coalesce({names(*exprs)})")


def isnull(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(exp.Is(this=e, expression=exp.Null()), f"({output_name(e)} IS NULL)")


def isnotnull(col: ColumnOrName) -> Column:
    e = to_expr(col)
    inner = exp.Is(this=e, expression=exp.Null())
    return node(exp.Not(this=inner), f"({output_name(e)} IS NOT NULL)")


def isnan(col: ColumnOrName) -> Column:
    """False for NULL, as Spark's ``IsNaN``."""
    e = to_expr(col)
    value = exp.Coalesce(this=exp.IsNan(this=e), expressions=[exp.false()])
    return node(value, f"isnan({names(e)})")


def nanvl(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    a, b = to_expr(col1), to_expr(col2)
    x, y = exp.cast(a, "DOUBLE"), exp.cast(b, "DOUBLE")
    return node(exp.If(this=exp.IsNan(this=x), true=y, false=x.copy()), f"nanvl({names(a, b)})")


def ifnull(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    a, b = to_expr(col1), to_expr(col2)
    return node(exp.Coalesce(this=a, expressions=[b]), f"ifnull({names(a, b)})")


def nvl(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    a, b = to_expr(col1), to_expr(col2)
    return node(exp.Coalesce(this=a, expressions=[b]), f"nvl({names(a, b)})")


def nvl2(col1: ColumnOrName, col2: ColumnOrName, col3: ColumnOrName) -> Column:
    a, b, c = to_expr(col1), to_expr(col2), to_expr(col3)
    cond = exp.Not(this=exp.Is(this=a, expression=exp.Null()))
    return node(exp.If(this=cond, true=b, false=c), f"nvl2({names(a, b, c)})")


def nullif(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    return call("nullif", col1, col2)


def greatest(*cols: ColumnOrName) -> Column:
    return call("greatest", *to_columns(cols))


def least(*cols: ColumnOrName) -> Column:
    return call("least", *to_columns(cols))


def _sort(col: ColumnOrName, desc: bool, nulls_first: bool) -> Column:
    return Column(exp.Ordered(this=to_expr(col), desc=desc, nulls_first=nulls_first))


def asc(col: ColumnOrName) -> Column:
    return _sort(col, False, True)


def asc_nulls_first(col: ColumnOrName) -> Column:
    return _sort(col, False, True)


def asc_nulls_last(col: ColumnOrName) -> Column:
    return _sort(col, False, False)


def desc(col: ColumnOrName) -> Column:
    return _sort(col, True, False)


def desc_nulls_first(col: ColumnOrName) -> Column:
    return _sort(col, True, True)


def desc_nulls_last(col: ColumnOrName) -> Column:
    return _sort(col, True, False)


def broadcast(df: Any) -> Any:
    """A join hint; DuckDB picks join strategies itself."""
    return df


__all__ = [
    "asc",
    "asc_nulls_first",
    "asc_nulls_last",
    "broadcast",
    "coalesce",
    "col",
    "column",
    "desc",
    "desc_nulls_first",
    "desc_nulls_last",
    "expr",
    "greatest",
    "ifnull",
    "isnan",
    "isnotnull",
    "isnull",
    "least",
    "lit",
    "nanvl",
    "nullif",
    "nvl",
    "nvl2",
    "when",
]
