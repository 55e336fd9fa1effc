"""Array, map and struct functions, and generators (``explode``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from kaspar.engine.plan.naming import output_name
from kaspar.sql.column import Column, literal, named, to_columns, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, call, names, node, renamed


def array(*cols: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns(cols)]
    return node(exp.Array(expressions=exprs), f"array({names(*exprs)})")


def struct(*cols: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns(cols)]
    fields = []
    for i, e in enumerate(exprs):
        name = e.alias if isinstance(e, exp.Alias) else output_name(e)
        value = e.this if isinstance(e, exp.Alias) else e
        fields.append(
            exp.PropertyEQ(this=exp.to_identifier(name or f"col{i + 1}"), expression=value)
        )
    return node(exp.Struct(expressions=fields), f"struct({names(*exprs)})")


def create_map(*cols: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns(cols)]
    keys = exp.Array(expressions=exprs[0::2])
    values = exp.Array(expressions=exprs[1::2])
    return node(exp.Map(keys=keys, values=values), f"map({names(*exprs)})")


def size(col: ColumnOrName) -> Column:
    return call("size", col)


def cardinality(col: ColumnOrName) -> Column:
    return renamed(size(col), "cardinality", to_expr(col))


def array_contains(col: ColumnOrName, value: Any) -> Column:
    """Spark's three-valued answer: true if found, else NULL if the array holds a NULL."""
    e = to_expr(col)
    v = to_expr(value) if isinstance(value, Column) else literal(value)
    found = exp.ArrayContains(this=e, expression=v)
    value_of = exp.Case(
        ifs=[
            exp.If(this=found, true=exp.true()),
            exp.If(this=has_null(e), true=exp.Null()),
        ],
        default=exp.false(),
    )
    nulls = exp.or_(
        exp.Is(this=e.copy(), expression=exp.Null()), exp.Is(this=v.copy(), expression=exp.Null())
    )
    guarded = exp.If(this=nulls, true=exp.Null(), false=value_of)
    return node(guarded, f"array_contains({names(e, v)})")


def has_null(array: exp.Expr) -> exp.Expr:
    """Whether ``array`` holds a NULL element."""
    x = exp.to_identifier("_n")
    nulls = exp.Anonymous(
        this="list_filter",
        expressions=[
            array.copy(),
            exp.Lambda(
                this=exp.Is(this=exp.column(x.name), expression=exp.Null()), expressions=[x]
            ),
        ],
    )
    return exp.Length(this=nulls) > 0


def element_at(col: ColumnOrName, extraction: Any) -> Column:
    return call("element_at", col, args=(extraction,))


def explode(col: ColumnOrName) -> Column:
    from kaspar.sql.functions.generator import mark_map_generator

    e = to_expr(col)
    return mark_map_generator(Column(named(exp.Explode(this=e), "col")), "explode", False, e)


def explode_outer(col: ColumnOrName) -> Column:
    from kaspar.sql.functions.generator import mark_map_generator, outer_array

    e = to_expr(col)
    column = Column(named(exp.Explode(this=outer_array(e)), "col"))
    return mark_map_generator(column, "explode_outer", True, e)


def _distinct_in_order(values: exp.Expr) -> exp.Expr:
    """The first occurrence of each element, in order, one NULL kept (Spark's order)."""
    first = exp.EQ(
        this=exp.Anonymous(
            this="list_position", expressions=[values.copy(), exp.to_identifier("_x")]
        ),
        expression=exp.to_identifier("_i"),
    )
    keep = exp.Lambda(this=first, expressions=[exp.to_identifier("_x"), exp.to_identifier("_i")])
    return exp.Anonymous(this="list_filter", expressions=[values, keep])


