"""The analyzer: resolves a logical plan's column names to attributes (Spark's exprIds).

``analyze(plan)`` returns a ``ResolvedPlan`` tree whose expressions reference attribute ids, so
compiled SQL never depends on user spelling, letter case or duplicate names. Results are cached
per plan node, so a DataFrame is analysed once however many actions run on it.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from sqlglot import exp

from kaspar.engine.plan import logical as L
from kaspar.engine.plan.attributes import ATTR_ID, METADATA, Attribute, ResolvedPlan
from kaspar.engine.plan.file_metadata import exposed, hide, is_metadata_field
from kaspar.engine.plan.join_analysis import analyze_join
from kaspar.engine.plan.naming import top_level_name
from kaspar.engine.plan.nullability import (
    NEVER,
    NULLABLE,
    UNKNOWN,
    Nullability,
    infer,
    of_values_query,
    shape_of,
)
from kaspar.engine.plan.resolution import (
    expand_star,
    find_attribute,
    is_star,
    outer_as_plain,
    resolve_column,
    resolve_expression,
)
from kaspar.engine.plan.subquery import bind_plan

_cache: weakref.WeakKeyDictionary[L.LogicalPlan, ResolvedPlan] = weakref.WeakKeyDictionary()


def analyze(plan: L.LogicalPlan) -> ResolvedPlan:
    """Resolve ``plan`` (cached per node)."""
    cached = _cache.get(plan)
    if cached is None:
        cached = _RULES[type(plan)](plan)
        _cache[plan] = cached
    return cached


def _leaf(names: Sequence[str], plan: L.LogicalPlan, *, nullable: bool = True) -> ResolvedPlan:
    return ResolvedPlan(plan, tuple(Attribute(n, nullable=nullable) for n in names))


def _local(plan: Any) -> ResolvedPlan:
    """The columns of an Arrow table, nullable as its schema says (``createDataFrame``), and
    inside nested types as the Spark schema it was made with says."""
    nullable = [field.nullable for field in plan.table.schema]
    schema = getattr(plan, "schema", None)
    shapes = [shape_of(f.dataType) for f in schema.fields] if schema else [None] * len(nullable)
    attrs = (
        Attribute(n, nullable=x, shape=s)
        for n, x, s in zip(plan.names, nullable, shapes, strict=True)
    )
    return ResolvedPlan(plan, tuple(attrs))


def _range(plan: Any) -> ResolvedPlan:
    return _leaf(["id"], plan, nullable=False)


def _named_expressions(
    exprs: Sequence[exp.Expr], inputs: Sequence[Attribute], hidden: Sequence[Attribute] = ()
) -> tuple[list[exp.Expr], list[Attribute]]:
    """Resolve projections; a bare column keeps its attribute, anything else gets a new one.
    ``hidden`` inputs (file metadata) are left out of ``*``."""
    resolved: list[exp.Expr] = []
    attrs: list[Attribute] = []
    for e in exprs:
        if is_star(e):
            for attr in expand_star(e, [a for a in inputs if a not in hidden]):
                resolved.append(attr.reference())
                attrs.append(attr)
            continue
        r = resolve_expression(e, inputs)
        if isinstance(e, exp.Alias):
            r = r.this if isinstance(r, exp.Alias) else r
            metadata = e.meta.get(METADATA, _metadata_of(r, inputs))
            known = UNKNOWN if e.meta.get(NULLABLE) else _infer(r, inputs)
            attrs.append(
                Attribute(e.alias, nullable=known.nullable, metadata=metadata, shape=known.shape)
            )
        elif isinstance(r, exp.Column) and ATTR_ID in r.meta:
            attr = next(a for a in inputs if a.id == r.meta[ATTR_ID])
            attrs.append(attr if ATTR_ID in e.meta else attr.renamed(top_level_name(e)))
        else:
            known = _infer(r, inputs)
            attrs.append(Attribute(top_level_name(e), nullable=known.nullable, shape=known.shape))
        resolved.append(r)
    return resolved, attrs


def _metadata_of(e: exp.Expr, inputs: Sequence[Attribute]) -> str:
    """An alias of a bare column keeps the column's metadata, as Spark's ``Alias`` does."""
    if isinstance(e, exp.Column) and ATTR_ID in e.meta:
        return next((a.metadata for a in inputs if a.id == e.meta[ATTR_ID]), "")
    return ""


def _infer(e: exp.Expr, inputs: Sequence[Attribute]) -> Nullability:
    """Spark's nullability of ``e`` (``nullability.infer``); a field of the file metadata
    struct is never null, as Spark's schema says."""
    return NEVER if is_metadata_field(e) else infer(e, inputs)


def _project(plan: Any) -> ResolvedPlan:
    child, hidden = exposed(analyze(plan.child), plan.expressions)
    exprs, attrs = _named_expressions(plan.expressions, child.output, hidden)
    return ResolvedPlan(replace(plan, expressions=tuple(exprs)), tuple(attrs), (child,))


