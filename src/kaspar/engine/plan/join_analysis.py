"""Analysis of joins: output columns per join type, ``using`` columns, self-join ids."""

from __future__ import annotations

from dataclasses import replace

from sqlglot import exp

from kaspar.engine.plan import logical as L
from kaspar.engine.plan.attributes import Attribute, ResolvedPlan
from kaspar.engine.plan.resolution import find_attribute, resolve_expression


def analyze_join(plan: L.Join, left: ResolvedPlan, right: ResolvedPlan) -> ResolvedPlan:
    """Resolve a join.

    1. If the right side reuses attribute ids of the left (a self-join), give it fresh ids
       through a renaming projection, as Spark's ``DeduplicateRelations`` does.
    2. ``using`` columns become equality conditions; they appear once in the output, first,
       taken from the left side (right side for right joins, coalesced for full joins).
    3. Semi and anti joins output only the left columns.
    """
    right = _deduplicate_ids(left, right)
    inputs = (*left.output, *right.output)
    condition = resolve_expression(plan.condition, inputs) if plan.condition is not None else None
    inputs = (
        *_outer_side(left.output, plan.how in ("right", "full")),
        *_outer_side(right.output, plan.how in ("left", "full")),
    )
    semi = plan.how in ("left_semi", "left_anti")
    out: tuple[Attribute, ...]
    outputs: tuple[exp.Expr, ...]
    if not plan.using:
        out = inputs[: len(left.output)] if semi else inputs
        outputs = tuple(a.reference() for a in out)
        resolved = replace(plan, condition=condition, outputs=outputs)
        return ResolvedPlan(resolved, out, (left, right))
    left_out, right_out = inputs[: len(left.output)], inputs[len(left.output) :]
    pairs = [(find_attribute(n, left_out), find_attribute(n, right_out)) for n in plan.using]
    for la, ra in pairs:
        eq = exp.EQ(this=la.reference(), expression=ra.reference())
        condition = eq if condition is None else exp.and_(condition, eq)
    if semi:
        keys_first = [la for la, _ in pairs]
        out = (
            *keys_first,
            *(a for a in left_out if a.id not in {k.id for k in keys_first}),
        )
        outputs = tuple(a.reference() for a in out)
    else:
        used = {a.id for pair in pairs for a in pair}
        keys = [_using_output(plan.how, la, ra) for la, ra in pairs]
        rest = [(a, a.reference()) for a in inputs if a.id not in used]
        out = tuple(a for a, _ in (*keys, *rest))
        outputs = tuple(e for _, e in (*keys, *rest))
    resolved = replace(plan, condition=condition, outputs=outputs)
    return ResolvedPlan(resolved, out, (left, right))


def _outer_side(attrs: tuple[Attribute, ...], padded: bool) -> tuple[Attribute, ...]:
    """A side an outer join pads with NULL rows gives nullable columns."""
    if not padded:
        return attrs
    return tuple(a if a.nullable else replace(a, nullable=True) for a in attrs)


def _using_output(how: str, la: Attribute, ra: Attribute) -> tuple[Attribute, exp.Expr]:
    if how == "right":
        return ra, ra.reference()
    if how == "full":
        return Attribute(la.name), exp.Coalesce(this=la.reference(), expressions=[ra.reference()])
    return la, la.reference()


def _deduplicate_ids(left: ResolvedPlan, right: ResolvedPlan) -> ResolvedPlan:
    left_ids = {a.id for a in left.output}
    if not any(a.id in left_ids for a in right.output):
        return right
    fresh = tuple(a.fresh() if a.id in left_ids else a for a in right.output)
    rename = L.Project(child=right.plan, expressions=tuple(a.reference() for a in right.output))
    return ResolvedPlan(rename, fresh, (right,))
