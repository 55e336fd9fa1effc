"""Functions given a column for an argument Spark evaluates per row: results and errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kaspar.errors import IllegalArgumentException, PySparkValueError, SparkRuntimeException
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


def test_to_timestamp_format_per_row(spark: SparkSession) -> None:
    rows = [("2015-04-08", "yyyy-MM-dd"), ("08/04/2015 10:11:12.5", "dd/MM/yyyy HH:mm:ss.S")]
    df = spark.createDataFrame(rows, "s string, f string")
    out = df.select(F.to_timestamp_ntz("s", "f"), F.to_unix_timestamp("s", "f"))
    assert out.columns == ["to_timestamp_ntz(s, f)", "to_unix_timestamp(s, f)"]
    assert [r[1] for r in out.collect()] == [1428451200, 1428487872]


def test_to_timestamp_bad_pattern_per_row(spark: SparkSession) -> None:
    df = spark.createDataFrame([("2015", "yyyy-QQQQQ")], "s string, f string")
    with pytest.raises(IllegalArgumentException, match="INVALID_DATETIME_PATTERN"):
        df.select(F.to_timestamp_ltz("s", "f")).collect()
    spark.conf.set("spark.sql.timeType.enabled", "true")
    assert df.select(F.try_to_time("s", "f")).collect()[0][0] is None


def test_variant_edit_and_get_by_path_column(spark: SparkSession) -> None:
    rows = [('{"a":1,"b":[1,2]}', "$.a"), ('{"a":1,"b":[1,2]}', "$.b[1]"), ('{"a":1}', None)]
    df = spark.createDataFrame(rows, "j string, p string").withColumn("v", F.parse_json("j"))
    out = df.select(
        F.to_json(F.variant_delete("v", F.col("p"))), F.variant_get("v", F.col("p"), "int")
    )
    assert out.columns[1] == "variant_get(v, p)"
    assert [tuple(r) for r in out.collect()] == [
        ('{"b":[1,2]}', 1),
        ('{"a":1,"b":[1]}', 2),
        ('{"a":1}', None),
    ]


def test_variant_insert_bad_path_column(spark: SparkSession) -> None:
    df = spark.createDataFrame([('{"a":1}', "bad")], "j string, p string")
    edited = df.select(F.variant_insert(F.parse_json("j"), F.col("p"), F.lit(2)))
    with pytest.raises(SparkRuntimeException, match="INVALID_VARIANT_PATH"):
        edited.collect()


def test_make_timestamp_needs_fields_or_date_and_time(spark: SparkSession) -> None:
    with pytest.raises(PySparkValueError):
        F.make_timestamp(date=F.col("d"))
    with pytest.raises(PySparkValueError):
        F.make_timestamp_ntz("y", "m", "d", "h", "mi", "s", date=F.col("d"), time=F.col("t"))
