"""Parity cases for the sketch functions: the bytes Spark writes (HLL, Theta, KLL, count-min),
the estimates and quantiles read back, histogram_numeric, and the errors for bad parameters."""

from __future__ import annotations

from typing import Any

from tests.conformance.pyspark.registry import case


def _values(spark: Any) -> Any:
    return spark.createDataFrame(
        [
            (1, 10, "a", b"a", 1.5, "x"),
            (2, 20, "bb", b"bb", 2.5, "x"),
            (2, None, "", b"", -0.0, "y"),
            (3, 30, None, None, None, "y"),
            (None, 40, "héllo", "héllo".encode(), 4.0, "y"),
        ],
        "i int, l bigint, s string, b binary, d double, k string",
    )


@case()
def case_hll_sketch_agg_bytes(spark, F, T):
    df = _values(spark)
    return df.groupBy("k").agg(
        F.hex(F.hll_sketch_agg("i")),
        F.hex(F.hll_sketch_agg("l", 10)),
        F.hex(F.hll_sketch_agg("s")),
        F.hex(F.hll_sketch_agg("b", F.lit(5))),
        F.hll_sketch_estimate(F.hll_sketch_agg("s")),
    )


@case()
def case_hll_sketch_agg_large(spark, F, T):
    df = spark.range(100000).select(
        (F.col("id") * 7).alias("v"), F.col("id").cast("string").alias("s")
    )
    sketches = df.agg(F.hll_sketch_agg("v").alias("a"), F.hll_sketch_agg("s", 14).alias("b"))
    return sketches.select(
        F.md5("a"),
        F.md5("b"),
        F.hll_sketch_estimate("a"),
        F.hll_sketch_estimate("b"),
    )


@case()
def case_hll_unions(spark, F, T):
    df = _values(spark)
    s = df.agg(F.hll_sketch_agg("i").alias("a"), F.hll_sketch_agg("l", 10).alias("b"))
    union_agg = s.select("a").union(s.select("b")).agg(F.hex(F.hll_union_agg("a", True)))
    return s.select(
        F.hex(F.hll_union("a", "b", True)),
        F.hll_sketch_estimate(F.hll_union("a", "b", True)),
        F.hex(F.hll_union("a", "a")),
    ).crossJoin(union_agg)


@case()
def case_hll_empty_and_null(spark, F, T):
    df = _values(spark).filter("i > 100")
    nulls = spark.createDataFrame([(None,)], "b binary")
    return df.agg(
        F.hex(F.hll_sketch_agg("i")), F.hll_sketch_estimate(F.hll_sketch_agg("s"))
    ).crossJoin(nulls.select(F.hll_sketch_estimate("b"), F.hll_union("b", "b")))


@case(kind="error")
def case_hll_invalid_lg_k(spark, F, T):
    return _values(spark).agg(F.hll_sketch_agg("i", 22))


@case(kind="error")
def case_hll_union_different_lg_k(spark, F, T):
    s = _values(spark).agg(F.hll_sketch_agg("i").alias("a"), F.hll_sketch_agg("i", 10).alias("b"))
    return s.select(F.hll_union("a", "b"))


@case(kind="error")
def case_hll_invalid_buffer(spark, F, T):
    df = spark.createDataFrame([(bytearray(b"not a sketch"),)], "b binary")
    return df.select(F.hll_sketch_estimate("b"))


@case(kind="error")
def case_hll_double_input(spark, F, T):
    return _values(spark).agg(F.hll_sketch_agg("d"))


@case()
def case_theta_sketch_agg_bytes(spark, F, T):
    df = _values(spark)
    return df.groupBy("k").agg(
        F.hex(F.theta_sketch_agg("i")),
        F.hex(F.theta_sketch_agg("l", 10)),
        F.hex(F.theta_sketch_agg("s")),
        F.hex(F.theta_sketch_agg("b")),
        F.hex(F.theta_sketch_agg("d")),
        F.hex(F.theta_sketch_agg(F.col("d").cast("float"))),
        F.theta_sketch_estimate(F.theta_sketch_agg("s")),
    )


