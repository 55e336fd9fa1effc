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


OUTER = "outer_reference"  # Column.outer(): resolved against the enclosing query's columns
OUTER_BOUND = "outer_bound"  # an outer reference already bound to the enclosing attribute


def bind_outer_references(
    node: exp.Subquery, bind: Callable[[exp.Column], exp.Expr], outer_ids: set[int]
) -> exp.Subquery:
    """A copy of the subquery ``node`` whose plan has each ``outer()`` column replaced by
    ``bind(column)`` (the enclosing query's attribute), so the subquery compiles to SQL that
    DuckDB correlates with the enclosing query."""
    plan = node.meta[SUBQUERY].plan
    bound = bind_plan(plan, bind, outer_ids)
    if bound is plan:
        return node
    copy = exp.Subquery(this=node.this.copy())
    copy.meta.update({k: v for k, v in node.meta.items() if k != SUBQUERY})
    copy.meta[SUBQUERY] = PlanRef(bound)
    return copy


def bind_plan(
    plan: LogicalPlan, bind: Callable[[exp.Column], exp.Expr], outer_ids: set[int]
) -> LogicalPlan:
    """``plan`` with its ``outer()`` columns bound by ``bind``; a leaf whose columns the
    enclosing query also has (e1/e2 of one DataFrame) is copied so its columns get ids of
    their own. ``plan`` itself when it has no outer column."""
    bound = _rebuild(plan, bind)
    return plan if bound is plan else _fresh_leaves(bound, outer_ids)


def _rebind(e: exp.Expr, bind: Callable[[exp.Column], exp.Expr]) -> exp.Expr:
    if not any(isinstance(c, exp.Column) and c.meta.get(OUTER) for c in e.walk()):
        return e

    def rewrite(n: exp.Expr) -> exp.Expr:
        if isinstance(n, exp.Column) and n.meta.get(OUTER):
            bound = bind(n)
            bound.meta[OUTER_BOUND] = True
            return bound
        return n

    return e.transform(rewrite, copy=True)


def _rebuild_value(value: Any, bind: Callable[[exp.Column], exp.Expr]) -> Any:
    if isinstance(value, LogicalPlan):
        return _rebuild(value, bind)
    if isinstance(value, exp.Expr):
        return _rebind(value, bind)
    if isinstance(value, tuple):
        items = tuple(_rebuild_value(v, bind) for v in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    return value


def _rebuild(plan: LogicalPlan, bind: Callable[[exp.Column], exp.Expr]) -> LogicalPlan:
    """``plan`` with outer references bound; the same node when it has none."""
    import dataclasses

    changes: dict[str, Any] = {}
    for f in dataclasses.fields(plan):
        if not f.init:
            continue
        value = getattr(plan, f.name)
        rebuilt = _rebuild_value(value, bind)
        if rebuilt is not value:
            changes[f.name] = rebuilt
    return dataclasses.replace(plan, **changes) if changes else plan


def _fresh_leaves(plan: LogicalPlan, outer_ids: set[int]) -> LogicalPlan:
    """``plan`` over copies of its leaves, so its columns get ids of their own (a copy reads
    the same registered table: the user's plan, which holds the original, outlives it)."""
    import dataclasses

    from kaspar.engine.plan.analyzer import analyze

    if not plan.children:
        shared = any(a.id in outer_ids for a in analyze(plan).output)
        return dataclasses.replace(plan) if shared else plan
    changes: dict[str, Any] = {}
    for f in dataclasses.fields(plan):
        value = getattr(plan, f.name) if f.init else None
        if isinstance(value, LogicalPlan):
            changes[f.name] = _fresh_leaves(value, outer_ids)
        elif isinstance(value, tuple) and value and isinstance(value[0], LogicalPlan):
            changes[f.name] = tuple(_fresh_leaves(v, outer_ids) for v in value)
    return dataclasses.replace(plan, **changes)
