"""Functions given a column for an argument Spark evaluates per row: results and errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kaspar.errors import IllegalArgumentException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F


@pytest.fixture
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").create()
    yield session
    session.stop()


def test_parse_url_part_per_row(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [("http://h/p?a=1#r", "HOST"), ("http://h/p?a=1#r", "REF"), ("http://h/p", "nope")],
        "u string, p string",
    )
    out = df.select(F.parse_url("u", "p"))
    assert out.columns == ["parse_url(u, p)"]
    assert [r[0] for r in out.collect()] == ["h", "r", None]


def test_parse_url_invalid_url_raises_in_ansi_mode_only(spark: SparkSession) -> None:
    df = spark.createDataFrame([("http://x/a b", "PATH")], "u string, p string")
    with pytest.raises(IllegalArgumentException, match="INVALID_URL"):
        df.select(F.parse_url("u", "p")).collect()
    assert df.select(F.try_parse_url("u", "p")).collect()[0][0] is None
    spark.conf.set("spark.sql.ansi.enabled", "false")
    assert df.select(F.parse_url("u", "p")).collect()[0][0] is None


def test_time_trunc_unit_per_row_and_its_error(spark: SparkSession) -> None:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    df = spark.createDataFrame([("minute", "10:11:12"), (None, "10:11:12")], "u string, s string")
    df = df.select("u", F.col("s").cast("time").alias("t"))
    out = df.select(F.time_trunc("u", "t"))
    assert out.columns == ["time_trunc(u, t)"]
    assert [str(r[0]) for r in out.collect()] == ["10:11:00", "None"]
    bad = df.withColumn("u", F.concat(F.lit("DA"), F.lit("Y"))).select(F.time_diff("u", "t", "t"))
    with pytest.raises(IllegalArgumentException, match=r"TIME_UNIT.*''DAY''"):
        bad.collect()
