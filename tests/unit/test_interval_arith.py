"""Operations on interval-typed columns (``ansi_interval_columns``) and Spark's cast
nullability (``cast_nullability``): error paths, and what PySpark parity cannot collect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlglot import exp

from kaspar.engine.plan.cast_nullability import forces_null, source_of
from kaspar.errors import AnalysisException, ArithmeticException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F

_DAYS = "select interval '1' day as d, interval '2' hour as h, interval '1' month as m"


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    yield SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


def test_column_sum_keeps_the_interval_type(spark: SparkSession) -> None:
    df = spark.sql(f"select d + h as s, sum(d) over () as w from ({_DAYS})")
    assert df.dtypes == [("s", "interval day to hour"), ("w", "interval day")]
    assert df.collect()[0] == (dt.timedelta(days=1, hours=2), dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("query", "condition"),
    [
        ("d + m", "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE"),
        ("m - d", "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE"),
        ("d - m", "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES"),
        ("d < m", "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES"),
        ("d * h", "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE"),
        ("d / h", "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE"),
        ("2 / d", "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES"),
        ("d + 1", "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE"),
        ("d - date '2024-01-01'", "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE"),
    ],
)
def test_operands_spark_refuses(spark: SparkSession, query: str, condition: str) -> None:
    with pytest.raises(AnalysisException) as caught:
        spark.sql(f"select {query} from ({_DAYS})")
    assert caught.value.getCondition() == condition


def test_dataframe_mixed_families_fail_at_the_action(spark: SparkSession) -> None:
    df = spark.sql(_DAYS)
    with pytest.raises(AnalysisException, match="UNEXPECTED_INPUT_TYPE"):
        df.select(F.col("d") + F.col("m")).collect()


def test_null_operand_gives_a_typed_null(spark: SparkSession) -> None:
    df = spark.sql(f"select d + null as a, null - d as b, d * null as c from ({_DAYS})")
    assert df.dtypes == [
        ("a", "interval day"),
        ("b", "interval day"),
        ("c", "interval day to second"),
    ]
    assert df.collect()[0] == (None, None, None)


@pytest.mark.parametrize(
    "query",
    [
        "select sum(d) from values (interval '106751991 04' day to hour), "
        "(interval '106751991 04' day to hour) as t(d)",
        "select d - e from values (interval '106751991 04' day to hour, "
        "interval '-106751991 04' day to hour) as t(d, e)",
    ],
)
def test_overflow_suggests_try_add(spark: SparkSession, query: str) -> None:
    with pytest.raises(ArithmeticException) as caught:
        spark.sql(query).collect()
    assert caught.value.getCondition() == "INTERVAL_ARITHMETIC_OVERFLOW.WITH_SUGGESTION"


def test_year_month_avg_rounds_half_up(spark: SparkSession) -> None:
    df = spark.sql(
        "select avg(y) as a, avg(-y) as b from values (interval '1' month), "
        "(interval '2' month) as t(y)"
    )
    assert df.dtypes == [("a", "interval year to month"), ("b", "interval year to month")]
    text = df._show_string(20, 0, False)
    assert "INTERVAL '0-2' YEAR TO MONTH" in text
    assert "INTERVAL '-0-2' YEAR TO MONTH" in text


def test_datetime_differences(spark: SparkSession) -> None:
    df = spark.sql(
        "select date '2024-03-01' - date '2024-02-01' as a, "
        "timestamp_ntz '2024-01-02 00:00:00' - timestamp '2024-01-01 00:00:00' as b, "
        "x - y as c from values (date '2024-01-02', timestamp '2024-01-01 12:00:00') as t(x, y)"
    )
    assert df.dtypes == [
        ("a", "interval day"),
        ("b", "interval day to second"),
        ("c", "interval day to second"),
    ]
    assert df.collect()[0] == (dt.timedelta(days=29), dt.timedelta(days=1), dt.timedelta(hours=12))


def test_plain_subtraction_is_unchanged(spark: SparkSession) -> None:
    df = spark.range(3).select((F.col("id") - F.col("id") * 2).alias("x"))
    assert df.dtypes == [("x", "bigint")]
    rows = spark.sql("select transform(array(3, 1), x -> x - 1) as a").collect()
    assert rows[0].a == [2, 0]


@pytest.mark.parametrize(
    ("source", "target", "forced"),
    [
        ("int", "bigint", False),
        ("bigint", "int", False),
        ("string", "int", True),
        ("string", "binary", False),
        ("double", "bigint", True),
        ("decimal(10, 2)", "int", True),
        ("decimal(5, 0)", "int", False),
        ("int", "decimal(10, 2)", True),
        ("int", "decimal(38, 0)", False),
        ("timestamp", "int", True),
        ("timestamp", "bigint", False),
        ("date", "timestamp", False),
        ("date", "timestamp_ntz", True),
        ("timestamp_ntz", "date", True),
        ("float", "timestamp", True),
        ("boolean", "int", False),
    ],
)
def test_cast_pairs_that_force_null(source: str, target: str, forced: bool) -> None:
    built = exp.DataType.build(source, dialect="spark")
    assert forces_null(built, exp.DataType.build(target, dialect="spark")) is forced


def test_literal_sources() -> None:
    assert source_of(exp.Literal.number(1)) == exp.DataType.build("int")
    assert source_of(exp.Literal.number(2**40)) == exp.DataType.build("bigint")
    assert source_of(exp.Literal.number("1.25")) == exp.DataType.build("decimal(3, 2)")
    assert source_of(exp.column("x")) is None
