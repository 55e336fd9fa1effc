"""Map generators and aliases, ``spark.sql.mapKeyDedupPolicy``, cross-join row order and the
small-side bound that picks it: error paths and the cases parity recordings do not cover."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kaspar.engine.compile.cross_product import row_bound, wants_left_major
from kaspar.errors import AnalysisException, IllegalArgumentException, SparkRuntimeException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").create()
    yield session
    session.stop()


def test_dedup_policy_defaults_to_exception_and_refuses_other_values(spark: SparkSession) -> None:
    assert spark.conf.get("spark.sql.mapKeyDedupPolicy") == "EXCEPTION"
    with pytest.raises(IllegalArgumentException) as info:
        spark.conf.set("spark.sql.mapKeyDedupPolicy", "FIRST_WIN")
    assert info.value.getCondition() == "INVALID_CONF_VALUE.OUT_OF_RANGE_OF_OPTIONS"
    spark.conf.set("spark.sql.mapKeyDedupPolicy", "EXCEPTION")


def test_duplicate_key_raises_spark_error_until_last_win(spark: SparkSession) -> None:
    df = spark.createDataFrame([([1, 2, 1], ["a", "b", "c"])], "k array<int>, v array<string>")
    with pytest.raises(SparkRuntimeException) as info:
        df.select(F.map_from_arrays("k", "v")).collect()
    assert info.value.getCondition() == "DUPLICATED_MAP_KEY"
    spark.conf.set("spark.sql.mapKeyDedupPolicy", "last_win")
    try:
        # the first position of a key, the last value
        assert df.select(F.map_from_arrays("k", "v")).first()[0] == {1: "c", 2: "b"}
    finally:
        spark.conf.set("spark.sql.mapKeyDedupPolicy", "EXCEPTION")
    with pytest.raises(SparkRuntimeException):
        df.select(F.map_from_arrays("k", "v")).collect()  # the cached SQL was dropped


def test_map_concat_of_overlapping_maps_raises_by_default(spark: SparkSession) -> None:
    df = spark.sql("SELECT map(1, 'a') AS a, map(1, 'b') AS b")
    with pytest.raises(SparkRuntimeException) as info:
        df.select(F.map_concat("a", "b")).collect()
    assert info.value.getCondition() == "DUPLICATED_MAP_KEY"


def test_map_generator_aliases_must_match_its_columns(spark: SparkSession) -> None:
    df = spark.sql("SELECT map(1, 2) AS m, array(named_struct('a', 1, 'b', 2)) AS s")
    assert df.select(F.explode("m").alias("k", "v")).columns == ["k", "v"]
    with pytest.raises(AnalysisException) as info:
        df.select(F.posexplode("m").alias("k", "v"))
    assert info.value.getCondition() == "UDTF_ALIAS_NUMBER_MISMATCH"
    with pytest.raises(AnalysisException):
        df.select(F.inline("s").alias("x", "y", "z"))


def test_explode_of_an_array_keeps_col(spark: SparkSession) -> None:
    df = spark.createDataFrame([([1, 2],)], "a array<int>")
    assert df.select(F.explode("a")).columns == ["col"]
    assert df.select(F.posexplode_outer("a")).columns == ["pos", "col"]


def test_cross_join_of_small_sides_is_left_major(spark: SparkSession) -> None:
    left = spark.createDataFrame([(1,), (2,), (3,)], "x int")
    right = spark.createDataFrame([("a",), ("b",)], "y string")
    rows = [tuple(r) for r in left.crossJoin(right).collect()]
    assert rows == [(1, "a"), (1, "b"), (2, "a"), (2, "b"), (3, "a"), (3, "b")]


def test_row_bound_follows_the_plan(spark: SparkSession) -> None:
    small = spark.range(10)
    assert row_bound(small.plan) == 10
    assert row_bound(small.where("id > 3").limit(4).plan) == 4
    assert row_bound(spark.range(0, 10, 3).plan) == 4
    assert row_bound(small.agg(F.count("id")).plan) == 1
    assert row_bound(small.groupBy("id").count().plan) is None
    assert row_bound(small.select(F.explode(F.array("id", "id"))).plan) is None
    assert wants_left_major(small.plan, small.plan)
    assert not wants_left_major(spark.range(10_000).plan, spark.range(1_000).plan)
