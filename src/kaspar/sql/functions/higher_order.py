"""More collection functions: maps, array builders and higher-order functions (lambdas).

Higher-order functions take a Python callable over Columns, as PySpark does; its parameters
become SQL lambda variables (``transform(arr, lambda x: x + 1)``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from kaspar.sql.column import Column, literal, to_columns, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, call, names, node

_LAMBDA_NAMES = ("x", "y", "z")


def _lambda(f: Callable[..., Column]) -> exp.Lambda:
    arity = len(inspect.signature(f).parameters)
    variables = [exp.to_identifier(f"{n}_{id(f) % 10000}") for n in _LAMBDA_NAMES[:arity]]
    body = f(*(Column(exp.column(v.name)) for v in variables))
    return exp.Lambda(this=body.expr, expressions=variables)


def _hof(fn: str, col: ColumnOrName, f: Callable[..., Column], *extra: exp.Expr) -> Column:
    e = to_expr(col)
    lam = _lambda(f)
    return node(
        exp.func(fn, e, *extra, lam, dialect="spark"), f"{fn}({names(e)}, lambdafunction())"
    )


def _indexed_lambda(f: Callable[..., Column]) -> exp.Expr:
    """``f`` as a lambda; a second parameter is the element's index, which counts from 0 in
    Spark and from 1 in DuckDB."""
    lam: exp.Expr = _lambda(f)
    if len(lam.expressions) == 2:
        index = lam.expressions[1].name
        lam = lam.transform(
            lambda n: (
                exp.cast(exp.Sub(this=n.copy(), expression=exp.Literal.number(1)), "INT")
                if isinstance(n, exp.Column) and n.name == index
                else n
            )
        )
    return lam


def transform(col: ColumnOrName, f: Callable[..., Column]) -> Column:
    e = to_expr(col)
    lam = _indexed_lambda(f)
    return node(
        exp.Anonymous(this="list_transform", expressions=[e, lam]),
        f"transform({names(e)}, lambdafunction())",
    )


def filter(col: ColumnOrName, f: Callable[..., Column]) -> Column:
    e = to_expr(col)
    return node(
        exp.Anonymous(this="list_filter", expressions=[e, _indexed_lambda(f)]),
        f"filter({names(e)}, lambdafunction())",
    )


def _any_or_all(col: ColumnOrName, f: Callable[..., Column], any_true: bool) -> exp.Expr:
    """Spark's three-valued ``exists`` (``any_true``) / ``forall``: the decisive value if one
    element gives it, else NULL if one gives NULL; an empty array gives false / true."""
    e = to_expr(col)
    results = exp.Anonymous(this="list_transform", expressions=[e, _lambda(f)])
    combined = exp.Anonymous(
        this="list_bool_or" if any_true else "list_bool_and", expressions=[results]
    )
    decided = combined if any_true else exp.Not(this=combined)
    size = exp.Anonymous(this="len", expressions=[e.copy()])
    known = exp.Anonymous(this="list_count", expressions=[results.copy()])
    return exp.Case(
        ifs=[
            exp.If(this=exp.Is(this=e.copy(), expression=exp.Null()), true=exp.Null()),
            exp.If(
                this=exp.EQ(this=size, expression=exp.Literal.number(0)),
                true=exp.Boolean(this=not any_true),
            ),
            exp.If(this=decided, true=exp.Boolean(this=any_true)),
            exp.If(this=exp.LT(this=known, expression=size.copy()), true=exp.Null()),
        ],
        default=exp.Boolean(this=not any_true),
    )


def exists(col: ColumnOrName, f: Callable[..., Column]) -> Column:
    value = _any_or_all(col, f, any_true=True)
    return node(value, f"exists({names(to_expr(col))}, lambdafunction())")


def forall(col: ColumnOrName, f: Callable[..., Column]) -> Column:
    value = _any_or_all(col, f, any_true=False)
    return node(value, f"forall({names(to_expr(col))}, lambdafunction())")


def aggregate(
    col: ColumnOrName,
    initialValue: ColumnOrName,
    merge: Callable[..., Column],
    finish: Callable[..., Column] | None = None,
) -> Column:
    e, init = to_expr(col), to_expr(initialValue)
    value: exp.Expr = exp.Anonymous(this="list_reduce", expressions=[e, _lambda(merge), init])
    if finish is not None:
        fin = _lambda(finish)
        value = fin.this.transform(
            lambda n: (
                value.copy()
                if isinstance(n, exp.Column) and n.name == fin.expressions[0].name
                else n
            )
        )
    return node(value, f"aggregate({names(e, init)}, lambdafunction(), lambdafunction())")


reduce = aggregate


def zip_with(left: ColumnOrName, right: ColumnOrName, f: Callable[..., Column]) -> Column:
    a, b = to_expr(left), to_expr(right)
    lam = _lambda(f)
    pair = exp.to_identifier(f"p_{id(f) % 10000}")
    x, y = (v.name for v in lam.expressions)
    body = lam.this.transform(
        lambda n: (
            exp.Bracket(
                this=exp.column(pair.name),
                expressions=[exp.Literal.number(1 if n.name == x else 2)],
                offset=1,
            )
            if isinstance(n, exp.Column) and n.name in (x, y)
            else n
        )
    )
    zipped = exp.Case(
        ifs=[
            exp.If(
                this=exp.Or(
                    this=exp.Is(this=a.copy(), expression=exp.Null()),
                    expression=exp.Is(this=b.copy(), expression=exp.Null()),
                ),
                true=exp.Null(),
            )
        ],
        default=exp.Anonymous(this="list_zip", expressions=[a, b]),
    )
    value = exp.Anonymous(
        this="list_transform", expressions=[zipped, exp.Lambda(this=body, expressions=[pair])]
    )
    return node(value, f"zip_with({names(a, b)}, lambdafunction())")


def array_repeat(col: ColumnOrName, count: ColumnOrName | int) -> Column:
    e = to_expr(col)
    n = literal(count) if isinstance(count, int) else to_expr(count)
    value = exp.Anonymous(
        this="list_transform",
        expressions=[
            exp.Anonymous(this="range", expressions=[n]),
            exp.Lambda(this=e, expressions=[exp.to_identifier("_i")]),
        ],
    )
    return node(value, f"array_repeat({names(e, n)})")


def array_size(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(
        exp.cast(exp.Anonymous(this="len", expressions=[e]), "INT"), f"array_size({names(e)})"
    )


def array_prepend(col: ColumnOrName, value: Any) -> Column:
    e, v = to_expr(col), literal(value)
    result = exp.Case(
        ifs=[exp.If(this=exp.Is(this=e.copy(), expression=exp.Null()), true=exp.Null())],
        default=exp.Anonymous(this="list_prepend", expressions=[v, e]),
    )
    return node(result, f"array_prepend({names(e, v)})")


def arrays_overlap(a1: ColumnOrName, a2: ColumnOrName) -> Column:
    """Spark's three-valued answer: true for a common non-NULL element, else NULL when both
    are non-empty and either holds a NULL, else false."""
    from kaspar.sql.functions.collection import has_null

    a, b = to_expr(a1), to_expr(a2)
    common = exp.Anonymous(this="list_has_any", expressions=[a, b])
    both_non_empty = exp.and_(exp.Length(this=a.copy()) > 0, exp.Length(this=b.copy()) > 0)
    value = exp.Case(
        ifs=[
            exp.If(this=common, true=exp.true()),
            exp.If(
                this=exp.and_(both_non_empty, exp.or_(has_null(a), has_null(b))), true=exp.Null()
            ),
        ],
        default=exp.false(),
    )
    nulls = exp.or_(
        exp.Is(this=a.copy(), expression=exp.Null()), exp.Is(this=b.copy(), expression=exp.Null())
    )
    guarded = exp.If(this=nulls, true=exp.Null(), false=value)
    return node(guarded, f"arrays_overlap({names(a, b)})")


def map_concat(*cols: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns(cols)]
    return node(exp.Anonymous(this="map_concat", expressions=exprs), f"map_concat({names(*exprs)})")


def map_contains_key(col: ColumnOrName, value: Any) -> Column:
    e, v = to_expr(col), literal(value)
    return node(
        exp.Anonymous(this="map_contains", expressions=[e, v]), f"map_contains_key({names(e, v)})"
    )


def map_entries(col: ColumnOrName) -> Column:
    return call("map_entries", col)


def map_from_arrays(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    a, b = to_expr(col1), to_expr(col2)
    return node(exp.Anonymous(this="map", expressions=[a, b]), f"map_from_arrays({names(a, b)})")


def map_from_entries(col: ColumnOrName) -> Column:
    return call("map_from_entries", col)


def named_struct(*cols: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns(cols)]
    fields = [
        exp.PropertyEQ(this=exp.to_identifier(k.name), expression=v)
        for k, v in zip(exprs[0::2], exprs[1::2], strict=True)
    ]
    return node(exp.Struct(expressions=fields), f"named_struct({names(*exprs)})")


def get(col: ColumnOrName, index: ColumnOrName | int) -> Column:
    e = to_expr(col)
    i = literal(index) if isinstance(index, int) else to_expr(index)
    value = exp.Anonymous(this="list_extract", expressions=[e, i + 1])  # 0-based
    guarded = exp.Case(
        ifs=[exp.If(this=exp.LT(this=i.copy(), expression=exp.Literal.number(0)), true=exp.Null())],
        default=value,
    )
    return node(guarded, f"get({names(e, i)})")


def try_element_at(col: ColumnOrName, extraction: ColumnOrName) -> Column:
    from kaspar.sql.functions.collection import element_at

    # a name is a column's (element_at takes a literal key or index)
    key = Column(to_expr(extraction)) if isinstance(extraction, str) else extraction
    column = element_at(col, key)
    column.expr.meta["spark_name"] = column.expr.meta["spark_name"].replace(
        "element_at", "try_element_at", 1
    )
    return column


__all__ = [
    "aggregate",
    "array_prepend",
    "array_repeat",
    "array_size",
    "arrays_overlap",
    "exists",
    "filter",
    "forall",
    "get",
    "map_concat",
    "map_contains_key",
    "map_entries",
    "map_from_arrays",
    "map_from_entries",
    "named_struct",
    "reduce",
    "transform",
    "try_element_at",
    "zip_with",
]
