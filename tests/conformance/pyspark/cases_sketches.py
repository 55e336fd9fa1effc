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


def _tuples(spark: Any, F: Any) -> Any:
    left = spark.createDataFrame(
        [(1, 10.0, 3), (2, 20.0, 4), (2, 30.0, 5), (3, 1.5, -2), (None, 1.0, 1), (5, None, None)],
        "key int, value double, iv int",
    )
    right = spark.createDataFrame(
        [(2, 1.0, 1), (3, 2.0, 2), (4, 3.0, 3)], "key int, value double, iv int"
    )
    a = left.agg(
        F.tuple_sketch_agg_double("key", "value").alias("a"),
        F.tuple_sketch_agg_integer("key", "iv").alias("ai"),
    )
    b = right.agg(
        F.tuple_sketch_agg_double("key", "value").alias("b"),
        F.tuple_sketch_agg_integer("key", "iv").alias("bi"),
        F.theta_sketch_agg("key").alias("th"),
    )
    return a.crossJoin(b)


@case()
def case_tuple_sketch_agg_modes(spark, F, T):
    df = spark.createDataFrame(
        [(1, 10.0, 3), (2, 20.0, 4), (2, 30.0, 5), (3, 1.5, -2)],
        "key int, value double, iv int",
    )
    return df.agg(
        *(F.hex(F.tuple_sketch_agg_double("key", "value", 12, m)) for m in ("sum", "min", "max")),
        *(F.hex(F.tuple_sketch_agg_integer("key", "iv", 10, m)) for m in ("sum", "alwaysone")),
        F.hex(F.tuple_sketch_agg_double(F.col("key").cast("string"), "value")),
    )


@case()
def case_tuple_sketch_queries(spark, F, T):
    return _tuples(spark, F).select(
        F.tuple_sketch_estimate_double("a"),
        F.tuple_sketch_theta_integer("ai"),
        *(F.tuple_sketch_summary_double("a", m) for m in ("sum", "min", "max", "alwaysone")),
        F.tuple_sketch_summary_integer("ai"),
        F.tuple_sketch_summary_integer("ai", "min"),
    )


@case()
def case_tuple_set_operations(spark, F, T):
    return _tuples(spark, F).select(
        F.hex(F.tuple_union_double("a", "b")),
        F.hex(F.tuple_intersection_double("a", "b")),
        F.hex(F.tuple_difference_double("a", "b")),
        F.hex(F.tuple_union_integer("ai", "bi", 12, "max")),
        F.hex(F.tuple_intersection_integer("ai", "bi", "min")),
        F.hex(F.tuple_difference_integer("ai", "bi")),
    )


@case()
def case_tuple_theta_operations(spark, F, T):
    return _tuples(spark, F).select(
        F.hex(F.tuple_union_theta_double("a", "th")),
        F.hex(F.tuple_intersection_theta_double("a", "th")),
        F.hex(F.tuple_difference_theta_double("a", "th")),
        F.hex(F.tuple_intersection_theta_integer("ai", "th", "max")),
        F.hex(F.tuple_difference_theta_integer("ai", "th")),
    )


@case()
def case_tuple_union_and_intersection_agg(spark, F, T):
    both = _tuples(spark, F)
    sketches = both.select("a", "ai").union(both.select("b", "bi"))
    return sketches.agg(
        F.hex(F.tuple_union_agg_double("a")),
        F.hex(F.tuple_intersection_agg_double("a")),
        F.hex(F.tuple_union_agg_integer("ai", 12, "max")),
        F.hex(F.tuple_intersection_agg_integer("ai", "min")),
    )


@case()
def case_tuple_large(spark, F, T):
    # past k entries the entry order of Java's table is not reproduced (same entries and theta)
    df = spark.range(30000).select(
        F.col("id").alias("k"), (F.col("id") % 7).cast("double").alias("v")
    )
    sketch = df.agg(F.tuple_sketch_agg_double("k", "v").alias("t"))
    return sketch.select(
        F.length(F.hex("t")),
        F.tuple_sketch_estimate_double("t"),
        F.tuple_sketch_theta_double("t"),
        F.tuple_sketch_summary_double("t", "alwaysone"),
        F.round(F.tuple_sketch_summary_double("t"), 3),
    )


@case()
def case_tuple_empty_and_null(spark, F, T):
    empty = spark.createDataFrame([(1, 1.0)], "k int, v double").filter("k > 1")
    nulls = spark.createDataFrame([(None,)], "b binary")
    sketch = empty.agg(F.tuple_sketch_agg_double("k", "v").alias("t"))
    return sketch.select(
        F.hex("t"), F.tuple_sketch_estimate_double("t"), F.tuple_sketch_theta_double("t")
    ).crossJoin(nulls.select(F.tuple_sketch_estimate_double("b"), F.tuple_union_double("b", "b")))


@case(kind="error")
def case_tuple_invalid_mode(spark, F, T):
    return spark.range(3).agg(F.tuple_sketch_agg_double("id", F.lit(1.0), 12, "avg"))


@case(kind="error")
def case_tuple_invalid_lg_nom(spark, F, T):
    return spark.range(3).agg(F.tuple_sketch_agg_integer("id", F.lit(1), 3))


@case(kind="error")
def case_tuple_invalid_buffer(spark, F, T):
    df = spark.createDataFrame([(bytearray(b"xyz"),)], "b binary")
    return df.select(F.tuple_sketch_estimate_double("b"))


@case()
def case_sketches_in_spark_sql(spark, F, T):
    spark.createDataFrame(
        [(1, "a", 1.5), (2, "b", 2.5), (2, "c", 3.5), (None, None, None)],
        "i int, s string, d double",
    ).createOrReplaceTempView("sketch_sql_t")
    return spark.sql(
        "SELECT hex(hll_sketch_agg(i)), hll_sketch_estimate(hll_sketch_agg(s, 10)),"
        " hex(theta_sketch_agg(s)), kll_sketch_get_quantile_double(kll_sketch_agg_double(d), 0.5),"
        " kll_sketch_get_n_bigint(kll_sketch_agg_bigint(i, 400)),"
        " tuple_sketch_summary_double(tuple_sketch_agg_double(i, d)),"
        " hex(tuple_sketch_agg_integer(s, i, 12, 'max')) FROM sketch_sql_t"
    )


@case()
def case_sketch_unions_in_spark_sql(spark, F, T):
    spark.createDataFrame(
        [(1, "a"), (2, "b"), (3, "a")], "i int, s string"
    ).createOrReplaceTempView("sketch_sql_u")
    return spark.sql(
        "SELECT hll_sketch_estimate(hll_union_agg(h)), hex(theta_union_agg(t)),"
        " hex(theta_intersection_agg(t)) FROM (SELECT s, hll_sketch_agg(i) h, theta_sketch_agg(i) t"
        " FROM sketch_sql_u GROUP BY s)"
    )
