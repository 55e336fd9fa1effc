"""ANSI interval literals and arithmetic, and nanosecond timestamps: error paths and the text
formats that PySpark parity cannot reach (PySpark cannot collect these types)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pytest
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.compile.ansi_interval_text import interval_text, interval_text_sql
from kaspar.engine.compile.dialect import generate
from kaspar.errors import (
    AnalysisException,
    ArithmeticException,
    IllegalArgumentException,
    ParseException,
    SparkException,
)
from kaspar.sql import SparkSession
from kaspar.sql import functions as F

NANOS = "spark.sql.timestampNanosTypes.enabled"


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    yield session


@pytest.mark.parametrize(
    ("value", "dtype", "text"),
    [
        (14, T.YearMonthIntervalType(0, 1), "INTERVAL '1-2' YEAR TO MONTH"),
        (-12, T.YearMonthIntervalType(0, 0), "INTERVAL '-1' YEAR"),
        (25, T.YearMonthIntervalType(1, 1), "INTERVAL '25' MONTH"),
        (100 * 3_600_000_000, T.DayTimeIntervalType(1, 1), "INTERVAL '100' HOUR"),
        (-1, T.DayTimeIntervalType(3, 3), "INTERVAL '-00.000001' SECOND"),
        (93_784_500_000, T.DayTimeIntervalType(0, 3), "INTERVAL '1 02:03:04.5' DAY TO SECOND"),
        (1_230_250_000, T.DayTimeIntervalType(2, 3), "INTERVAL '20:30.25' MINUTE TO SECOND"),
        (93_600_000_000, T.DayTimeIntervalType(0, 1), "INTERVAL '1 02' DAY TO HOUR"),
    ],
)
def test_interval_text_in_python_and_sql(value: int, dtype: T.AnsiIntervalType, text: str) -> None:
    assert interval_text(value, dtype) == text
    sql = generate(interval_text_sql(exp.Literal.number(value), dtype))
    assert duckdb.sql(f"SELECT {sql}").fetchall() == [(text,)]


def test_day_time_literals_collect_as_timedeltas(spark: SparkSession) -> None:
    row = spark.sql("select INTERVAL '1 02:03:04.5' DAY TO SECOND a, INTERVAL 3 DAYS b").first()
    assert row is not None
    assert row.a == dt.timedelta(days=1, hours=2, minutes=3, seconds=4.5)
    assert row.b == dt.timedelta(days=3)


def test_year_month_literal_collects_as_months(spark: SparkSession) -> None:
    row = spark.sql("select INTERVAL '1-2' YEAR TO MONTH a").first()
    assert row is not None
    assert row.a == 14  # PySpark itself cannot collect these


def test_mixed_interval_units_are_refused(spark: SparkSession) -> None:
    with pytest.raises(ParseException, match="Cannot mix year-month and day-time fields"):
        spark.sql("select INTERVAL 1 YEAR 2 DAYS")


def test_malformed_interval_span_is_refused(spark: SparkSession) -> None:
    with pytest.raises(ParseException, match="does not match day-second format"):
        spark.sql("select INTERVAL '1 02:03' DAY TO SECOND")


def test_fractional_days_are_refused(spark: SparkSession) -> None:
    with pytest.raises(IllegalArgumentException, match="INVALID_FRACTION"):
        spark.sql("select INTERVAL 1.5 DAYS")


def test_interval_divided_by_zero(spark: SparkSession) -> None:
    with pytest.raises(ArithmeticException, match="INTERVAL_DIVIDED_BY_ZERO"):
        spark.sql("select INTERVAL 1 YEAR / 0 a").collect()


def test_interval_overflow_raises_and_try_gives_null(spark: SparkSession) -> None:
    with pytest.raises(ArithmeticException, match="INTERVAL_ARITHMETIC_OVERFLOW"):
        spark.sql("select INTERVAL 178956970 YEAR * 2 a").collect()
    df = spark.sql("select INTERVAL 178956970 YEAR a")
    row = df.select(F.try_multiply("a", F.lit(2)), F.try_divide("a", F.lit(0))).first()
    assert row is not None
    assert tuple(row) == (None, None)


def test_date_plus_interval_types(spark: SparkSession) -> None:
    df = spark.sql(
        "select DATE'2024-01-31' + INTERVAL 1 MONTH a, DATE'2024-01-31' + INTERVAL 3 DAYS b, "
        "DATE'2024-01-31' + INTERVAL 2 HOURS c"
    )
    assert [t for _, t in df.dtypes] == ["date", "date", "timestamp"]


def test_nanos_cast_needs_the_feature(spark: SparkSession) -> None:
    with pytest.raises(SparkException, match="FEATURE_NOT_ENABLED"):
        spark.sql("select cast('2020-01-01 00:00:00.123456789' as timestamp_ntz(9)) a").collect()


def test_nanos_precision_out_of_range(spark: SparkSession) -> None:
    spark.conf.set(NANOS, "true")
    try:
        with pytest.raises(ParseException, match="INVALID_TIMESTAMP_PRECISION"):
            spark.sql("select cast('2020-01-01' as timestamp_ntz(3)) a").collect()
    finally:
        spark.conf.unset(NANOS)


def test_nanos_types_and_values(spark: SparkSession) -> None:
    spark.conf.set(NANOS, "true")
    try:
        df = spark.sql(
            "select cast('2020-01-01 13:24:35.123456789' as timestamp_ntz(9)) a, "
            "cast('2020-01-01 13:24:35.123456789' as timestamp_ltz(9)) b"
        )
        assert df.dtypes == [("a", "timestamp_ntz(9)"), ("b", "timestamp_ltz(9)")]
        row = df.select(F.unix_nanos("a"), F.unix_nanos("b")).first()
        assert row is not None
        assert [int(v) for v in row] == [1577885075123456789, 1577885075123456789]
    finally:
        spark.conf.unset(NANOS)


def test_unix_nanos_refuses_microsecond_timestamps(spark: SparkSession) -> None:
    df = spark.sql("select TIMESTAMP_NTZ '2020-01-01 00:00:00' ts")
    with pytest.raises(AnalysisException, match="UNEXPECTED_INPUT_TYPE"):
        df.select(F.unix_nanos("ts")).collect()
