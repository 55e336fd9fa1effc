"""Turning ``df.join(other, on, how)`` arguments into a ``Join`` plan node."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from kaspar.engine.plan import logical as L
from kaspar.errors import IllegalArgumentException
from kaspar.sql.column import Column


def join_plan(left: L.LogicalPlan, right: L.LogicalPlan, on: Any, how: str | None) -> L.Join:
    """``on``: a name, a list of names, a Column or a list of Columns; ``how``: Spark's names."""
    key = (how or "inner").lower().replace(" ", "")
    kind = L.JOIN_TYPES.get(key)
    if kind is None:
        raise IllegalArgumentException(
            f"Unsupported join type '{how}'. Supported join types include: 'inner', 'outer', "
            "'full', 'fullouter', 'full_outer', 'leftouter', 'left', 'left_outer', "
            "'rightouter', 'right', 'right_outer', 'leftsemi', 'left_semi', 'semi', "
            "'leftanti', 'left_anti', 'anti', 'cross'.",
            "UNSUPPORTED_JOIN_TYPE",
        )
    if on is None:
        return L.Join(left, right, "cross" if kind == "inner" else kind)
    items = on if isinstance(on, list | tuple) else [on]
    if all(isinstance(i, str) for i in items):
        return L.Join(left, right, kind, using=tuple(items))
    condition: exp.Expr | None = None
    for item in items:
        e = item.expr if isinstance(item, Column) else exp.column(item, quoted=True)
        condition = e if condition is None else exp.and_(condition, e)
    return L.Join(left, right, kind, condition=condition)
