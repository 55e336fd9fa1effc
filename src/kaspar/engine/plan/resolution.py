"""Resolving column references in sqlglot expressions against input attributes.

Names match case-insensitively (Spark's default ``spark.sql.caseSensitive=false``); ``a.b``
is tried first as qualifier ``a`` + column ``b``, then as column ``a`` + struct field ``b``.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from kaspar.engine.plan.attributes import ATTR_ID, Attribute
from kaspar.engine.plan.file_metadata import (
    METADATA_COLUMN,
    check_not_aggregated,
    file_function,
    is_file_function,
    metadata_column,
)
from kaspar.engine.plan.subquery import OUTER, OUTER_BOUND, SUBQUERY, bind_outer_references
from kaspar.errors import AnalysisException, unresolved_column


def resolve_expression(e: exp.Expr, inputs: Sequence[Attribute]) -> exp.Expr:
    """Rewrite every column reference in ``e`` to the attribute it names."""
    lambda_vars = _lambda_variables(e)

    def rewrite(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Subquery) and SUBQUERY in node.meta:
            ids = {a.id for a in inputs}
            return bind_outer_references(
                node, lambda c: resolve_column(outer_as_plain(c), inputs), ids
            )
        if isinstance(node, exp.Anonymous) and is_file_function(node):
            check_not_aggregated(node)
            return file_function(node.name.lower(), inputs)
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            if node.meta.get(METADATA_COLUMN):
                return metadata_column(node, inputs)
            if node.meta.get(OUTER_BOUND) or node.meta.get(OUTER):
                return node  # the enclosing query's column (or, unbound, left for it)
            if len(node.parts) == 1 and node.name.lower() in lambda_vars:
                return node
            return resolve_column(node, inputs)
        return node

    return e.transform(rewrite, copy=True)


def outer_as_plain(col: exp.Column) -> exp.Column:
    """An ``outer()`` column as a plain reference, for the enclosing query to resolve."""
    plain = col.copy()
    plain.meta.pop(OUTER, None)
    return plain


def _lambda_variables(e: exp.Expr) -> set[str]:
    names: set[str] = set()
    for lam in e.find_all(exp.Lambda):
        names.update(v.name.lower() for v in lam.expressions)
    return names


def resolve_column(col: exp.Column, inputs: Sequence[Attribute]) -> exp.Expr:
    """The attribute reference (plus struct field access) that ``col`` names."""
    attr_id = col.meta.get(ATTR_ID) if col.meta else None
    if attr_id is not None:
        for attr in inputs:
            if attr.id == attr_id:
                return attr.reference()
    parts = [p.name for p in col.parts]
    found, rest = _lookup(parts, inputs)
    if not found:
        raise unresolved_column(".".join(_quote(p) for p in parts), [a.name for a in inputs])
    unique = {a.id: a for a in found}
    if len(unique) > 1:
        name = ".".join(parts)
        choices = ", ".join(f"`{'.'.join((*a.qualifiers[:1], a.name))}`" for a in unique.values())
        raise AnalysisException(
            f"Reference `{name}` is ambiguous, could be: [{choices}].",
            "AMBIGUOUS_REFERENCE",
            {"name": f"`{name}`", "referenceNames": f"[{choices}]"},
        )
    result: exp.Expr = found[0].reference()
    for field_name in rest:
        result = exp.Bracket(this=result, expressions=[exp.Literal.string(field_name)])
    return result


def _quote(part: str) -> str:
    return part if part.replace("_", "").isalnum() else f"`{part}`"


def _lookup(parts: list[str], inputs: Sequence[Attribute]) -> tuple[list[Attribute], list[str]]:
    if len(parts) >= 2:
        qualifier, name = parts[0].lower(), parts[1].lower()
        qualified = [
            a
            for a in inputs
            if a.name.lower() == name and qualifier in (q.lower() for q in a.qualifiers)
        ]
        if qualified:
            return qualified, parts[2:]
    name = parts[0].lower()
    return [a for a in inputs if a.name.lower() == name], parts[1:]


def find_attribute(name: str, inputs: Sequence[Attribute]) -> Attribute:
    """The single attribute called ``name`` (``using`` joins, ``dropDuplicates`` subsets)."""
    ref = resolve_column(exp.column(name), inputs)
    attr_id = ref.meta.get(ATTR_ID)
    return next(a for a in inputs if a.id == attr_id)


def expand_star(star: exp.Expr, inputs: Sequence[Attribute]) -> list[Attribute]:
    """The attributes that ``*`` or ``alias.*`` stands for."""
    if isinstance(star, exp.Column) and star.table:
        qualifier = star.table.lower()
        picked = [a for a in inputs if qualifier in (q.lower() for q in a.qualifiers)]
        if not picked:
            raise AnalysisException(
                f"Cannot resolve {star.table}.* given input columns "
                f"[{', '.join(a.name for a in inputs)}].",
                "CANNOT_RESOLVE_STAR_EXPAND",
            )
        return picked
    return list(inputs)


def is_star(e: exp.Expr) -> bool:
    return isinstance(e, exp.Star) or (isinstance(e, exp.Column) and isinstance(e.this, exp.Star))
