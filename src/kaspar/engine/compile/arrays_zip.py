"""``arrays_zip(a, b, ...)`` as a DuckDB tree with Spark's result.

Spark zips to the longest array (shorter ones padded with NULL), gives NULL when any argument
is NULL, and names each struct field after its argument when that is a column (``xs``) and
after its position otherwise (``"1"``). DuckDB's ``list_zip`` names the fields ``$1``, ``$2``,
so the zip is written as a ``list_transform`` over the positions. Shared by
``F.arrays_zip`` and SQL text (``selectExpr("arrays_zip(xs, ys)")``, ``spark.sql``).
"""

from __future__ import annotations

import itertools

from sqlglot import exp

_variables = itertools.count()
ZIP_FIELDS = "kaspar_zip_fields"  # meta: the field names, fixed when parsed


def field_name(e: exp.Expr, i: int) -> str:
    return e.name if isinstance(e, exp.Column) and e.name else str(i)


def zipped(exprs: list[exp.Expr], names: list[str] | None = None) -> exp.Expr:
    """The zip of ``exprs`` (at least one array expression), its fields ``names`` (by default
    named after ``exprs``)."""
    names = names or [field_name(e, i) for i, e in enumerate(exprs)]
    var = f"_zip{next(_variables)}"
    lengths = [exp.Length(this=e.copy()) for e in exprs]
    longest = (
        exp.Greatest(this=lengths[0], expressions=lengths[1:]) if len(exprs) > 1 else lengths[0]
    )
    one = exp.Literal.number(1)
    indexes = exp.Anonymous(
        this="range", expressions=[one, exp.Add(this=longest, expression=one.copy())]
    )
    fields = [
        exp.PropertyEQ(
            this=exp.to_identifier(names[i]),
            expression=exp.Anonymous(this="list_extract", expressions=[e.copy(), exp.column(var)]),
        )
        for i, e in enumerate(exprs)
    ]
    lam = exp.Lambda(this=exp.Struct(expressions=fields), expressions=[exp.to_identifier(var)])
    any_null: exp.Expr = exprs[0].copy().is_(exp.null())
    for e in exprs[1:]:
        any_null = exp.Or(this=any_null, expression=e.copy().is_(exp.null()))
    transform = exp.Anonymous(this="list_transform", expressions=[indexes, lam])
    return exp.Case(ifs=[exp.If(this=any_null, true=exp.null())], default=transform)
