"""collect_list / collect_set / array_agg in SQL text: Spark's [] for a group without values,
and Spark's generated column names (sqlglot calls them array_agg / array_unique_agg)."""

from __future__ import annotations

from kaspar.sql import SparkSession


def test_sql_collect_aggregates_match_spark() -> None:
    spark = SparkSession.builder.getOrCreate()
    df = spark.createDataFrame([(1, None), (2, "a"), (2, None)], "k INT, v STRING")
    df.createOrReplaceTempView("collect_t")
    out = spark.sql(
        "SELECT k, collect_list(v), collect_set(v), array_agg(v) FROM collect_t "
        "GROUP BY k ORDER BY k"
    )
    assert out.columns == ["k", "collect_list(v)", "collect_set(v)", "collect_list(v)"]
    assert [tuple(r) for r in out.collect()] == [(1, [], [], []), (2, ["a"], ["a"], ["a"])]
    empty = spark.sql("SELECT collect_list(v) AS xs FROM collect_t WHERE k = 5").collect()
    assert empty[0].xs == []
    windowed = spark.sql(
        "SELECT k, collect_list(v) OVER (PARTITION BY k) AS xs FROM collect_t ORDER BY k"
    ).collect()
    assert [r.xs for r in windowed] == [[], ["a"], ["a"]]
