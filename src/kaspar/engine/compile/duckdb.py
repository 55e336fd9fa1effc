"""Compile an analysed plan into one DuckDB query (a sqlglot tree).

Every node becomes a ``SELECT`` over its child as a subquery, with each output column aliased
to its attribute id (``"_12"``); DuckDB's optimizer flattens the nesting. DuckDB preserves the
order of an ordered subquery through projections, filters and limits, as Spark does.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from sqlglot import exp

from kaspar.engine.compile import cross_product
from kaspar.engine.plan import logical as L
from kaspar.engine.plan.attributes import Attribute, ResolvedPlan
from kaspar.engine.seeded.marks import has_partition_values

_aliases = itertools.count()

# Streaming stages: analysed nodes whose output another plan computes instead (by identity).
_substitutes: ContextVar[Mapping[int, ResolvedPlan] | None] = ContextVar(
    "substitutes", default=None
)


@contextlib.contextmanager
def substituting(cuts: Mapping[ResolvedPlan, ResolvedPlan]) -> Iterator[None]:
    """Compile ``node`` as ``replacement`` for each pair in ``cuts``: the replacement's columns,
    in order, become the node's attributes. Streaming queries use this to cut a plan at its
    stateful operators without re-analysing (and so renumbering) what is above them."""
    token = _substitutes.set({id(node): replacement for node, replacement in cuts.items()})
    try:
        yield
    finally:
        _substitutes.reset(token)


def compile_plan(r: ResolvedPlan) -> exp.Query:
    """The query whose output columns are ``r.output``'s attribute ids, in order."""
    substitutes = _substitutes.get()
    replacement = substitutes.get(id(r)) if substitutes else None
    if replacement is not None:
        columns = [exp.column(a.column_name, quoted=True) for a in replacement.output]
        return exp.select(*_select(columns, r.output)).from_(
            _subquery(_COMPILERS[type(replacement.plan)](replacement))
        )
    return _COMPILERS[type(r.plan)](r)


def compile_output(r: ResolvedPlan, casts: Sequence[exp.DataType | None] = ()) -> exp.Select:
    """The user-facing query: attribute ids renamed to column names (duplicates allowed)."""
    columns: list[exp.Expr] = []
    for i, attr in enumerate(r.output):
        ref: exp.Expr = exp.column(attr.column_name, quoted=True)
        if i < len(casts) and casts[i] is not None:
            ref = exp.Cast(this=ref, to=casts[i])
        columns.append(_alias(ref, attr.name))
    return exp.select(*columns).from_(_subquery(compile_plan(r)))


def _alias(e: exp.Expr, name: str) -> exp.Alias:
    return exp.Alias(this=e, alias=exp.to_identifier(name, quoted=True))


def _subquery(q: exp.Query) -> exp.Expr:
    return q.subquery(f"_q{next(_aliases)}")


def _select(exprs: Sequence[exp.Expr], attrs: Sequence[Attribute]) -> list[exp.Expr]:
    return [_alias(e, a.column_name) for e, a in zip(exprs, attrs, strict=True)]


def _star_from(child: ResolvedPlan) -> exp.Select:
    return exp.select("*").from_(_subquery(compile_plan(child)))


def _local(r: ResolvedPlan) -> exp.Query:
    plan: Any = r.plan
    cols = [exp.column(f"c{i}", quoted=True) for i in range(len(r.output))]
    return exp.select(*_select(cols, r.output)).from_(exp.to_identifier(plan.name, quoted=True))


def _groups_with_state(r: ResolvedPlan) -> exp.Query:
    """No rows, the output's types: what the node computes exists only per micro-batch (its
    streaming operator replaces it); this gives the DataFrame its schema."""
    from kaspar.engine.type_conversion import to_sqlglot

    plan: Any = r.plan
    nulls = [exp.cast(exp.null(), to_sqlglot(f.dataType)) for f in plan.output.fields]
    return exp.select(*_select(nulls, r.output)).where(exp.false())


def _scan(r: ResolvedPlan) -> exp.Query:
    plan: Any = r.plan
    cols = [exp.column(n, quoted=True) for n in plan.names]
    return exp.select(*_select(cols, r.output)).from_(plan.source.copy())


def _range(r: ResolvedPlan) -> exp.Query:
    plan: Any = r.plan
    args = [exp.Literal.number(v) for v in (plan.start, plan.end, plan.step)]
    source = exp.Anonymous(this="range", expressions=args)
    return exp.select(*_select([exp.column("range")], r.output)).from_(source)