def _filter(plan: Any) -> ResolvedPlan:
    original = analyze(plan.child)
    child, hidden = exposed(original, (plan.condition,))
    condition = resolve_expression(plan.condition, child.output)
    resolved = ResolvedPlan(replace(plan, condition=condition), child.output, (child,))
    return hide(resolved, hidden, original.output)


def _aggregate(plan: Any) -> ResolvedPlan:
    child, _ = exposed(analyze(plan.child), (*plan.grouping, *plan.aggregates))
    grouping = tuple(
        resolve_expression(g.this if isinstance(g, exp.Alias) else g, child.output)
        for g in plan.grouping
    )
    sets = tuple(tuple(resolve_expression(e, child.output) for e in s) for s in plan.sets)
    exprs, attrs = _named_expressions(plan.aggregates, child.output)
    if plan.grouping_sets:  # a key is NULL in the rows of the sets without it
        keys = {g.meta.get(ATTR_ID) for g in grouping if isinstance(g, exp.Column)}
        attrs = [replace(a, nullable=True) if a.id in keys else a for a in attrs]
    resolved = replace(plan, grouping=grouping, aggregates=tuple(exprs), sets=sets)
    return ResolvedPlan(resolved, tuple(attrs), (child,))


def _sort(plan: Any) -> ResolvedPlan:
    original = analyze(plan.child)
    child, hidden = exposed(original, plan.orders)
    orders = tuple(resolve_expression(o, child.output) for o in plan.orders)
    resolved = ResolvedPlan(replace(plan, orders=orders), child.output, (child,))
    return hide(resolved, hidden, original.output)


def _repartition(plan: Any) -> ResolvedPlan:
    child = analyze(plan.child)
    exprs = tuple(resolve_expression(e, child.output) for e in plan.expressions)
    return ResolvedPlan(replace(plan, expressions=exprs), child.output, (child,))


def _poisson_sample(plan: Any) -> ResolvedPlan:
    child = analyze(plan.child)
    counts = resolve_expression(plan.counts, child.output)
    return ResolvedPlan(replace(plan, counts=counts), child.output, (child,))


def _passthrough(plan: Any) -> ResolvedPlan:
    child = analyze(plan.child)
    return ResolvedPlan(plan, child.output, (child,))


def _deduplicate(plan: Any) -> ResolvedPlan:
    child = analyze(plan.child)
    subset = tuple(find_attribute(n, child.output).column_name for n in plan.subset)
    return ResolvedPlan(replace(plan, subset=subset), child.output, (child,))


def _subquery_alias(plan: Any) -> ResolvedPlan:
    child = analyze(plan.child)
    out = tuple(
        Attribute(a.name, a.id, (plan.alias,), a.nullable, a.metadata, a.shape)
        for a in child.output
    )
    return ResolvedPlan(plan, out, (child,))


def _set_operation(plan: Any) -> ResolvedPlan:
    from kaspar.engine.plan.set_analysis import analyze_set_operation

    return analyze_set_operation(plan, analyze(plan.left), analyze(plan.right))


def _lateral_join(plan: Any) -> ResolvedPlan:
    """The right side's ``outer()`` columns bound to the left's attributes, then both sides
    side by side; the condition sees both."""
    left = analyze(plan.left)
    ids = {a.id for a in left.output}
    right_plan = bind_plan(
        plan.right, lambda c: resolve_column(outer_as_plain(c), left.output), ids
    )
    right = analyze(right_plan)
    output = (*left.output, *right.output)
    condition = plan.condition
    if condition is not None:
        condition = resolve_expression(condition, output)
    resolved = replace(plan, right=right_plan, condition=condition)
    return ResolvedPlan(resolved, output, (left, right))


def _join(plan: Any) -> ResolvedPlan:
    return analyze_join(plan, analyze(plan.left), analyze(plan.right))


def _sql_query(plan: Any) -> ResolvedPlan:
    children = tuple(analyze(child) for _, child in plan.views)
    known = of_values_query(plan.query, len(plan.names)) or [UNKNOWN] * len(plan.names)
    attrs = (
        Attribute(n, nullable=k.nullable, shape=k.shape)
        for n, k in zip(plan.names, known, strict=True)
    )
    return ResolvedPlan(plan, tuple(attrs), children)


def _groups_with_state(plan: Any) -> ResolvedPlan:
    child = analyze(plan.child)
    return ResolvedPlan(plan, tuple(Attribute(f.name) for f in plan.output.fields), (child,))


def _scan(plan: Any) -> ResolvedPlan:
    return _leaf(plan.names, plan)


_RULES: dict[type[L.LogicalPlan], Callable[[Any], ResolvedPlan]] = {
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
    L.Limit: _passthrough,
    L.Distinct: _passthrough,
    L.Deduplicate: _deduplicate,
    L.SubqueryAlias: _subquery_alias,
    L.EventTimeWatermark: _passthrough,
    L.Join: _join,
    L.LateralJoin: _lateral_join,
    L.SetOperation: _set_operation,
    L.Repartition: _repartition,
    L.SortWithinPartitions: _sort,
    L.PoissonSample: _poisson_sample,
}
