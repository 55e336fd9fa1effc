"""The mark of an expression whose value depends on its row's partition (``calls`` builds
them), and how a compiled query puts a row's partition columns in their place."""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

PARTITION_VALUE = "partition_value"  # meta key: "pid", "monotonic", "index" or "seeded"


def has_partition_values(expressions: Sequence[exp.Expr]) -> bool:
    return any(PARTITION_VALUE in n.meta for e in expressions for n in e.walk())


def with_partition(e: exp.Expr, pid: exp.Expr, row: exp.Expr) -> exp.Expr:
    """``e`` with its partition placeholders replaced by the ``pid`` and ``row`` columns."""

    def replace(node: exp.Expr) -> exp.Expr:
        kind = node.meta.get(PARTITION_VALUE)
        if kind == "pid":
            return exp.cast(pid.copy(), "INT")
        if kind == "monotonic":
            shifted = exp.BitwiseLeftShift(
                this=exp.cast(pid.copy(), "BIGINT"), expression=exp.Literal.number(33)
            )
            return exp.cast(exp.Add(this=exp.paren(shifted), expression=row.copy()), "BIGINT")
        if kind == "index":
            order = [
                exp.Ordered(this=pid.copy(), desc=False),
                exp.Ordered(this=row.copy(), desc=False),
            ]
            window = exp.Window(
                this=exp.Anonymous(this="row_number", expressions=[]),
                order=exp.Order(expressions=order),
            )
            return exp.cast(exp.Sub(this=window, expression=exp.Literal.number(1)), "BIGINT")
        if kind == "seeded" and isinstance(node, exp.Anonymous):
            args = list(node.expressions)
            call = exp.Anonymous(
                this=node.this,
                expressions=[args[0].copy(), pid.copy(), row.copy(), *(a.copy() for a in args[3:])],
            )
            return call
        return node

    return e.copy().transform(replace)
