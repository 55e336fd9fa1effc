"""``vector_sum`` and ``vector_avg`` (Spark 4.1): element-wise aggregates of ``array<float>``.

The group's vectors are collected (``list``) and folded in DuckDB SQL (``list_reduce``), in
FLOAT arithmetic as Spark's aggregation buffer keeps them: the sum adds element by element,
the average is the running mean ``avg += (x - avg) / n``, so the results round as Spark's do.
A NULL vector, or one with a NULL element, is skipped; no vector at all gives NULL; vectors of
different lengths raise ``VECTOR_DIMENSION_MISMATCH``; an argument that is not
``array<float>`` is refused at analysis (``DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE``).
"""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.cast_templates import fill
from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.engine.type_conversion import from_duckdb
from kaspar.errors import AnalysisException
from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_KEPT = "list_filter(_x_, x -> len(x) = list_count(x))"
_STEPS = {
    "vector_sum": "(acc, x) -> list_transform(range(1, len(acc) + 1), "
    "i -> CAST(acc[i] + x[i] AS FLOAT))",
    "vector_avg": "(acc, x, n) -> list_transform(range(1, len(acc) + 1), "
    "i -> CAST(acc[i] + CAST((x[i] - acc[i]) / CAST(n AS FLOAT) AS FLOAT) AS FLOAT))",
}
_TEMPLATE = (
    "CASE WHEN len(list_distinct(list_transform({kept}, x -> len(x)))) > 1 "
    "THEN error('[VECTOR_DIMENSION_MISMATCH] Vectors passed to `{fn}` must have the same "
    "dimension, but got ' || CAST(len({kept}[1]) AS VARCHAR) || ' and ' "
    "|| CAST(len(list_filter({kept}, x -> len(x) <> len({kept}[1]))[1]) AS VARCHAR) || '.') "
    "WHEN len({kept}) = 0 THEN NULL "
    "ELSE list_reduce({kept}, {step}) END"
)


def _vector_aggregate(fn: str, col: ColumnOrName) -> Column:
    e = to_expr(col)
    name = f"{fn}({names(e)})"
    collected = exp.Anonymous(this="list", expressions=[e.copy()])

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        if str(types[0]) != "FLOAT[][]":
            given = from_duckdb(str(types[0])).elementType.simpleString().upper()  # type: ignore[attr-defined]
            raise AnalysisException(
                f'Cannot resolve "{name}" due to data type mismatch: The first parameter '
                f'requires the "ARRAY<FLOAT>" type, however "{names(e)}" has the type '
                f'"{given}".',
                "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
            )
        return fill(_TEMPLATE.format(kept=_KEPT, fn=fn, step=_STEPS[fn]), operands[0])

    return node(typed_call([collected], rewrite), name)


def vector_sum(col: ColumnOrName) -> Column:
    """The element-wise sum of the group's ``array<float>`` vectors."""
    return _vector_aggregate("vector_sum", col)


def vector_avg(col: ColumnOrName) -> Column:
    """The element-wise average of the group's ``array<float>`` vectors."""
    return _vector_aggregate("vector_avg", col)


__all__ = ["vector_avg", "vector_sum"]
