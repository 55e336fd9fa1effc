"""Higher-order map functions and ``arrays_zip``."""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

__all__ = [
    "array_insert",
    "arrays_zip",
    "map_filter",
    "map_zip_with",
    "shuffle",
    "str_to_map",
    "transform_keys",
    "transform_values",
]


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _entry_lambda(
    f: Callable[[Column, Column], Column], build: Callable[[exp.Expr, exp.Expr, exp.Expr], exp.Expr]
) -> exp.Lambda:
    var = f"e_{id(f) % 10000}"
    key = _fn("struct_extract", exp.column(var), literal("key"))
    value = _fn("struct_extract", exp.column(var), literal("value"))
    body = f(Column(key), Column(value)).expr
    return exp.Lambda(
        this=build(key.copy(), value.copy(), body), expressions=[exp.to_identifier(var)]
    )


def _entry(key: exp.Expr, value: exp.Expr) -> exp.Expr:
    return exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier("key"), expression=key),
            exp.PropertyEQ(this=exp.to_identifier("value"), expression=value),
        ]
    )


def _map_hof(fn: str, col: ColumnOrName, lam: exp.Lambda, list_fn: str) -> Column:
    e = to_expr(col)
    entries = _fn(list_fn, _fn("map_entries", e), lam)
    value = exp.Case(
        ifs=[exp.If(this=e.copy().is_(exp.null()), true=exp.null())],
        default=_fn("map_from_entries", entries),
    )
    return node(value, f"{fn}({names(e)}, lambdafunction())")


def transform_values(col: ColumnOrName, f: Callable[[Column, Column], Column]) -> Column:
    lam = _entry_lambda(f, lambda k, _v, body: _entry(k, body))
    return _map_hof("transform_values", col, lam, "list_transform")


def transform_keys(col: ColumnOrName, f: Callable[[Column, Column], Column]) -> Column:
    lam = _entry_lambda(f, lambda _k, v, body: _entry(body, v))
    return _map_hof("transform_keys", col, lam, "list_transform")


def map_filter(col: ColumnOrName, f: Callable[[Column, Column], Column]) -> Column:
    lam = _entry_lambda(f, lambda _k, _v, body: body)
    return _map_hof("map_filter", col, lam, "list_filter")


def arrays_zip(*cols: ColumnOrName) -> Column:
    from kaspar.engine.compile.arrays_zip import zipped

    exprs = [to_expr(c) for c in cols]
    return node(zipped(exprs), f"arrays_zip({names(*exprs)})")


def _delimiter(value: ColumnOrName | None, default: str) -> exp.Expr:
    if value is None:
        return literal(default)
    return to_expr(value)


def str_to_map(
    text: ColumnOrName,
    pairDelim: ColumnOrName | None = None,
    keyValueDelim: ColumnOrName | None = None,
) -> Column:
    t = to_expr(text)
    pd, kd = _delimiter(pairDelim, ","), _delimiter(keyValueDelim, ":")
    var = f"p_{id(t) % 10000}"
    pair = exp.column(var)
    key = _fn("list_extract", _fn("regexp_split_to_array", pair, kd.copy()), literal(1))
    offset = exp.Add(
        this=exp.Add(
            this=exp.Length(this=key.copy()),
            expression=exp.Length(this=_fn("regexp_extract", pair.copy(), kd.copy())),
        ),
        expression=literal(1),
    )
    value = exp.Case(
        ifs=[
            exp.If(
                this=_fn("regexp_matches", pair.copy(), kd.copy()),
                true=exp.Substring(this=pair.copy(), start=offset),
            )
        ],
        default=exp.cast(exp.null(), "VARCHAR"),
    )
    lam = exp.Lambda(this=_entry(key, value), expressions=[exp.to_identifier(var)])
    pairs = _fn("regexp_split_to_array", t, pd)
    result = _fn("map_from_entries", _fn("list_transform", pairs, lam))
    guarded = exp.Case(ifs=[exp.If(this=t.copy().is_(exp.null()), true=exp.null())], default=result)
    return node(guarded, f"str_to_map({names(t, pd, kd)})")


