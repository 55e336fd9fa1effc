"""DataFrame, reader and writer behaviour PySpark's documentation examples show: column
metadata, ordinals in lists, input files, Spark's partition directory names, CSV nullValue,
a parquet read with a user schema, files read largest first, progress handlers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaspar.engine.sinks.partition_paths import escape_path_name, spark_partition_name
from kaspar.errors import AnalysisException
from kaspar.sql import SparkSession


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").create()
    yield session
    session.stop()


def test_alias_metadata_reaches_the_schema_and_follows_the_column(spark: SparkSession) -> None:
    df = spark.createDataFrame([(2, "Alice")], ["age", "name"])
    tagged = df.select(df.age.alias("age3", metadata={"max": 99}), "name")
    assert tagged.schema["age3"].metadata == {"max": 99}
    assert tagged.schema["name"].metadata == {}
    assert tagged.alias("t").select("t.age3").schema["age3"].metadata == {"max": 99}
    renamed = tagged.select(tagged.age3.alias("again"))
    assert renamed.schema["again"].metadata == {"max": 99}
    meta = df.withMetadata("age", {"foo": "bar"})
    assert (meta.columns, meta.schema["age"].metadata) == (["age", "name"], {"foo": "bar"})


def test_ordinals_in_a_list(spark: SparkSession) -> None:
    df = spark.createDataFrame([(2, "Alice"), (5, "Bob"), (5, "Ann")], ["age", "name"])
    assert [r.name for r in df.orderBy([1, "name"], ascending=[False, True]).collect()] == [
        "Ann",
        "Bob",
        "Alice",
    ]
    counts = df.groupBy([df.age]).count().orderBy([1]).collect()
    assert [tuple(r) for r in counts] == [(2, 1), (5, 2)]


def test_input_files_of_a_json_read(spark: SparkSession, tmp_path: Path) -> None:
    spark.createDataFrame([(1,)], "a int").write.json(str(tmp_path / "j"))
    files = spark.read.json(str(tmp_path / "j")).inputFiles()
    assert len(files) == 1
    assert files[0].startswith("file://") and files[0].endswith(".json")


def test_partition_directories_use_spark_escaping(spark: SparkSession, tmp_path: Path) -> None:
    assert escape_path_name("a b/c:d=e%") == "a b%2Fc%3Ad%3De%25"
    assert spark_partition_name("name=Hyukjin%20Kwon") == "name=Hyukjin Kwon"
    target = tmp_path / "p"
    rows = [(100, "Hyukjin Kwon"), (1, "a/b")]
    df = spark.createDataFrame(rows, "age int, name string")
    df.write.partitionBy("name").parquet(str(target))
    df.limit(1).write.mode("append").partitionBy("name").parquet(str(target))
    names = sorted(p.name for p in target.iterdir() if p.is_dir())
    assert names == ["name=Hyukjin Kwon", "name=a%2Fb"]
    assert len(list((target / "name=Hyukjin Kwon").glob("*.parquet"))) == 2
    one = spark.read.parquet(str(target / "name=Hyukjin Kwon"))
    assert [tuple(r) for r in one.collect()] == [(100,), (100,)]
    back = spark.read.parquet(str(target)).orderBy("age").collect()
    assert [tuple(r) for r in back] == [(1, "a/b"), (100, "Hyukjin Kwon"), (100, "Hyukjin Kwon")]


def test_csv_null_value_is_written(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.createDataFrame([(100, None)], "age INT, name STRING")
    df.write.option("nullValue", "N/A").csv(str(tmp_path / "c"))
    text = "".join(p.read_text() for p in (tmp_path / "c").glob("*.csv"))
    assert text == "100,N/A\n"


def test_parquet_read_with_a_user_schema(spark: SparkSession, tmp_path: Path) -> None:
    spark.createDataFrame([(10, "Alice")], "age long, name string").write.parquet(
        str(tmp_path / "q")
    )
    df = spark.read.schema("name string, missing int").parquet(str(tmp_path / "q"))
    assert df.dtypes == [("name", "string"), ("missing", "int")]
    assert [tuple(r) for r in df.collect()] == [("Alice", None)]


def test_files_are_read_largest_first(spark: SparkSession, tmp_path: Path) -> None:
    small, large = tmp_path / "d" / "a.json", tmp_path / "d" / "b.json"
    small.parent.mkdir()
    small.write_text('{"v": "s"}\n')
    large.write_text('{"v": "large"}\n{"v": "larger"}\n')
    assert [r.v for r in spark.read.json(str(tmp_path / "d")).collect()] == [
        "large",
        "larger",
        "s",
    ]


def test_progress_handlers_hear_each_query_end(spark: SparkSession) -> None:
    calls: list[tuple[Any, ...]] = []

    def handler(stages: list[Any], inflight: int, done: bool) -> None:
        calls.append((stages, inflight, done))

    spark.registerProgressHandler(handler)
    spark.range(3).collect()
    spark.removeProgressHandler(handler)
    spark.range(3).collect()
    assert calls == [([], 0, True)]
    spark.registerProgressHandler(handler)
    spark.clearProgressHandlers()
    spark.range(1).collect()
    assert len(calls) == 1


def test_crosstab_orders_columns_by_their_text(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, 11), (1, 11), (3, 10), (4, 8), (4, 8)], ["c1", "c2"])
    table = df.crosstab("c1", "c2").sort("c1_c2")
    assert table.columns == ["c1_c2", "10", "11", "8"]
    # the first column is the text of col1 (a string, as Spark types it)
    assert [tuple(r) for r in table.collect()] == [("1", 0, 2, 0), ("3", 1, 0, 0), ("4", 0, 0, 2)]


def test_uncorrelated_subqueries(spark: SparkSession) -> None:
    from kaspar.sql import functions as F

    df = spark.createDataFrame([(2, "Alice"), (5, "Bob"), (8, "Mike")], ["age", "name"])
    kept = df.where(df.age.isin(spark.range(6))).orderBy("age")
    assert [r.name for r in kept.collect()] == ["Alice", "Bob"]
    pairs = spark.range(6).select("id", F.lit("Bob"))
    assert [r.name for r in df.where(F.struct(df.age, df.name).isin(pairs)).collect()] == ["Bob"]
    above = df.where(F.col("age") > df.select(F.avg("age")).scalar())
    assert [r.name for r in above.collect()] == ["Mike"]
    both = df.select("name", df.where(df.age > 7).exists().alias("any_old"))
    assert [tuple(r) for r in both.collect()] == [("Alice", True), ("Bob", True), ("Mike", True)]
    assert [r.e for r in df.select(df.where(df.age > 70).exists().alias("e")).collect()] == [
        False
    ] * 3


def test_correlated_subqueries(spark: SparkSession) -> None:
    from kaspar.sql import functions as F

    emp = spark.createDataFrame(
        [("Ann", 50, 1), ("Bob", 70, 1), ("Cy", 40, 2), ("Di", 60, 2), ("Ed", 10, 3)],
        ["name", "salary", "dept"],
    )
    team = emp.alias("e2").where(F.col("e2.dept") == F.col("e1.dept").outer())
    above = emp.alias("e1").where(F.col("salary") > team.select(F.avg("salary")).scalar())
    assert sorted(r.name for r in above.collect()) == ["Bob", "Di"]
    share = emp.alias("e1").select(
        "name",
        (F.col("salary") * 100 / team.select(F.sum("salary")).scalar().alias("s")).alias("p"),
    )
    assert {r.name: round(r.p) for r in share.collect()} == {
        "Ann": 42,
        "Bob": 58,
        "Cy": 40,
        "Di": 60,
        "Ed": 100,
    }
    depts = spark.createDataFrame([(1,), (4,)], ["dept"])
    has_staff = depts.alias("d").where(
        emp.alias("e").where(F.col("e.dept") == F.col("d.dept").outer()).exists()
    )
    assert [r.dept for r in has_staff.collect()] == [1]
    none = depts.alias("d").where(
        ~emp.alias("e").where(F.col("e.dept") == F.col("d.dept").outer()).exists()
    )
    assert [r.dept for r in none.collect()] == [4]


def test_pivot_on_a_nested_field(spark: SparkSession) -> None:
    from kaspar.sql import Row
    from kaspar.sql import functions as F

    df = spark.createDataFrame(
        [
            Row(training="expert", sales=Row(course="dotNET", year=2012, earnings=10000)),
            Row(training="junior", sales=Row(course="Java", year=2012, earnings=20000)),
            Row(training="expert", sales=Row(course="dotNET", year=2013, earnings=48000)),
        ]
    )
    out = df.groupBy("sales.year").pivot("sales.course").agg(F.sum("sales.earnings"))
    assert out.columns == ["year", "Java", "dotNET"]
    assert [tuple(r) for r in out.sort("year").collect()] == [
        (2012, 20000, 10000),
        (2013, None, 48000),
    ]


def test_read_json_from_a_dataframe_of_strings(spark: SparkSession) -> None:
    records = spark.createDataFrame(
        [('{"name": "Alice",\n "age": 25}',), ('{"name": "Bob", "age": 30}',), (None,)],
        schema="value STRING",
    )
    df = spark.read.json(records)
    assert df.dtypes == [("age", "bigint"), ("name", "string")]
    assert [tuple(r) for r in df.sort("name").collect()] == [(25, "Alice"), (30, "Bob")]
    with pytest.raises(AnalysisException, match="one string column"):
        spark.read.json(spark.range(1))


def test_lateral_join(spark: SparkSession) -> None:
    from kaspar.sql import functions as F

    people = spark.createDataFrame([(1, "Ann"), (2, "Bob"), (3, "Cy")], ["pid", "name"])
    orders = spark.createDataFrame(
        [(10, 1, "2024-01"), (11, 1, "2024-03"), (12, 1, "2024-02"), (13, 2, "2024-05")],
        ["oid", "pid", "day"],
    )
    latest = (
        orders.alias("o")
        .where(F.col("o.pid") == F.col("p.pid").outer())
        .select("oid", "day")
        .orderBy(F.col("day").desc())
        .limit(2)
    )
    left = people.alias("p").lateralJoin(latest, how="left").orderBy("pid", "oid")
    assert [tuple(r) for r in left.collect()] == [
        (1, "Ann", 11, "2024-03"),
        (1, "Ann", 12, "2024-02"),
        (2, "Bob", 13, "2024-05"),
        (3, "Cy", None, None),
    ]
    inner = people.alias("p").lateralJoin(latest).orderBy("pid", "oid")
    assert [r.oid for r in inner.collect()] == [11, 12, 13]
    tagged = spark.createDataFrame([(1, [5, 6]), (2, [7])], ["k", "xs"])
    exploded = tagged.lateralJoin(spark.tvf.explode(F.col("xs").outer())).orderBy("k", "col")
    assert [(r.k, r.col) for r in exploded.collect()] == [(1, 5), (1, 6), (2, 7)]
    with pytest.raises(AnalysisException) as info:
        people.lateralJoin(latest, how="right")
    assert info.value.getCondition() == "UNSUPPORTED_JOIN_TYPE"


def test_nearest_by_join(spark: SparkSession) -> None:
    from kaspar.sql import functions as F

    users = spark.createDataFrame([(1, 10.0), (2, 20.0), (3, 30.0)], ["user_id", "score"])
    products = spark.createDataFrame([("A", 11.0), ("B", 22.0), ("C", 5.0)], ["product", "pscore"])
    gap = F.abs(users.score - products.pscore)
    best = users.nearestByJoin(products, -gap, 1, "exact", "similarity").orderBy("user_id")
    assert [(r.user_id, r.product) for r in best.collect()] == [(1, "A"), (2, "B"), (3, "B")]
    two = users.nearestByJoin(products, gap, 2, "approx", "distance").orderBy("user_id", "product")
    assert [(r.user_id, r.product) for r in two.collect()] == [
        (1, "A"),
        (1, "C"),
        (2, "A"),
        (2, "B"),
        (3, "A"),
        (3, "B"),
    ]
    with pytest.raises(AnalysisException) as info:
        users.nearestByJoin(products, gap, 0, "exact", "distance")
    assert info.value.getCondition() == "NEAREST_BY_JOIN.NUM_RESULTS_OUT_OF_RANGE"


def test_zip_pairs_projections_of_one_dataframe(spark: SparkSession) -> None:
    from kaspar.sql import functions as F

    df = spark.createDataFrame([(1, 2, 3), (4, 5, 6)], ["a", "b", "c"])
    zipped = df.select("a").zip(df.withColumn("d", F.col("b") * 10).select("d", "c"))
    assert [tuple(r) for r in zipped.collect()] == [(1, 20, 3), (4, 50, 6)]
    with pytest.raises(AnalysisException) as info:
        df.select("a").zip(df.where("a > 1").select("b"))
    assert info.value.getCondition() == "ZIP_PLANS_NOT_MERGEABLE"


def test_same_semantics_ignores_output_names(spark: SparkSession) -> None:
    from kaspar.sql import functions as F

    df1, df2 = spark.range(10), spark.range(10)
    renamed = df1.withColumn("col1", df1.id * 2)
    assert renamed.sameSemantics(df2.withColumn("col0", df2.id * 2))
    assert renamed.semanticHash() == df2.withColumn("col0", df2.id * 2).semanticHash()
    assert not renamed.sameSemantics(df2.withColumn("col0", F.col("id") + 2))


def test_na_and_stat_classes_live_in_the_dataframe_module(spark: SparkSession) -> None:
    import pickle

    from kaspar.sql import dataframe

    df = spark.range(1)
    assert type(df.na) is dataframe.DataFrameNaFunctions  # type: ignore[attr-defined]
    assert repr(type(df.stat)) == "<class 'kaspar.sql.dataframe.DataFrameStatFunctions'>"
    assert pickle.loads(pickle.dumps(type(df.na))) is type(df.na)


def test_window_and_except_results_come_in_a_stable_order(spark: SparkSession) -> None:
    from kaspar.sql import Window
    from kaspar.sql import functions as F

    rows = [(i % 7, (i * 5) % 11) for i in range(300)]
    df = spark.createDataFrame(rows, ["k", "v"])
    ranked = df.withColumn("n", F.row_number().over(Window.partitionBy("k").orderBy("v")))
    first = [tuple(r) for r in ranked.collect()]
    assert first == sorted(first)  # by partition key, order key, then the row number
    assert all([tuple(r) for r in ranked.collect()] == first for _ in range(3))
    left = spark.createDataFrame([("a", 1), ("a", 1), ("a", 1), ("a", 2), ("b", 3), ("c", 4)])
    right = spark.createDataFrame([("a", 1), ("b", 3)])
    assert [tuple(r) for r in left.exceptAll(right).collect()] == [
        ("a", 1),
        ("a", 1),
        ("a", 2),
        ("c", 4),
    ]
    assert [tuple(r) for r in left.intersect(right).collect()] == [("a", 1), ("b", 3)]
