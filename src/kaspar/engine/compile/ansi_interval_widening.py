"""ANSI intervals of one kind but different fields meeting in one column, widened as Spark
widens them.

``interval '1' day`` and ``interval '3' hour`` in one column are ``interval day to hour`` in
Spark. kaspar's carriers name their fields by type (``ansi_interval_carrier``), so DuckDB
would unite the two structs into one with both fields; before it does, each value is moved
into the widened type's carrier: the rows of a ``VALUES`` list, the sides of a set operation,
the values of ``coalesce``, ``greatest``, ``least``, ``CASE`` and ``IF``.
"""

from __future__ import annotations

from collections.abc import Callable

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.compile.ansi_interval_carrier import carried_type, carried_value, carrier
from kaspar.engine.type_conversion import ansi_interval_field, ansi_interval_of_field

Types = Callable[[list[exp.Expr]], list[DuckDBPyType] | None]
CHOICES = (exp.Coalesce, exp.Greatest, exp.Least, exp.Case, exp.If)


def widened(dtypes: list[T.AnsiIntervalType | None]) -> T.AnsiIntervalType | None:
    """The common type of intervals of one kind with different fields (None: nothing to
    widen: one type, other kinds, or not all intervals)."""
    known = [d for d in dtypes if d is not None]
    if len(known) < 2 or len({type(d) for d in known}) != 1 or len(set(known)) == 1:
        return None
    kind = type(known[0])
    return kind(min(d.startField for d in known), max(d.endField for d in known))


def _moved(value: exp.Expr, dtype: T.AnsiIntervalType) -> exp.Expr:
    return carrier(carried_value(value), dtype)


def _values_cell_type(cell: exp.Expr) -> T.AnsiIntervalType | None:
    """The interval type of a ``VALUES`` cell written as a carrier (an interval literal)."""
    if isinstance(cell, exp.Struct) and len(cell.expressions) == 1:
        field = cell.expressions[0]
        if isinstance(field, exp.PropertyEQ):
            return ansi_interval_of_field(field.name)
    return None


def widen_values(values: exp.Values) -> None:
    """Each column of a ``VALUES`` list holding interval literals of one kind and different
    fields, as the widened type (the literals renamed: no query to bind)."""
    rows = [r for r in values.expressions if isinstance(r, exp.Tuple)]
    if not rows or len({len(r.expressions) for r in rows}) != 1:
        return
    for i in range(len(rows[0].expressions)):
        cells = [r.expressions[i] for r in rows]
        common = widened([_values_cell_type(c) for c in cells])
        if common is None:
            continue
        for cell in cells:
            field = cell.expressions[0] if _values_cell_type(cell) is not None else None
            if isinstance(field, exp.PropertyEQ):
                field.set("this", exp.to_identifier(ansi_interval_field(common)))


def _choices(node: exp.Expr) -> list[exp.Expr]:
    """The expressions whose value ``node`` takes (a choice among them)."""
    if isinstance(node, exp.Case):
        ifs = [i.args["true"] for i in node.args.get("ifs") or []]
        default = node.args.get("default")
        return [*ifs, *([default] if default is not None else [])]
    if isinstance(node, exp.If):
        return [v for v in (node.args.get("true"), node.args.get("false")) if v is not None]
    return [node.this, *node.expressions]


def widen_choice(node: exp.Expr, types_of: Types) -> None:
    """``coalesce``/``greatest``/``least``/``CASE``/``IF`` over intervals of one kind and
    different fields: each value moved into the widened type."""
    if not isinstance(node, CHOICES):
        return
    values = [v for v in _choices(node) if not isinstance(v, exp.Null)]
    if len(values) < 2:
        return
    types = types_of(values)
    common = widened([carried_type(t) for t in types]) if types is not None else None
    if common is None:
        return
    for value in values:
        value.replace(_moved(value.copy(), common))


def _projections(query: exp.Expr) -> list[exp.Expr] | None:
    if isinstance(query, exp.Subquery):
        return _projections(query.this)
    if isinstance(query, exp.Select):
        return list(query.expressions)
    return None


def _move_column(query: exp.Expr, index: int, dtype: T.AnsiIntervalType) -> bool:
    """Column ``index`` of a set operation's side moved into ``dtype``'s carrier."""
    if isinstance(query, exp.Subquery):
        return _move_column(query.this, index, dtype)
    if isinstance(query, exp.SetOperation):
        return _move_column(query.this, index, dtype) and _move_column(
            query.expression, index, dtype
        )
    projections = _projections(query)
    if projections is None or index >= len(projections) or isinstance(projections[index], exp.Star):
        return False
    target = projections[index]
    value = target.this if isinstance(target, exp.Alias) else target
    name = target.alias_or_name
    moved = _moved(value.copy(), dtype)
    target.replace(exp.alias_(moved, exp.to_identifier(name, quoted=True)) if name else moved)
    return True


def widen_set_operation(node: exp.Expr, types_of_query: Callable[[exp.Expr], list[str]]) -> None:
    """A set operation whose sides give intervals of one kind and different fields in a
    column: that column of each side moved into the widened type."""
    if not isinstance(node, exp.SetOperation):
        return
    left, right = types_of_query(node.this), types_of_query(node.expression)
    if not left or len(left) != len(right):
        return
    for i, (a, b) in enumerate(zip(left, right, strict=True)):
        common = widened([carried_type(a), carried_type(b)])
        if common is not None:
            _move_column(node.this, i, common)
            _move_column(node.expression, i, common)


__all__ = ["CHOICES", "widen_choice", "widen_set_operation", "widen_values", "widened"]