def map_zip_with(
    col1: ColumnOrName, col2: ColumnOrName, f: Callable[[Column, Column, Column], Column]
) -> Column:
    a, b = to_expr(col1), to_expr(col2)
    var = f"k_{id(f) % 10000}"
    key = exp.column(var)
    v1 = _fn("map_extract_value", a.copy(), key.copy())
    v2 = _fn("map_extract_value", b.copy(), key.copy())
    body = f(Column(key.copy()), Column(v1), Column(v2)).expr
    lam = exp.Lambda(this=_entry(key.copy(), body), expressions=[exp.to_identifier(var)])
    keys = _fn(
        "list_distinct",
        _fn("list_concat", _fn("map_keys", a.copy()), _fn("map_keys", b.copy())),
    )
    result = _fn("map_from_entries", _fn("list_transform", keys, lam))
    any_null = exp.Or(this=a.copy().is_(exp.null()), expression=b.copy().is_(exp.null()))
    value = exp.Case(ifs=[exp.If(this=any_null, true=exp.null())], default=result)
    return node(value, f"map_zip_with({names(a, b)}, lambdafunction())")


def shuffle(col: ColumnOrName, seed: int | None = None) -> Column:
    del seed  # DuckDB's random() is not seeded per call
    e = to_expr(col)
    var = f"i_{id(e) % 10000}"
    keyed = exp.Lambda(
        this=_fn("list_value", _fn("random"), exp.cast(exp.column(var), "DOUBLE")),
        expressions=[exp.to_identifier(var)],
    )
    ranks = _fn("range", literal(1), exp.Add(this=exp.Length(this=e.copy()), expression=literal(1)))
    pick = f"j_{id(e) % 10000}"
    order = exp.Lambda(
        this=exp.cast(_fn("list_extract", exp.column(pick), literal(2)), "BIGINT"),
        expressions=[exp.to_identifier(pick)],
    )
    permutation = _fn(
        "list_transform", _fn("list_sort", _fn("list_transform", ranks, keyed)), order
    )
    return node(_fn("list_select", e, permutation), f"shuffle({names(e)})")


def _operand(value: ColumnOrName | object) -> exp.Expr:
    return to_expr(value) if isinstance(value, Column) else literal(value)


def array_insert(arr: ColumnOrName, pos: ColumnOrName | int, value: object) -> Column:
    a = to_expr(arr)
    p = literal(pos) if isinstance(pos, int) else to_expr(pos)
    v = _operand(value)
    size = exp.Length(this=a.copy())
    from_end = exp.Add(this=exp.Add(this=size.copy(), expression=p.copy()), expression=literal(2))
    at = exp.Case(
        ifs=[exp.If(this=exp.GT(this=p.copy(), expression=literal(0)), true=p.copy())],
        default=from_end,
    )
    before = exp.Sub(this=at.copy(), expression=literal(1))
    inside = _fn(
        "list_concat",
        _fn("list_slice", a.copy(), literal(1), before.copy()),
        _fn("list_value", v.copy()),
        _fn("list_slice", a.copy(), at.copy(), size.copy()),
    )
    padded_end = _fn(
        "list_concat", _fn("list_resize", a.copy(), before.copy()), _fn("list_value", v.copy())
    )
    front = exp.Sub(this=literal(2), expression=at.copy())
    padded_front = _fn(
        "list_concat", _fn("list_resize", _fn("list_value", v.copy()), front), a.copy()
    )
    result = exp.Case(
        ifs=[
            exp.If(
                this=exp.Or(this=a.copy().is_(exp.null()), expression=p.copy().is_(exp.null())),
                true=exp.null(),
            ),
            exp.If(this=exp.LT(this=at.copy(), expression=literal(1)), true=padded_front),
            exp.If(this=exp.GT(this=before.copy(), expression=size.copy()), true=padded_end),
        ],
        default=inside,
    )
    return node(result, f"array_insert({names(a, p, v)})")
