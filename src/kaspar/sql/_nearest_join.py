"""``DataFrame.nearestByJoin`` (Spark 4.2): for each left row, the ``numResults`` right rows
ranked first by an expression over both sides.

As Spark's current implementation, the ranking is evaluated over the full cross product with
each left row keeping its top ``numResults``: here a lateral join whose right side is ``other``
ordered by the expression (the left's columns in it bound to the current left row) and limited.
``approx`` and ``exact`` give the same, exact, answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from kaspar.engine.plan.attributes import ATTR_ID
from kaspar.engine.plan.subquery import OUTER
from kaspar.errors import AnalysisException

if TYPE_CHECKING:
    from kaspar.sql.column import Column
    from kaspar.sql.dataframe import DataFrame

MAX_RESULTS = 100_000
_JOIN_TYPES = {"inner": "inner", "leftouter": "left", "left": "left", "left_outer": "left"}


def _invalid(sub: str, message: str) -> AnalysisException:
    return AnalysisException(message, f"NEAREST_BY_JOIN.{sub}")


def _check(num_results: int, mode: str, direction: str, join_type: str) -> None:
    if not 1 <= num_results <= MAX_RESULTS:
        raise _invalid(
            "NUM_RESULTS_OUT_OF_RANGE",
            f"The number of results {num_results} must be between 1 and {MAX_RESULTS}.",
        )
    if mode.lower() not in ("approx", "exact"):
        raise _invalid(
            "UNSUPPORTED_MODE",
            f"Unsupported nearest-by join mode '{mode}'. Supported nearest-by join modes "
            "include: 'approx', 'exact'.",
        )
    if direction.lower() not in ("distance", "similarity"):
        raise _invalid(
            "UNSUPPORTED_DIRECTION",
            f"Unsupported nearest-by join direction '{direction}'. Supported nearest-by join "
            "directions include: 'distance', 'similarity'.",
        )
    if join_type.lower() not in _JOIN_TYPES:
        raise _invalid(
            "UNSUPPORTED_JOIN_TYPE",
            f"Unsupported nearest-by join type {join_type}. Supported types: 'inner', 'leftouter'.",
        )


def nearest_by_join(
    left: DataFrame,
    other: DataFrame,
    ranking: Column,
    *,
    num_results: int,
    mode: str,
    direction: str,
    join_type: str,
) -> DataFrame:
    from kaspar.sql.column import Column

    _check(int(num_results), mode, direction, join_type)
    left_ids = {a.id for a in left._attributes()}

    def outer(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.meta.get(ATTR_ID) in left_ids:
            bound = node.copy()
            bound.meta[OUTER] = True
            return bound
        return node

    key = Column(ranking.expr.transform(outer, copy=True))
    order = key.desc() if direction.lower() == "similarity" else key.asc()
    ranked = other.orderBy(order).limit(int(num_results))
    return left.lateralJoin(ranked, how=_JOIN_TYPES[join_type.lower()])
