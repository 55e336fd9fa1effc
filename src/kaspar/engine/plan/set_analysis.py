"""Analysis of ``union``/``unionByName``/``intersect``/``except``: column matching by position
or by name (with ``allowMissingColumns``)."""

from __future__ import annotations

from dataclasses import replace

from sqlglot import exp

from kaspar.engine.plan import logical as L
from kaspar.engine.plan.attributes import Attribute, ResolvedPlan
from kaspar.errors import AnalysisException


def analyze_set_operation(
    plan: L.SetOperation, left: ResolvedPlan, right: ResolvedPlan
) -> ResolvedPlan:
    """Line the right side up with the left; the output keeps the left's attributes."""
    if plan.by_name:
        left, right = _align_by_name(plan, left, right)
    elif len(left.output) != len(right.output):
        raise AnalysisException(
            f"{plan.kind.upper()} can only be performed on inputs with the same number of "
            f"columns, but the first input has {len(left.output)} columns and the second "
            f"input has {len(right.output)} columns.",
            "NUM_COLUMNS_MISMATCH",
        )
    if plan.kind != "union":  # intersect / except: rows of the left side
        return ResolvedPlan(plan, left.output, (left, right))
    output = tuple(  # a union column is nullable if either side's is
        replace(a, nullable=True) if b.nullable and not a.nullable else a
        for a, b in zip(left.output, right.output, strict=True)
    )
    return ResolvedPlan(plan, output, (left, right))


def _align_by_name(
    plan: L.SetOperation, left: ResolvedPlan, right: ResolvedPlan
) -> tuple[ResolvedPlan, ResolvedPlan]:
    right_by_name = {a.name.lower(): a for a in right.output}
    left_names = {a.name.lower() for a in left.output}
    missing_in_right = [a for a in left.output if a.name.lower() not in right_by_name]
    extra_in_right = [a for a in right.output if a.name.lower() not in left_names]
    if (missing_in_right or extra_in_right) and not plan.allow_missing:
        name = (missing_in_right or extra_in_right)[0].name
        raise AnalysisException(
            f'Cannot resolve column name "{name}" among '
            f"({', '.join(a.name for a in right.output)}).",
            "UNRESOLVED_COLUMN.WITHOUT_SUGGESTION",
        )
    right_exprs: list[exp.Expr] = []
    right_attrs: list[Attribute] = []
    for attr in left.output:
        match = right_by_name.get(attr.name.lower())
        right_exprs.append(match.reference() if match else exp.Null())
        right_attrs.append(match if match else Attribute(attr.name))
    left_exprs: list[exp.Expr] = [a.reference() for a in left.output]
    left_attrs = list(left.output)
    for attr in extra_in_right:
        left_exprs.append(exp.Null())
        left_attrs.append(Attribute(attr.name))
        right_exprs.append(attr.reference())
        right_attrs.append(attr)
    if extra_in_right:
        left = ResolvedPlan(
            L.Project(child=left.plan, expressions=tuple(left_exprs)), tuple(left_attrs), (left,)
        )
    right = ResolvedPlan(
        L.Project(child=right.plan, expressions=tuple(right_exprs)), tuple(right_attrs), (right,)
    )
    return left, right