def array_distinct(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(_distinct_in_order(e), f"array_distinct({names(e)})")


def array_join(col: ColumnOrName, delimiter: str, null_replacement: str | None = None) -> Column:
    args: tuple[Any, ...] = (
        (delimiter,) if null_replacement is None else (delimiter, null_replacement)
    )
    return call("array_join", col, args=args)


def array_max(col: ColumnOrName) -> Column:
    return call("array_max", col)


def array_min(col: ColumnOrName) -> Column:
    return call("array_min", col)


def array_position(col: ColumnOrName, value: Any) -> Column:
    """The 1-based position of ``value`` (a bigint), 0 when absent."""
    e, v = to_expr(col), to_expr(value) if isinstance(value, Column) else literal(value)
    found = exp.Anonymous(this="list_position", expressions=[e, v])
    position = exp.Coalesce(this=found, expressions=[exp.Literal.number(0)])
    value_if_array = exp.If(
        this=exp.Is(this=e.copy(), expression=exp.Null()), true=exp.Null(), false=position
    )
    return node(exp.cast(value_if_array, "BIGINT"), f"array_position({names(e, v)})")


def array_remove(col: ColumnOrName, element: Any) -> Column:
    """The array without the elements equal to ``element`` (NULL elements stay)."""
    e = to_expr(col)
    v = to_expr(element) if isinstance(element, Column) else literal(element)
    x = exp.to_identifier("_x")
    keep = exp.or_(exp.Is(this=x, expression=exp.Null()), exp.NEQ(this=x.copy(), expression=v))
    kept = exp.Anonymous(
        this="list_filter", expressions=[e, exp.Lambda(this=keep, expressions=[x.copy()])]
    )
    null_element = exp.Is(this=v.copy(), expression=exp.Null())
    value = exp.If(this=null_element, true=exp.Null(), false=kept)
    return node(value, f"array_remove({names(e, v)})")


# Spark names array_sort(a) after its default comparator (NULLs last).
_V = "namedlambdavariable()"
_DEFAULT_COMPARATOR = (
    f"lambdafunction((IF((({_V} IS NULL) AND ({_V} IS NULL)), 0, (IF(({_V} IS NULL), 1, "
    f"(IF(({_V} IS NULL), -1, (IF(({_V} < {_V}), -1, (IF(({_V} > {_V}), 1, 0)))))))))), "
    f"{_V}, {_V})"
)


def array_sort(
    col: ColumnOrName, comparator: Callable[[Column, Column], Column] | None = None
) -> Column:
    if comparator is None:
        name = f"array_sort({names(to_expr(col))}, {_DEFAULT_COMPARATOR})"
        return call("array_sort", col, name=name)
    a = to_expr(col)
    value = exp.If(
        this=exp.Is(this=a.copy(), expression=exp.Null()),
        true=exp.Null(),
        false=_sorted_by(a, comparator),
    )
    return node(value, f"array_sort({names(a)}, lambdafunction())")


def _sorted_by(a: exp.Expr, comparator: Callable[[Column, Column], Column]) -> exp.Expr:
    """``a`` ordered by ``comparator(x, y)`` (negative: x first) as a stable sort orders it:
    each element's rank is the number of elements that come before it (smaller, or equal and
    earlier), and the elements are taken in (rank, index) order; all in SQL lambdas."""
    i, j, r = (exp.to_identifier(f"_sort_{n}") for n in "ijr")

    def at(index: exp.Identifier) -> Column:
        return Column(
            exp.Anonymous(this="list_extract", expressions=[a.copy(), exp.column(index.name)])
        )

    indexes = exp.Anonymous(
        this="range", expressions=[exp.Literal.number(1), exp.Length(this=a.copy()) + 1]
    )
    order = comparator(at(j), at(i)).expr
    before = exp.or_(
        order < 0, exp.and_(order.copy().eq(0), exp.column(j.name) < exp.column(i.name))
    )
    rank = exp.Length(
        this=exp.Anonymous(
            this="list_filter",
            expressions=[indexes.copy(), exp.Lambda(this=before, expressions=[j])],
        )
    )
    pairs = exp.Anonymous(
        this="list_transform",
        expressions=[
            indexes,
            exp.Lambda(this=exp.Array(expressions=[rank, exp.column(i.name)]), expressions=[i]),
        ],
    )
    last = exp.Anonymous(
        this="list_extract", expressions=[exp.column(r.name), exp.Literal.number(2)]
    )
    taken = exp.Anonymous(this="list_extract", expressions=[a.copy(), last])
    return exp.Anonymous(
        this="list_transform",
        expressions=[
            exp.Anonymous(this="list_sort", expressions=[pairs]),
            exp.Lambda(this=taken, expressions=[r]),
        ],
    )


def sort_array(col: ColumnOrName, asc: bool = True) -> Column:
    return call("sort_array", col, args=(asc,))


def array_union(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    a, b = to_expr(col1), to_expr(col2)
    both = exp.Anonymous(this="list_concat", expressions=[a, b])
    either_null = exp.or_(
        exp.Is(this=a.copy(), expression=exp.Null()), exp.Is(this=b.copy(), expression=exp.Null())
    )
    value = exp.If(this=either_null, true=exp.Null(), false=_distinct_in_order(both))
    return node(value, f"array_union({names(a, b)})")


def array_intersect(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    """The distinct elements of the first array also in the second, in order (NULL too)."""
    a, b = to_expr(col1), to_expr(col2)
    x = exp.to_identifier("_y")
    found = exp.Not(
        this=exp.Is(
            this=exp.Anonymous(this="list_position", expressions=[b, x]), expression=exp.Null()
        )
    )
    common = exp.Anonymous(
        this="list_filter",
        expressions=[_distinct_in_order(a), exp.Lambda(this=found, expressions=[x.copy()])],
    )
    either_null = exp.or_(
        exp.Is(this=a.copy(), expression=exp.Null()), exp.Is(this=b.copy(), expression=exp.Null())
    )
    value = exp.If(this=either_null, true=exp.Null(), false=common)
    return node(value, f"array_intersect({names(a, b)})")


def array_except(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    return call("array_except", col1, col2)


def flatten(col: ColumnOrName) -> Column:
    """NULL when an inner array is NULL (DuckDB's ``flatten`` skips it)."""
    column = call("flatten", col)
    e = to_expr(col)
    guarded = exp.If(this=has_null(e), true=exp.Null(), false=column.expr.copy())
    return node(guarded, f"flatten({names(e)})")


def slice(x: ColumnOrName, start: int, length: int) -> Column:
    return call("slice", x, args=(start, length))


def sequence(start: ColumnOrName, stop: ColumnOrName, step: ColumnOrName | None = None) -> Column:
    cols = [start, stop] + ([step] if step is not None else [])
    return call("sequence", *cols)


def map_keys(col: ColumnOrName) -> Column:
    return call("map_keys", col)


def map_values(col: ColumnOrName) -> Column:
    return call("map_values", col)


def array_append(col: ColumnOrName, value: Any) -> Column:
    return call("array_append", col, args=(value,))


def array_compact(col: ColumnOrName) -> Column:
    return call("array_compact", col)


__all__ = [
    "array",
    "array_append",
    "array_compact",
    "array_contains",
    "array_distinct",
    "array_except",
    "array_intersect",
    "array_join",
    "array_max",
    "array_min",
    "array_position",
    "array_remove",
    "array_sort",
    "array_union",
    "cardinality",
    "create_map",
    "element_at",
    "explode",
    "explode_outer",
    "flatten",
    "map_keys",
    "map_values",
    "sequence",
    "size",
    "slice",
    "sort_array",
    "struct",
]
