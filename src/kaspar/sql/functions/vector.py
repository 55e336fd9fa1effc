"""Vector functions over ``array<float>`` (Spark 4.1): distances, products and norms.

DuckDB's ``list_inner_product`` / ``list_cosine_similarity`` / ``list_distance`` compute them;
around them go Spark's rules: vectors of different lengths raise ``VECTOR_DIMENSION_MISMATCH``,
a NULL element gives NULL, the cosine similarity of a zero vector is NULL (DuckDB gives NaN) and
so is the normalized zero vector (an empty vector stays empty),
and norms are of degree 1, 2 or infinity only (else ``INVALID_VECTOR_NORM_DEGREE``).
"""

from __future__ import annotations

import math

from sqlglot import exp

from kaspar.errors import SparkRuntimeException
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node


def _fn(name: str, *args: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=name, expressions=list(args))


def _has_null(v: exp.Expr) -> exp.Expr:
    """A NULL vector or a NULL element."""
    differs = exp.NEQ(this=_fn("len", v.copy()), expression=_fn("list_count", v.copy()))
    return exp.Coalesce(this=differs, expressions=[exp.true()])


def _when_not(condition: exp.Expr, v: exp.Expr) -> exp.Expr:
    empty = exp.cast(exp.Array(expressions=[]), "FLOAT[]")
    return exp.Case(ifs=[exp.If(this=condition.copy(), true=empty)], default=v.copy())


def _fresh(v: exp.Expr) -> exp.Expr:
    """``v`` rebuilt element by element (a new child vector with no hidden NULLs)."""
    x = exp.to_identifier("e")
    body = exp.Coalesce(this=exp.column("e"), expressions=[literal(0.0)])
    return _fn("list_transform", v, exp.Lambda(this=body, expressions=[x]))


def _float(e: exp.Expr) -> exp.Expr:
    return exp.cast(e, "FLOAT")


def _pairwise(spark_name: str, duckdb_fn: str, left: ColumnOrName, right: ColumnOrName) -> Column:
    a, b = to_expr(left), to_expr(right)
    length_a, length_b = _fn("len", a.copy()), _fn("len", b.copy())
    message = exp.DPipe(
        this=literal(
            f"[VECTOR_DIMENSION_MISMATCH] Vectors passed to `{spark_name}` must have the same "
            "dimension, but got "
        ),
        expression=exp.DPipe(
            this=exp.cast(length_a.copy(), "VARCHAR"),
            expression=exp.DPipe(
                this=literal(" and "),
                expression=exp.DPipe(
                    this=exp.cast(length_b.copy(), "VARCHAR"), expression=literal(".")
                ),
            ),
        ),
    )
    # DuckDB's function raises on a NULL element or vectors of different lengths anywhere in
    # its input, even in rows a CASE leaves out: those rows pass it rebuilt empty vectors.
    unusable = exp.or_(
        exp.NEQ(this=length_a.copy(), expression=length_b.copy()), _has_null(a), _has_null(b)
    )
    safe_a, safe_b = (_fresh(_when_not(unusable, v)) for v in (a, b))
    value = _float(_fn(duckdb_fn, safe_a, safe_b))
    if duckdb_fn == "list_cosine_similarity":
        value = exp.Nullif(this=value, expression=_float(literal(float("nan"))))
    checked = exp.Case(
        ifs=[
            exp.If(this=exp.NEQ(this=length_a, expression=length_b), true=_fn("error", message)),
            exp.If(this=exp.or_(_has_null(a), _has_null(b)), true=exp.null()),
        ],
        default=value,
    )
    return node(checked, f"{spark_name}({names(a, b)})")


def vector_cosine_similarity(left: ColumnOrName, right: ColumnOrName) -> Column:
    return _pairwise("vector_cosine_similarity", "list_cosine_similarity", left, right)


def vector_inner_product(left: ColumnOrName, right: ColumnOrName) -> Column:
    return _pairwise("vector_inner_product", "list_inner_product", left, right)


def vector_l2_distance(left: ColumnOrName, right: ColumnOrName) -> Column:
    return _pairwise("vector_l2_distance", "list_distance", left, right)


def _degree(fn: str, degree: ColumnOrName | float | None) -> float:
    value = degree.expr if isinstance(degree, Column) else degree
    while isinstance(value, exp.Cast | exp.Alias | exp.Paren):
        value = value.this
    if isinstance(value, exp.Literal):
        value = float(value.this)
    if value is None:
        return 2.0
    if not isinstance(value, int | float):
        raise NotImplementedError(f"{fn}: the degree must be a literal")
    if float(value) not in (1.0, 2.0, math.inf):
        raise SparkRuntimeException(
            f"For the `{fn}` function, degree must be 1.0, 2.0, or float('inf'), but got "
            f"{float(value)}.",
            "INVALID_VECTOR_NORM_DEGREE",
        )
    return float(value)


def _norm(v: exp.Expr, degree: float) -> exp.Expr:
    x = exp.to_identifier("x")
    body: exp.Expr = exp.Abs(this=exp.column("x"))
    if degree == 2.0:
        body = exp.Mul(this=exp.column("x"), expression=exp.column("x"))
    terms = _fn("list_transform", v.copy(), exp.Lambda(this=body, expressions=[x]))
    total = _fn("list_max" if degree == math.inf else "list_sum", terms)
    total = exp.Coalesce(this=exp.cast(total, "DOUBLE"), expressions=[literal(0.0)])
    return exp.Sqrt(this=total) if degree == 2.0 else total


def _degree_name(degree: float) -> str:
    return "Infinity" if degree == math.inf else str(degree)


def vector_norm(vector: ColumnOrName, degree: ColumnOrName | float | None = None) -> Column:
    v = to_expr(vector)
    d = _degree("vector_norm", degree)
    value = exp.Case(ifs=[exp.If(this=_has_null(v), true=exp.null())], default=_float(_norm(v, d)))
    return node(value, f"vector_norm({names(v)}, {_degree_name(d)})")


def vector_normalize(vector: ColumnOrName, degree: ColumnOrName | float | None = None) -> Column:
    v = to_expr(vector)
    d = _degree("vector_normalize", degree)
    norm = _norm(v, d)
    x = exp.to_identifier("x")
    scaled = exp.Lambda(
        this=_float(exp.Div(this=exp.column("x"), expression=norm.copy())), expressions=[x]
    )
    value = exp.Case(
        ifs=[
            exp.If(this=_has_null(v), true=exp.null()),
            exp.If(
                this=exp.and_(
                    exp.EQ(this=norm, expression=literal(0.0)),
                    exp.GT(this=_fn("len", v.copy()), expression=literal(0)),
                ),
                true=exp.null(),
            ),
        ],
        default=exp.cast(_fn("list_transform", v.copy(), scaled), "FLOAT[]"),
    )
    return node(value, f"vector_normalize({names(v)}, {_degree_name(d)})")


__all__ = [
    "vector_cosine_similarity",
    "vector_inner_product",
    "vector_l2_distance",
    "vector_norm",
    "vector_normalize",
]
