"""SparkSession and DataFrame API from PySpark's docs: sql() arguments, tvf, persistence,
explain, emptyDataFrame, string UDF results, try_cast names."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from kaspar.errors import AnalysisException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.storagelevel import StorageLevel


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").create()
    yield session
    session.stop()


def test_sql_formats_dataframes_columns_and_values(spark: SparkSession) -> None:
    mydf = spark.createDataFrame([(1, 4), (2, 4), (3, 6)], ["A", "B"])
    rows = spark.sql("SELECT {df.A}, {df[B]} FROM {df} WHERE A > {low}", df=mydf, low=1)
    assert [tuple(r) for r in rows.collect()] == [(2, 4), (3, 6)]
    named = spark.sql("SELECT {s} AS s", s="it's")
    assert named.first() is not None
    assert [r.s for r in named.collect()] == ["it's"]
    assert not any(t.name.startswith("_kaspar_") for t in spark.catalog.listTables())


def test_sql_binds_named_and_positional_parameters(spark: SparkSession) -> None:
    mydf = spark.createDataFrame([(1, 4), (3, 6)], ["A", "B"])
    named = spark.sql(
        "SELECT A, element_at(:m, 'a') AS C FROM {df} WHERE B > :minB",
        {"minB": 5, "m": F.create_map(F.lit("a"), F.lit(1))},
        df=mydf,
    )
    assert [tuple(r) for r in named.collect()] == [(3, 1)]
    positional = spark.sql("SELECT ? + ? AS s", args=[1, 2])
    assert [r.s for r in positional.collect()] == [3]
    with pytest.raises(AnalysisException) as info:
        spark.sql("SELECT :x AS x", {"y": 1})
    assert info.value.getCondition() == "UNBOUND_SQL_PARAMETER"


def test_range_table_function_has_an_id_column(spark: SparkSession) -> None:
    df = spark.sql("SELECT * FROM range(1, 10, 4) AS r WHERE r.id > 1")
    assert df.columns == ["id"]
    assert [r.id for r in df.collect()] == [5, 9]


def test_tvf_and_empty_dataframe(spark: SparkSession) -> None:
    exploded = spark.tvf.explode(F.array(F.lit(1), F.lit(2)))
    assert [tuple(r) for r in exploded.collect()] == [(1,), (2,)]
    assert exploded.columns == ["col"]
    empty = spark.emptyDataFrame("name STRING, age INT")
    assert (empty.dtypes, empty.count()) == ([("name", "string"), ("age", "int")], 0)


def test_persist_records_the_storage_level(
    spark: SparkSession, capsys: pytest.CaptureFixture[str]
) -> None:
    df = spark.range(3)
    assert df.storageLevel == StorageLevel.NONE
    assert repr(df.cache().storageLevel) == "StorageLevel(True, True, False, True, 1)"
    df.explain()
    assert capsys.readouterr().out.startswith("== Physical Plan ==\nInMemoryTableScan [id]\n")
    assert df.persist(StorageLevel.DISK_ONLY_2).storageLevel == StorageLevel(
        True, False, False, False, 2
    )
    assert df.unpersist().storageLevel == StorageLevel.NONE
    assert str(StorageLevel.MEMORY_AND_DISK) == "Disk Memory Serialized 1x Replicated"


def test_explain_sections(spark: SparkSession, capsys: pytest.CaptureFixture[str]) -> None:
    df = spark.range(5).filter("id > 2")
    df.explain(extended=True)
    out = capsys.readouterr().out
    sections = [line for line in out.splitlines() if line.startswith("== ")]
    assert sections == [
        "== Parsed Logical Plan ==",
        "== Analyzed Logical Plan ==",
        "== Optimized Logical Plan ==",
        "== Physical Plan ==",
    ]
    assert "Filter\n+- Range" in out
    df.explain(mode="cost")
    assert "Statistics" in capsys.readouterr().out


def test_string_udf_results_are_text(spark: SparkSession) -> None:
    spark.udf.register("strlen_k", len)
    spark.udf.register("is_short_k", lambda s: len(s) < 3)
    row = spark.sql("SELECT strlen_k('test') AS n, is_short_k('ab') AS b").first()
    assert row is not None
    assert (row.n, row.b) == ("4", "true")


def test_try_cast_keeps_the_column_name(spark: SparkSession) -> None:
    df = spark.createDataFrame([("123",), ("Bob",)], ["name"])
    out = df.select(df.name.try_cast("double"))
    assert out.columns == ["name"]
    assert [r.name for r in out.collect()] == [123.0, None]


def test_stand_in_repr_names_pyspark_classes_when_activated() -> None:
    code = textwrap.dedent(
        """
        import kaspar
        kaspar.activate()
        from pyspark.sql import SparkSession
        from pyspark.storagelevel import StorageLevel
        spark = SparkSession.builder.getOrCreate()
        print(repr(spark.conf).split(" object")[0])
        print(repr(spark.tvf).split(" object")[0])
        print(StorageLevel.DISK_ONLY)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.splitlines()
    assert out == [
        "<pyspark.sql.conf.RuntimeConfig",
        "<pyspark.sql.tvf.TableValuedFunction",
        "Disk Serialized 1x Replicated",
    ]
