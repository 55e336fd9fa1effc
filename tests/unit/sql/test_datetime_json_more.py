"""Clock parts of strings, JSON/CSV text, try_ arithmetic and overflow of sums (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kaspar.errors import DateTimeException
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