def _sql_query(r: ResolvedPlan) -> exp.Query:
    plan: Any = r.plan
    alias = exp.TableAlias(
        this=exp.to_identifier(f"_q{next(_aliases)}"),
        columns=[exp.to_identifier(a.column_name, quoted=True) for a in r.output],
    )
    outer = exp.select("*").from_(exp.Subquery(this=plan.query.copy(), alias=alias))
    for (name, _), child in zip(plan.views, r.children, strict=True):
        outer = outer.with_(exp.to_identifier(name, quoted=True), as_=compile_output(child))
    return outer


def _project(r: ResolvedPlan) -> exp.Query:
    plan: Any = r.plan
    if has_partition_values(plan.expressions):
        return _partitioned(r)
    query = exp.select(*_select(plan.expressions, r.output)).from_(
        _subquery(_read(r.children[0], plan.expressions))
    )
    keys = _window_order(plan.expressions, r.output)
    return query.order_by(*keys) if keys else query


def _window_order(expressions: Sequence[exp.Expr], output: Sequence[Attribute]) -> list[exp.Expr]:
    """The rows of a window projection in its window's order, partition by partition (the
    first window's keys, then the window results, so tied rows come in the order their
    row_number counts them): Spark's window operator sorts by those keys, and DuckDB's
    parallel window gives no order of its own, so results would vary from run to run."""
    window = next((w for e in expressions for w in e.find_all(exp.Window)), None)
    if window is None:
        return []
    results = [
        exp.Ordered(this=exp.column(a.column_name, quoted=True), desc=False, nulls_first=True)
        for e, a in zip(expressions, output, strict=True)
        if e.find(exp.Window) is not None
    ]
    keys: list[exp.Expr] = [
        exp.Ordered(this=k.copy(), desc=False, nulls_first=True)
        for k in window.args.get("partition_by") or []
    ]
    order = window.args.get("order")
    keys += [o.copy() for o in order.expressions] if order is not None else []
    return keys + results


def _filter(r: ResolvedPlan) -> exp.Query:
    plan: Any = r.plan
    if has_partition_values([plan.condition]):
        return _partitioned(r)
    return _star_from(r.children[0]).where(plan.condition)


def _read(child: ResolvedPlan, reads: Sequence[exp.Expr]) -> exp.Query:
    """``child``'s query; over a repartitioning, with only the columns ``reads`` reads (a
    round robin hashes those, docs/partitions.md)."""
    from kaspar.engine.compile.partitions import compile_pruned, reaches_repartition

    if reaches_repartition(child):
        return compile_pruned(child, reads)
    return compile_plan(child)


def _partitioned(r: ResolvedPlan) -> exp.Query:
    """Plans whose rows' partitions matter (docs/partitions.md)."""
    from kaspar.engine.compile.partitions import compile_partitioned

    return compile_partitioned(r)


def _aggregate(r: ResolvedPlan) -> exp.Query:
    plan: Any = r.plan
    if has_partition_values([*plan.grouping, *plan.aggregates]):
        return _partitioned(r)
    reads = [*plan.grouping, *plan.aggregates, *(e for s in plan.sets for e in s)]
    return aggregate_over(r, _read(r.children[0], reads))


def aggregate_over(r: ResolvedPlan, child: exp.Query) -> exp.Query:
    """``r``'s aggregation of the rows of ``child``."""
    plan: Any = r.plan
    q = exp.select(*_select(plan.aggregates, r.output)).from_(_subquery(child))
    if plan.grouping_sets == "GROUPING SETS":
        sets = [exp.Tuple(expressions=list(s)) for s in plan.sets]
        return q.group_by(exp.GroupingSets(expressions=sets))
    if plan.grouping_sets:
        kind = exp.Rollup if plan.grouping_sets == "ROLLUP" else exp.Cube
        return q.group_by(kind(expressions=list(plan.grouping)))
    return q.group_by(*plan.grouping) if plan.grouping else q


def _sort(r: ResolvedPlan) -> exp.Query:
    plan: Any = r.plan
    if has_partition_values(plan.orders):
        return _partitioned(r)
    return _star_from(r.children[0]).order_by(*plan.orders)


def _limit(r: ResolvedPlan) -> exp.Query:
    plan: Any = r.plan
    q = _star_from(r.children[0])
    if plan.n is not None:
        q = q.limit(plan.n)
    return q.offset(plan.offset) if plan.offset else q


def _distinct(r: ResolvedPlan) -> exp.Query:
    return _star_from(r.children[0]).distinct()


def _deduplicate(r: ResolvedPlan) -> exp.Query:
    plan: Any = r.plan
    q = _star_from(r.children[0])
    on = exp.Tuple(expressions=[exp.column(c, quoted=True) for c in plan.subset])
    q.set("distinct", exp.Distinct(on=on))
    return q


