"""Subquery expressions: a DataFrame's plan inside a Column (``isin(df)``, ``df.scalar()``,
``df.exists()``), for uncorrelated subqueries.

The plan rides in the expression's ``meta`` inside a ``PlanRef``, which sqlglot's copies share
rather than copy (analysis copies expressions). When the query is compiled, each subquery's
plan is analysed and compiled on its own and its SQL put in place (``inline_subqueries``); the
executor registers the tables that plan reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlglot import exp

from kaspar.engine.plan.logical import LogicalPlan

SUBQUERY = "subquery_plan"


class PlanRef:
    """A plan carried in an expression's meta; copies of the expression share it."""

    __slots__ = ("plan",)

    def __init__(self, plan: LogicalPlan) -> None:
        self.plan = plan

    def __deepcopy__(self, memo: dict[int, Any]) -> PlanRef:
        return self


def subquery_expression(plan: LogicalPlan) -> exp.Subquery:
    """``(SELECT ...)`` of ``plan``, filled in when the outer query is compiled."""
    node = exp.Subquery(this=exp.select(exp.Null()))
    node.meta[SUBQUERY] = PlanRef(plan)
    return node


def subquery_plans(tree: exp.Expr) -> list[LogicalPlan]:
    return [n.meta[SUBQUERY].plan for n in tree.find_all(exp.Subquery) if SUBQUERY in n.meta]


def inline_subqueries(tree: exp.Expr, compile_query: Callable[[LogicalPlan], exp.Query]) -> None:
    """Put each subquery plan's compiled query in place (nested ones too)."""
    while True:
        pending = [n for n in tree.find_all(exp.Subquery) if SUBQUERY in n.meta]
        if not pending:
            return
        for node in pending:
            plan = node.meta.pop(SUBQUERY).plan
            node.set("this", compile_query(plan))
