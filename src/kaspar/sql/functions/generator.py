"""Generators that emit several columns per row: ``posexplode``, ``inline`` and their outer forms.

A generator with more than one output column is a Column whose expression carries the list of
output expressions in ``meta["multi"]`` (``inline`` carries the struct in ``meta["inline"]``,
since its columns are the struct's fields); ``DataFrame.select`` expands it. In DuckDB several
``UNNEST`` calls in one select list advance together, as Spark's generator rows do.

``explode`` and ``posexplode`` of a map give ``key`` and ``value`` columns (after ``pos``)
instead of ``col``: whether the argument is a map is known only from the DataFrame's schema,
so these Columns also carry ``meta[MAP_GENERATOR]``, and ``select`` asks for the argument's
type and, for a map, takes ``map_generator_items`` in place of the array form.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.plan.nullability import NOT_NULL
from kaspar.sql.column import MAP_GENERATOR, Column, named, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names


def outer_array(e: exp.Expr, value: exp.Expr | None = None) -> exp.Expr:
    """``value`` (default ``e``), or ``[NULL]`` when ``e`` is NULL or empty (the row is kept)."""
    non_empty = exp.GT(
        this=exp.Anonymous(this="len", expressions=[e.copy()]), expression=exp.Literal.number(0)
    )
    return exp.Case(
        ifs=[exp.If(this=non_empty, true=(value or e).copy())],
        default=exp.Array(expressions=[exp.Null()]),
    )


def mark_map_generator(column: Column, fn: str, outer: bool, arg: exp.Expr) -> Column:
    """``column`` (an array generator) noted as ``fn`` of ``arg``, for a map argument."""
    column.expr.meta[MAP_GENERATOR] = (fn, outer, arg.copy())
    return column


def map_generator_items(
    generator: tuple[str, bool, exp.Expr], aliases: tuple[str, ...] | None
) -> list[exp.Expr]:
    """The select items of ``explode``/``posexplode`` (``_outer``) of a map: ``key`` and
    ``value`` (after ``pos``), one row per entry; an outer form keeps a NULL or empty map's row
    with NULLs."""
    fn, outer, m = generator
    sources: list[tuple[str, exp.Expr]] = [
        ("key", exp.Anonymous(this="map_keys", expressions=[m.copy()])),
        ("value", exp.Anonymous(this="map_values", expressions=[m.copy()])),
    ]
    if fn.startswith("posexplode"):
        size = exp.cast(exp.Anonymous(this="cardinality", expressions=[m.copy()]), "BIGINT")
        sources.insert(0, ("pos", exp.Anonymous(this="range", expressions=[size])))
    names = list(aliases) if aliases else [name for name, _ in sources]
    if len(names) != len(sources):
        from kaspar.errors import AnalysisException

        raise AnalysisException(
            f"The number of aliases supplied in the AS clause does not match the number of "
            f"columns output by the UDTF: expected {len(sources)} aliases but got "
            f"{', '.join(names)}.",
            "UDTF_ALIAS_NUMBER_MISMATCH",
        )
    items: list[exp.Expr] = []
    for (kind, source), name in zip(sources, names, strict=True):
        value = _outer_map(m, source) if outer else source
        unnested = _unnest(value)
        if kind == "pos":
            unnested = exp.Cast(this=unnested, to=exp.DataType.build("INT"))
        if kind in ("pos", "key") and not outer:
            unnested.meta[NOT_NULL] = True
        items.append(_alias(unnested, name))
    return items


def _outer_map(m: exp.Expr, value: exp.Expr) -> exp.Expr:
    non_empty = exp.GT(
        this=exp.Anonymous(this="cardinality", expressions=[m.copy()]),
        expression=exp.Literal.number(0),
    )
    return exp.Case(
        ifs=[exp.If(this=non_empty, true=value)], default=exp.Array(expressions=[exp.Null()])
    )


def _unnest(e: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="unnest", expressions=[e])


def _alias(e: exp.Expr, name: str) -> exp.Alias:
    return exp.Alias(this=e, alias=exp.to_identifier(name, quoted=True))


def multi_column(name: str, parts: list[exp.Alias]) -> Column:
    first = parts[0].this.copy()
    column = Column(named(first, name))
    column.expr.meta["multi"] = parts
    return column


def _posexplode(col: ColumnOrName, outer: bool, fn: str) -> Column:
    e = to_expr(col)
    source = outer_array(e) if outer else e
    positions: exp.Expr = exp.Anonymous(
        this="range", expressions=[exp.Anonymous(this="len", expressions=[e.copy()])]
    )
    if outer:
        positions = outer_array(e, positions)
    pos = exp.Cast(this=_unnest(positions), to=exp.DataType.build("INT"))
    if not outer:
        pos.meta[NOT_NULL] = True
    column = multi_column(f"{fn}({names(e)})", [_alias(pos, "pos"), _alias(_unnest(source), "col")])
    return mark_map_generator(column, fn, outer, e)


def posexplode(col: ColumnOrName) -> Column:
    return _posexplode(col, False, "posexplode")


def posexplode_outer(col: ColumnOrName) -> Column:
    return _posexplode(col, True, "posexplode_outer")


def _inline(col: ColumnOrName, outer: bool, fn: str) -> Column:
    e = to_expr(col)
    struct = _unnest(outer_array(e) if outer else e)
    column = Column(named(struct, f"{fn}({names(e)})"))
    column.expr.meta["inline"] = True
    return column


def inline(col: ColumnOrName) -> Column:
    return _inline(col, False, "inline")


def inline_outer(col: ColumnOrName) -> Column:
    return _inline(col, True, "inline_outer")


__all__ = ["inline", "inline_outer", "posexplode", "posexplode_outer", "stack"]


def stack(*cols: ColumnOrName) -> Column:
    """``stack(n, v1, ..., vk)``: ``n`` rows of ``ceil(k / n)`` columns ``col0, col1, ...``."""
    first = cols[0].expr if isinstance(cols[0], Column) else None
    if not (isinstance(first, exp.Literal) and not first.is_string):
        raise NotImplementedError("stack: the number of rows must be an integer literal")
    rows = int(first.this)
    values = [to_expr(c) for c in cols[1:]]
    width = -(-len(values) // rows)
    parts = []
    for j in range(width):
        cells = [
            values[i * width + j].copy() if i * width + j < len(values) else exp.Null()
            for i in range(rows)
        ]
        parts.append(_alias(_unnest(exp.Array(expressions=cells)), f"col{j}"))
    return multi_column(f"stack({names(first, *values)})", parts)
