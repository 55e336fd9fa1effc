"""An aggregation over a TABLE groups by the stored grouping values and lets every aggregate
call skip the phantom row of an emptied group: the projection rewritten, then run on the
engine over rows as the state store holds them."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from kaspar.ksql.dialect import Ksql
from kaspar.ksql.expressions import rewrite
from kaspar.ksql.parser import parse
from kaspar.ksql.table_aggregate import PHANTOM, _by_stored
from kaspar.sql import SparkSession
from kaspar.sql.column import Column


def _projection(sql: str) -> tuple[list[exp.Expr], list[str]]:
    """The projection's rewritten trees and the groupings' SQL."""
    (statement,) = parse(sql)
    select = statement.query.select  # type: ignore[attr-defined]
    groups = [rewrite(g).sql(dialect=Ksql) for g in select.args["group"].expressions]
    items = [rewrite(e.this if isinstance(e, exp.Alias) else e) for e in select.expressions]
    return items, groups


def test_groupings_become_stored_values_and_aggregates_skip_the_phantom() -> None:
    items, texts = _projection(
        "SELECT UCASE(region), COUNT(*) AS n, SUM(amount) AS s FROM t GROUP BY UCASE(region);"
    )
    rewritten = [_by_stored(t, texts, raw=False).sql() for t in items]
    assert rewritten[0] == '"__G0"'
    assert rewritten[1] == 'COUNT(CASE WHEN NOT "__PHANTOM" THEN 1 END)'
    assert rewritten[2] == 'SUM(CASE WHEN NOT "__PHANTOM" THEN "AMOUNT" END)'


def test_an_emptied_group_counts_zero() -> None:
    items, texts = _projection(
        "SELECT region, COUNT(*) AS n, MAX(amount) AS hi, COUNT(DISTINCT amount) AS d "
        "FROM t GROUP BY region;"
    )
    projection = [_by_stored(t, texts, raw=False) for t in items[1:]]
    spark = SparkSession({})
    rows: list[Any] = [("east", False, 5), ("east", False, 7), ("west", True, None)]
    frame = spark.createDataFrame(rows, f"__G0 string, {PHANTOM} boolean, AMOUNT int")
    result = frame.groupBy("__G0").agg(
        *[Column(t).alias(n) for t, n in zip(projection, ["n", "hi", "d"], strict=True)]
    )
    assert sorted(tuple(r) for r in result.collect()) == [("east", 2, 7, 2), ("west", 0, None, 0)]
