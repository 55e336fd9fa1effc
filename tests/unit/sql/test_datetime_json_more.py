"""Clock parts of strings, JSON/CSV text, try_ arithmetic and overflow of sums (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kaspar.errors import AnalysisException, DateTimeException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").create()
    yield session
    session.stop()


def test_clock_parts_cast_a_string_to_a_timestamp(spark: SparkSession) -> None:
    df = spark.createDataFrame([("2015-04-08 13:08:15",), (None,)], "ts string")
    row = df.select(F.hour("ts"), F.minute("ts"), F.second("ts")).first()
    assert row is not None
    assert tuple(row) == (13, 8, 15)
    assert df.select(F.hour("ts")).dtypes == [("hour(ts)", "int")]


def test_clock_part_of_a_malformed_string_raises(spark: SparkSession) -> None:
    df = spark.createDataFrame([("bad",)], "ts string")
    with pytest.raises(DateTimeException, match="CAST_INVALID_INPUT"):
        df.select(F.hour("ts")).collect()


def test_relaxed_json_text_is_made_strict() -> None:
    from kaspar.sql.functions.json_options import strict_json_text

    options = {"allowUnquotedFieldNames": "true", "allowComments": "true"}
    assert strict_json_text("{a: 'x', b: \"c, d: 1\" /* n */}", options) == (
        '{"a": "x", "b": "c, d: 1" }'
    )
    assert strict_json_text("{'a':'it''s'}", None) == '{"a":"it""s"}'  # stays malformed
    assert strict_json_text("{'a': 1}", {"allowSingleQuotes": "false"}) == "{'a': 1}"


def test_schema_of_json_of_malformed_text_raises() -> None:
    with pytest.raises(AnalysisException, match="INVALID_JSON_SCHEMA"):
        F.schema_of_json("{a: 1}")


def test_get_json_object_wildcard(spark: SparkSession) -> None:
    df = spark.createDataFrame([('[{"f1": "v1"},{"f1": "v2"}]',), ('[{"f2": 1}]',)], "j string")
    got = [r[0] for r in df.select(F.get_json_object("j", "$[*].f1")).collect()]
    assert got == ['["v1","v2"]', None]


def test_try_sum_of_an_overflowing_decimal_is_null(spark: SparkSession) -> None:
    df = spark.sql("SELECT CAST(repeat('1', 38) AS DECIMAL(38, 0)) AS n FROM range(10)")
    row = df.select(F.try_sum("n"), F.try_avg("n")).first()
    assert row is not None
    assert tuple(row) == (None, None)
    assert df.select(F.try_avg("n")).dtypes == [("try_avg(n)", "decimal(38,4)")]
