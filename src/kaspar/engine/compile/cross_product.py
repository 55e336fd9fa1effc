"""Cross joins in Spark's row order: each left row followed by every right row.

Spark streams the left side past the (broadcast) right side, so a cross join of two small
DataFrames lists, for each left row, every right row. DuckDB's cross product puts the smaller
side outside (per chunk), which gives right-major rows when the right side is the smaller one.
When both sides are known to be small (``row_bound``), the right side's rows are collected
into one list and unnested next to each left row, which keeps Spark's order; joins of larger or
unknown sides keep DuckDB's cross product, whose order Spark does not fix either (it depends
on partitioning) and which is several times faster at scale.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from kaspar.engine.plan import logical as L

SMALL_PRODUCT = 1_000_000  # rows: up to here the unnest costs a few milliseconds

_ROW_PRESERVING = (L.Sort, L.SubqueryAlias, L.EventTimeWatermark)
_ROW_REDUCING = (L.Filter, L.Distinct, L.Deduplicate)


def row_bound(plan: L.LogicalPlan) -> int | None:
    """An upper bound on ``plan``'s row count when the plan shows one cheaply, else None."""
    if isinstance(plan, L.StreamingRelation):
        return None
    if isinstance(plan, L.LocalRelation):
        return int(plan.table.num_rows)
    if isinstance(plan, L.Range):
        return _range_rows(plan)
    if isinstance(plan, L.Project):
        return None if any(_generates(e) for e in plan.expressions) else row_bound(plan.child)
    if isinstance(plan, _ROW_PRESERVING + _ROW_REDUCING):
        return row_bound(plan.child)
    if isinstance(plan, L.Limit):
        below = row_bound(plan.child)
        if plan.n is None:
            return below
        return plan.n if below is None else min(below, plan.n)
    if isinstance(plan, L.Aggregate) and not plan.grouping and not plan.grouping_sets:
        return 1
    return None


def _range_rows(plan: Any) -> int | None:
    start, end, step = plan.start, plan.end, plan.step
    if not all(isinstance(v, int) for v in (start, end, step)) or step == 0:
        return None
    return int(max(0, -(-(end - start) // step)))


def _generates(e: exp.Expr) -> bool:
    return any(
        isinstance(n, exp.Explode)
        or (isinstance(n, exp.Anonymous) and str(n.this).lower() == "unnest")
        for n in e.walk()
    )


def wants_left_major(left: L.LogicalPlan, right: L.LogicalPlan) -> bool:
    """Whether both sides are small enough to list the product in left-major order."""
    n_left, n_right = row_bound(left), row_bound(right)
    return n_left is not None and n_right is not None and n_left * n_right <= SMALL_PRODUCT


def left_major_product(left: exp.Expr, right: exp.Query, alias: str) -> exp.Expr:
    """``left`` (an aliased subquery) times ``right``, each left row next to every right row,
    as a subquery named ``alias`` with both sides' columns."""
    rows = exp.to_identifier("_rows")
    row = exp.to_identifier("_row")
    collected = (
        exp.select(exp.alias_(exp.Anonymous(this="list", expressions=[exp.column("_r")]), rows))
        .from_(right.subquery("_r"))
        .subquery("_rr")
    )
    left_name = left.alias_or_name
    paired = exp.select(
        exp.Column(this=exp.Star(), table=exp.to_identifier(left_name)),
        exp.alias_(exp.Anonymous(this="unnest", expressions=[exp.column(rows, "_rr")]), row),
    ).from_(left)
    paired = paired.join(collected, join_type="CROSS")
    spread = exp.select(
        exp.Star(**{"except": [exp.column(row)]}),
        exp.Anonymous(this="unnest", expressions=[exp.column(row)]),
    ).from_(paired.subquery("_p"))
    return spread.subquery(alias)