def _subquery_alias(r: ResolvedPlan) -> exp.Query:
    return compile_plan(r.children[0])


_JOIN_SQL = {
    "inner": ("", "INNER"),
    "cross": ("", "CROSS"),
    "left": ("LEFT", ""),
    "right": ("RIGHT", ""),
    "full": ("FULL", ""),
    "left_semi": ("", "SEMI"),
    "left_anti": ("", "ANTI"),
    "positional": ("", ""),  # DataFrame.zip: rows paired by position
}


def _join(r: ResolvedPlan) -> exp.Query:
    plan: Any = r.plan
    condition = plan.condition
    if condition is None and plan.how in ("inner", "cross"):
        return _cross_join(r)
    left, right = (_subquery(compile_plan(c)) for c in r.children)
    side, kind = _JOIN_SQL[plan.how]
    join = exp.Join(this=right, side=side or None, kind=kind or None)
    if plan.how == "positional":
        join.set("method", "POSITIONAL")
    if condition is not None:
        join.set("on", condition)
    q = exp.select(*_select(plan.outputs, r.output)).from_(left)
    q.append("joins", join)
    return q


def _cross_join(r: ResolvedPlan) -> exp.Query:
    """Without a condition: Spark's left-major row order when both sides are small."""
    plan: Any = r.plan
    left_plan, right_plan = r.children
    left = _subquery(compile_plan(left_plan))
    q = exp.select(*_select(plan.outputs, r.output))
    if cross_product.wants_left_major(left_plan.plan, right_plan.plan):
        return q.from_(cross_product.left_major_product(left, compile_plan(right_plan), "_x"))
    q = q.from_(left)
    q.append("joins", exp.Join(this=_subquery(compile_plan(right_plan)), kind="CROSS"))
    return q


def _lateral_join(r: ResolvedPlan) -> exp.Query:
    """``FROM left [LEFT] JOIN LATERAL (right) ON cond``: DuckDB runs right per left row."""
    plan: Any = r.plan
    left, right = (compile_plan(c) for c in r.children)
    lateral = exp.Lateral(this=right.subquery(), alias=exp.TableAlias(this=_fresh_alias()))
    side = "LEFT" if plan.how == "left" else None
    on = plan.condition if plan.condition is not None else exp.true()
    join = exp.Join(this=lateral, side=side, on=on)
    columns = [exp.column(a.column_name, quoted=True) for a in r.output]
    q = exp.select(*_select(columns, r.output)).from_(_subquery(left))
    q.append("joins", join)
    return q


def _fresh_alias() -> exp.Identifier:
    return exp.to_identifier(f"_q{next(_aliases)}")


def _set_operation(r: ResolvedPlan) -> exp.Query:
    plan: Any = r.plan
    left, right = (compile_plan(c) for c in r.children)
    kinds: dict[str, type[exp.SetOperation]] = {
        "union": exp.Union,
        "intersect": exp.Intersect,
        "except": exp.Except,
    }
    node = kinds[plan.kind](
        this=exp.select("*").from_(_subquery(left)),
        expression=exp.select("*").from_(_subquery(right)),
        distinct=plan.distinct,
    )
    query = exp.select("*").from_(_subquery(node))
    if plan.kind == "union":
        return query
    # EXCEPT and INTERSECT are hash-based in DuckDB, their row order varying from run to run
    # with its threads: the rows come sorted, so a result reads the same every time
    columns = [exp.column(a.column_name, quoted=True) for a in r.output]
    return query.order_by(*(exp.Ordered(this=c, desc=False, nulls_first=True) for c in columns))


_COMPILERS: dict[type[L.LogicalPlan], Callable[[ResolvedPlan], exp.Query]] = {
    L.LocalRelation: _local,
    L.StreamingRelation: _local,
    L.DeferredRelation: _local,
    L.FlatMapGroupsWithState: _groups_with_state,
    L.TransformWithState: _groups_with_state,
    L.Scan: _scan,
    L.Range: _range,
    L.SqlQuery: _sql_query,
    L.Project: _project,
    L.Filter: _filter,
    L.Aggregate: _aggregate,
    L.Sort: _sort,
    L.Limit: _limit,
    L.Distinct: _distinct,
    L.Deduplicate: _deduplicate,
    L.SubqueryAlias: _subquery_alias,
    L.EventTimeWatermark: _subquery_alias,
    L.Join: _join,
    L.LateralJoin: _lateral_join,
    L.SetOperation: _set_operation,
    L.Repartition: _partitioned,
    L.SortWithinPartitions: _partitioned,
    L.PoissonSample: _partitioned,
}
