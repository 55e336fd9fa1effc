"""DataFrame behaviour that needs no PySpark: errors, immutability, activation, show layout."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from kaspar.errors import AnalysisException, ArithmeticException, NumberFormatException
from kaspar.sql import DataFrame, SparkSession
from kaspar.sql import functions as F


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").create()
    yield session
    session.stop()


@pytest.fixture
def df(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([(1, "a"), (2, "b"), (None, "c")], "x int, s string")


def test_transformations_are_immutable(df: DataFrame) -> None:
    filtered = df.filter(F.col("x") > 1)
    assert df.count() == 3
    assert filtered.count() == 1


def test_unresolved_column_suggests(df: DataFrame) -> None:
    with pytest.raises(AnalysisException) as info:
        df.select("xx")
        df.select("xx").collect()
    assert info.value.getCondition() == "UNRESOLVED_COLUMN.WITH_SUGGESTION"
    assert "`xx` cannot be resolved" in str(info.value)
    assert "[`x`, `s`]" in str(info.value)


def test_ambiguous_reference(spark: SparkSession) -> None:
    a = spark.createDataFrame([(1,)], "id int")
    b = spark.createDataFrame([(1,)], "id int")
    joined = a.join(b, a.id == b.id)
    with pytest.raises(AnalysisException) as info:
        joined.select("id").collect()
    assert info.value.getCondition() == "AMBIGUOUS_REFERENCE"
    assert joined.columns == ["id", "id"]
    assert joined.select(a.id).collect()[0][0] == 1


def test_ansi_cast_and_division(spark: SparkSession) -> None:
    bad = spark.createDataFrame([("x",)], "s string")
    with pytest.raises(NumberFormatException):
        bad.select(F.col("s").cast("int")).collect()
    with pytest.raises(ArithmeticException):
        spark.range(1).select(F.lit(1) / 0).collect()


def test_legacy_mode_gives_null() -> None:
    session = SparkSession.builder.config("spark.sql.ansi.enabled", "false").create()
    try:
        bad = session.createDataFrame([("x",)], "s string")
        assert bad.select(F.col("s").cast("int")).collect()[0][0] is None
        assert session.range(1).select(F.lit(1) / 0).collect()[0][0] is None
    finally:
        session.stop()


def test_sql_and_views(spark: SparkSession, df: DataFrame) -> None:
    df.createOrReplaceTempView("t")
    out = spark.sql("SELECT s, x * 2 AS y FROM t WHERE x IS NOT NULL ORDER BY s")
    assert [tuple(r) for r in out.collect()] == [("a", 2), ("b", 4)]
    assert spark.catalog.tableExists("t")


def test_sql_cast_of_binary_view_column_decodes_utf8(spark: SparkSession) -> None:
    """CAST(binary AS STRING) in spark.sql over a view decodes the bytes, as col.cast does."""
    kafka_like = spark.createDataFrame([(bytearray(b'{"user_id": "u-1"}'),)], "key binary")
    kafka_like.createOrReplaceTempView("kafka_like")
    out = spark.sql(
        "SELECT CAST(key AS STRING) AS k, "
        "get_json_object(CAST(key AS STRING), '$.user_id') AS u FROM kafka_like"
    )
    assert [tuple(r) for r in out.collect()] == [('{"user_id": "u-1"}', "u-1")]


def test_to_pandas_and_arrow(df: DataFrame) -> None:
    assert df.toArrow().column_names == ["x", "s"]
    assert list(df.toPandas()["s"]) == ["a", "b", "c"]


def test_write_and_read_parquet(spark: SparkSession, df: DataFrame, tmp_path: object) -> None:
    path = f"{tmp_path}/out"
    df.write.mode("overwrite").parquet(path)
    back = spark.read.parquet(path)
    assert sorted(r.s for r in back.collect()) == ["a", "b", "c"]
    with pytest.raises(AnalysisException):
        df.write.parquet(path)


def test_read_missing_path(spark: SparkSession) -> None:
    with pytest.raises(AnalysisException) as info:
        spark.read.json("/nonexistent/kaspar/file.json")
    assert info.value.getCondition() == "PATH_NOT_FOUND"


def test_activate_runs_pyspark_imports() -> None:
    code = textwrap.dedent(
        """
        import kaspar
        kaspar.activate()
        from pyspark.sql import SparkSession, functions as F
        from pyspark.sql.types import IntegerType
        from pyspark.sql.window import Window
        spark = SparkSession.builder.appName("x").getOrCreate()
        df = spark.createDataFrame([(1,), (2,)], ["a"])
        total = df.agg(F.sum("a")).collect()[0][0]
        print(type(spark).__module__, total, IntegerType().simpleString())
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["kaspar.sql.session", "3", "int"]