@case()
def case_theta_sketch_agg_large(spark, F, T):
    df = spark.range(100000).select(F.col("id").alias("v"))
    sketch = df.agg(F.theta_sketch_agg("v").alias("t"), F.theta_sketch_agg("v", 16).alias("u"))
    return sketch.select(
        F.md5("t"),
        F.theta_sketch_estimate("t"),
        F.md5("u"),
        F.theta_sketch_estimate("u"),
    )


@case()
def case_theta_set_operations(spark, F, T):
    df = spark.createDataFrame([(i, i + 3) for i in range(10)], "a int, b int")
    s = df.agg(F.theta_sketch_agg("a").alias("a"), F.theta_sketch_agg("b").alias("b"))
    both = s.select("a").union(s.select("b"))
    aggs = both.agg(F.hex(F.theta_union_agg("a")), F.hex(F.theta_intersection_agg("a")))
    return s.select(
        F.hex(F.theta_union("a", "b")),
        F.hex(F.theta_union("a", "b", 5)),
        F.hex(F.theta_intersection("a", "b")),
        F.hex(F.theta_difference("a", "b")),
        F.theta_sketch_estimate(F.theta_intersection("a", "b")),
        F.theta_sketch_estimate(F.theta_difference("a", "b")),
    ).crossJoin(aggs)


@case()
def case_theta_empty(spark, F, T):
    df = _values(spark).filter("i > 100")
    return df.agg(
        F.hex(F.theta_sketch_agg("i")),
        F.hex(F.theta_union_agg(F.lit(None).cast("binary"))),
        F.hex(F.theta_intersection_agg(F.lit(None).cast("binary"))),
        F.theta_sketch_estimate(F.theta_sketch_agg("i")),
    )


@case(kind="error")
def case_theta_invalid_lg_nom(spark, F, T):
    return _values(spark).agg(F.theta_sketch_agg("i", 3))


@case(kind="error")
def case_theta_invalid_buffer(spark, F, T):
    df = spark.createDataFrame([(bytearray(b"xyz"),)], "b binary")
    return df.select(F.theta_sketch_estimate("b"))


@case(kind="error")
def case_theta_boolean_input(spark, F, T):
    return _values(spark).agg(F.theta_sketch_agg(F.col("i") > 1))


def _kll(spark: Any, F: Any) -> Any:
    df = spark.createDataFrame([(i, float(i) / 2) for i in range(1, 8)], "i int, d double")
    return df.agg(
        F.kll_sketch_agg_bigint("i").alias("b"),
        F.kll_sketch_agg_double("d").alias("d"),
        F.kll_sketch_agg_float(F.col("d").cast("float"), 100).alias("f"),
    )


@case()
def case_kll_sketch_agg_bytes(spark, F, T):
    return _kll(spark, F).select(F.hex("b"), F.hex("d"), F.hex("f"))


@case()
def case_kll_queries(spark, F, T):
    return _kll(spark, F).select(
        F.kll_sketch_get_quantile_bigint("b", F.lit(0.5)),
        F.kll_sketch_get_quantile_double("d", F.lit(0.3)),
        F.kll_sketch_get_quantile_float("f", F.lit(1.0)),
        F.kll_sketch_get_quantile_bigint("b", F.array(F.lit(0.0), F.lit(0.25), F.lit(0.9))),
        F.kll_sketch_get_rank_bigint("b", F.lit(3)),
        F.kll_sketch_get_rank_double("d", F.lit(1.75)),
        F.kll_sketch_get_rank_float("f", F.array(F.lit(1.0), F.lit(3.0))),
        F.kll_sketch_get_n_bigint("b"),
        F.kll_sketch_get_n_float("f"),
    )


@case()
def case_kll_to_string(spark, F, T):
    return _kll(spark, F).select(
        F.kll_sketch_to_string_bigint("b"),
        F.kll_sketch_to_string_double("d"),
        F.kll_sketch_to_string_float("f"),
    )


@case()
def case_kll_merge(spark, F, T):
    sketches = _kll(spark, F)
    merged = sketches.union(sketches).agg(F.kll_merge_agg_double("d", 300).alias("m"))
    return sketches.select(
        F.hex(F.kll_sketch_merge_bigint("b", "b")),
        F.hex(F.kll_sketch_merge_float("f", "f")),
    ).crossJoin(
        merged.select(
            F.kll_sketch_get_n_double("m"),
            F.kll_sketch_get_quantile_double("m", F.lit(0.5)),
        )
    )


