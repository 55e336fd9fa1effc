"""Spark SQL -> DataFusion SQL for Delta predicates: resolution, quoting, refusals."""

from __future__ import annotations

import pytest

from kaspar.engine.compile.datafusion import parse_spark_expression, to_datafusion_sql
from kaspar.errors import AnalysisException

SCOPES = {"target": ("id", "Name"), "source": ("id", "name", "flag")}


@pytest.mark.parametrize(
    ("spark", "datafusion"),
    [
        ("target.id = source.id", '"target"."id" = "source"."id"'),
        ("TARGET.name = upper(source.NAME)", '"target"."Name" = UPPER("source"."name")'),
        ("flag AND source.id > 3", '"source"."flag" AND "source"."id" > 3'),
        ("source.name IN ('a', 'b')", "\"source\".\"name\" IN ('a', 'b')"),
    ],
)
def test_translation(spark: str, datafusion: str) -> None:
    assert to_datafusion_sql(parse_spark_expression(spark), SCOPES) == datafusion


def test_unqualified_output() -> None:
    expression = parse_spark_expression("target.id + 1")
    assert to_datafusion_sql(expression, SCOPES, qualified=False) == '"id" + 1'


@pytest.mark.parametrize(
    ("spark", "error"),
    [
        ("id = 1", "AMBIGUOUS_REFERENCE"),
        ("source.missing = 1", "UNRESOLVED_COLUMN"),
        ("target.id = (SELECT 1)", "subqueries"),
        ("sum(source.id) > 1", "aggregate functions"),
        ("my_udf(source.id)", "built-in functions only"),
    ],
)
def test_refused(spark: str, error: str) -> None:
    with pytest.raises(AnalysisException, match=error):
        to_datafusion_sql(parse_spark_expression(spark), SCOPES)
