"""Spark SQL's intervals as kaspar writes them, applied to every tree the Spark SQL parser
builds: interval literals are ANSI intervals (``ansi_interval_literals``), and ``+``, ``-``,
``*``, ``/`` and negation with an interval operand are the typed rewrites of
``ansi_interval_arithmetic``, named as Spark names them (``DATE '2024-01-31' + INTERVAL '1'
MONTH``, ``(INTERVAL '1' DAY * 2)``, ``(- INTERVAL '1' YEAR)``).
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.compile.ansi_interval_arithmetic import (
    interval_arithmetic,
    interval_comparison,
    interval_negation,
    interval_scaling,
    is_interval,
)
from kaspar.engine.compile.ansi_interval_columns import SPARK_OPERATOR, spark_operator
from kaspar.engine.plan.naming import SPARK_NAME, output_name

_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.NullSafeEQ)
_SIGNS: dict[type[exp.Expr], str] = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/"}


def _rewritten(node: exp.Expr) -> exp.Expr | None:
    if isinstance(node, exp.Neg) and is_interval(node.this):
        call = interval_negation(node.this)
        call.meta[SPARK_NAME] = f"(- {output_name(node.this)})"
        return call
    if isinstance(node, _COMPARISONS) and is_interval(node.this) and is_interval(node.expression):
        call = interval_comparison(type(node), node.this, node.expression)
        call.meta[SPARK_NAME] = output_name(node)
        return call
    sign = _SIGNS.get(type(node))
    if sign is None:
        return None
    left, right = node.this, node.expression
    if not (is_interval(left) or is_interval(right)):
        return None
    name = f"{output_name(left)} {sign} {output_name(right)}"
    if isinstance(node, exp.Add | exp.Sub):
        call = interval_arithmetic(left, right, subtract=isinstance(node, exp.Sub))
        both = is_interval(left) and is_interval(right)
        call.meta[SPARK_NAME] = f"({name})" if both else name  # datetime + interval: no parens
        return call
    call = interval_scaling(left, right, divide=isinstance(node, exp.Div))
    if not is_interval(left):  # Spark names n * interval as interval * n
        name = f"{output_name(right)} {sign} {output_name(left)}"
    call.meta[SPARK_NAME] = f"({name})"
    return call


_OPERATORS = (*_SIGNS, *_COMPARISONS, exp.Neg)


BUILT_OPERATOR = "kaspar_built_operator"  # meta: an operator kaspar wrote, not the user


def mark_operators(user: list[exp.Expr], built: exp.Expr) -> None:
    """Before a call written in SQL is built by a DataFrame function: the operators of its
    arguments ``user`` are the user's; after, those the function added to ``built`` are not
    (``interval_operations`` leaves them as they are)."""
    for argument in user:
        for node in argument.walk():
            if isinstance(node, _OPERATORS):
                spark_operator(node)
    for node in built.walk():
        if isinstance(node, _OPERATORS) and not node.meta.get(SPARK_OPERATOR):
            node.meta[BUILT_OPERATOR] = True


def interval_operations(tree: exp.Expr) -> exp.Expr:
    """``tree`` with its interval operations rewritten, innermost first; the other operators
    are marked as the user's (``ansi_interval_columns``: their operands' types may make them
    interval operations too)."""
    for node in reversed(list(tree.walk(bfs=False))):
        if node.meta.get(BUILT_OPERATOR):
            continue
        rewritten = _rewritten(node)
        if rewritten is None:
            if isinstance(node, _OPERATORS):
                spark_operator(node)
            if isinstance(node, exp.Neg) and not isinstance(node.this, exp.Literal):
                node.meta.setdefault(SPARK_NAME, f"(- {output_name(node.this)})")
            continue
        if node is tree:
            return rewritten
        node.replace(rewritten)
    return tree


__all__ = ["BUILT_OPERATOR", "interval_operations", "mark_operators"]