@case()
def case_kll_large(spark, F, T):
    df = spark.range(20000).select(F.col("id").alias("v"), (F.col("id") / 4).alias("d"))
    sketch = df.agg(
        F.kll_sketch_agg_bigint("v").alias("b"), F.kll_sketch_agg_double("d").alias("s")
    )
    return sketch.select(
        F.kll_sketch_get_n_bigint("b"),
        F.abs(F.kll_sketch_get_quantile_bigint("b", F.lit(0.5)) - 10000) < 400,
        F.abs(F.kll_sketch_get_rank_double("s", F.lit(2500.0)) - 0.5) < 0.02,
    )


@case()
def case_kll_empty_and_null(spark, F, T):
    empty = spark.createDataFrame([(1,)], "i int").filter("i > 1")
    nulls = spark.createDataFrame([(None,)], "b binary")
    return empty.agg(
        F.hex(F.kll_sketch_agg_bigint("i")), F.hex(F.kll_sketch_agg_double(F.lit(1.0), 64))
    ).crossJoin(
        nulls.select(
            F.kll_sketch_get_n_bigint("b"), F.kll_sketch_get_quantile_double("b", F.lit(0.5))
        )
    )


@case(kind="error")
def case_kll_k_out_of_range(spark, F, T):
    return spark.range(3).agg(F.kll_sketch_agg_bigint("id", 7))


@case(kind="error")
def case_kll_quantile_out_of_range(spark, F, T):
    return _kll(spark, F).select(F.kll_sketch_get_quantile_bigint("b", F.lit(1.5)))


@case(kind="error")
def case_kll_invalid_buffer(spark, F, T):
    df = spark.createDataFrame([(bytearray(b"xyz"),)], "b binary")
    return df.select(F.kll_sketch_get_n_double("b"))


@case(kind="error")
def case_kll_float_on_double(spark, F, T):
    return spark.range(3).agg(F.kll_sketch_agg_float(F.col("id").cast("double")))


@case()
def case_count_min_sketch(spark, F, T):
    df = _values(spark)
    return df.agg(
        F.hex(F.count_min_sketch("i", F.lit(0.5), F.lit(0.5), F.lit(1))),
        F.hex(F.count_min_sketch("l", 0.2, 0.9, 42)),
        F.hex(F.count_min_sketch("s", 0.3, 0.8, 7)),
        F.hex(F.count_min_sketch("b", 0.3, 0.8, 7)),
    )


@case()
def case_count_min_sketch_large(spark, F, T):
    df = spark.range(50000).select(
        (F.col("id") % 977).alias("v"), (F.col("id") % 1013).cast("string").alias("s")
    )
    return df.agg(
        F.md5(F.count_min_sketch("v", 0.01, 0.95, 3)),
        F.md5(F.count_min_sketch("s", 0.01, 0.95, 1111111111111111111)),
    )


@case()
def case_count_min_sketch_empty(spark, F, T):
    return spark.range(5).filter("id > 9").agg(F.hex(F.count_min_sketch("id", 0.5, 0.5, 1)))


@case(kind="error")
def case_count_min_sketch_bad_eps(spark, F, T):
    return spark.range(5).agg(F.count_min_sketch("id", F.lit(-0.5), F.lit(0.5), F.lit(1)))


@case()
def case_histogram_numeric(spark, F, T):
    df = spark.createDataFrame(
        [(i, float(i * i) / 3, i % 3) for i in [5, 1, 9, 2, 2, 7, 30, 4, 4, 11]],
        "i int, d double, k int",
    )
    return df.groupBy("k").agg(
        F.histogram_numeric("i", F.lit(3)), F.histogram_numeric("d", F.lit(4))
    )


@case()
def case_histogram_numeric_ties(spark, F, T):
    df = spark.range(100, numPartitions=1)
    return df.select(
        F.histogram_numeric("id", F.lit(5)), F.histogram_numeric(F.col("id") % 10, F.lit(3))
    )


@case()
def case_histogram_numeric_empty(spark, F, T):
    return spark.range(3).filter("id > 5").select(F.histogram_numeric("id", F.lit(3)))


@case(kind="error")
def case_histogram_numeric_one_bin(spark, F, T):
    return spark.range(3).select(F.histogram_numeric("id", F.lit(1)))
