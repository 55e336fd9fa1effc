"""Parity cases: PySpark 4.3 names kaspar lacked (``chr``, ``collate``, ``counter_diff``, the
bitmap aggregates, ``DataFrame.observe``, the ``st_*`` geospatial functions)."""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from tests.conformance.pyspark.registry import case

T0 = dt.datetime(2026, 1, 1)
T1 = dt.datetime(2026, 1, 2)


def _window_class(spark):
    module = "pyspark.sql" if type(spark).__module__.startswith("pyspark") else "kaspar.sql"
    return import_module(module).Window


def _window(spark, by=("m",)):
    Window = _window_class(spark)
    return Window.partitionBy(*by).orderBy("t") if by else Window.orderBy("t")


# chr


@case()
def case_chr_codes(spark, F, T):
    df = spark.createDataFrame(
        [(-1,), (0,), (65,), (321,), (None,), (256,), (-300,), (126,)], "n long"
    )
    return df.select("n", F.chr("n"), F.chr(F.col("n").cast("double") + 0.7).alias("d"))


@case()
def case_chr_range(spark, F, T):
    return spark.range(60, 70).select("*", F.chr("id"))


@case("error")
def case_chr_malformed_string(spark, F, T):
    return spark.createDataFrame([("a",)], "s string").select(F.chr("s"))


# counter_diff


def _counters(spark):
    rows = [
        ("a", 1, 100, T0),
        ("a", 2, None, T0),
        ("a", 3, 150, T0),
        ("a", 4, 150, T0),
        ("a", 5, 10, T0),
        ("a", 6, 20, T0),
        ("a", 7, 30, None),
        ("a", 8, 40, None),
        ("a", 9, 50, T0),
        ("b", 1, 5, T0),
        ("b", 2, 7, T1),
        ("c", 1, 5, T1),
        ("c", 2, None, T0),
        ("c", 3, 9, T1),
        ("d", 1, 5, T0),
        ("d", 2, 7, None),
        ("d", 3, 9, T1),
    ]
    return spark.createDataFrame(rows, "m string, t int, c int, s timestamp")


@case()
def case_counter_diff_resets(spark, F, T):
    w = _window(spark)
    return _counters(spark).select(
        "m",
        "t",
        F.counter_diff("c").over(w).alias("d"),
        F.counter_diff("c", "s").over(w),
    )


@case()
def case_counter_diff_doc_example(spark, F, T):
    rows = [
        ("http_requests", dt.datetime(2026, 1, 1, 0, 0), 100, T0),
        ("http_requests", dt.datetime(2026, 1, 1, 0, 1), 200, T0),
        ("http_requests", dt.datetime(2026, 1, 1, 0, 2), 400, T0),
        ("http_requests", dt.datetime(2026, 1, 1, 0, 3), 500, dt.datetime(2026, 1, 1, 0, 2, 15)),
        ("http_requests", dt.datetime(2026, 1, 1, 0, 4), 600, dt.datetime(2026, 1, 1, 0, 2, 15)),
    ]
    df = spark.createDataFrame(rows, "m STRING, t TIMESTAMP_NTZ, c INT, s TIMESTAMP_NTZ")
    w = _window(spark)
    return df.select("t", F.counter_diff("c").over(w), F.counter_diff("c", "s").over(w))


@case()
def case_counter_diff_types(spark, F, T):
    w = _window(spark)
    c = F.col("c")
    return _counters(spark).select(
        "m",
        "t",
        F.counter_diff(c.cast("bigint")).over(w),
        F.counter_diff(c.cast("double") / 4).over(w).alias("dbl"),
        F.counter_diff(c.cast("decimal(10,2)")).over(w).alias("dec"),
        F.counter_diff(c.cast("smallint")).over(w).alias("short"),
        F.counter_diff(c.cast("float")).over(w).alias("flt"),
    )


@case()
def case_counter_diff_nan(spark, F, T):
    df = spark.createDataFrame([(1, 5.0), (2, float("nan")), (3, 7.0)], "t int, c double")
    return df.select("t", F.counter_diff("c").over(_window(spark, ())).alias("d"))


@case("error")
def case_counter_diff_negative_value(spark, F, T):
    df = spark.createDataFrame([(1, 5), (2, -3)], "t int, c int")
    return df.select(F.counter_diff("c").over(_window(spark, ())))


@case("error")
def case_counter_diff_start_time_decreased(spark, F, T):
    df = spark.createDataFrame([(1, 5, T1), (2, 7, T0)], "t int, c int, s timestamp")
    return df.select(F.counter_diff("c", "s").over(_window(spark, ())))


@case("error")
def case_counter_diff_not_numeric(spark, F, T):
    w = _window(spark)
    return _counters(spark).select(F.counter_diff(F.col("c").cast("string")).over(w))


@case("error")
def case_counter_diff_start_not_timestamp(spark, F, T):
    return _counters(spark).select(F.counter_diff("c", "t").over(_window(spark)))


@case("error")
def case_counter_diff_without_over(spark, F, T):
    return _counters(spark).select(F.counter_diff("c"))


@case("error")
def case_counter_diff_unordered_window(spark, F, T):
    w = _window_class(spark).partitionBy("m")
    return _counters(spark).select(F.counter_diff("c").over(w))


# collate / collation

WORDS = ["Abc", "abc", "ABC", "b", "B", "a", "_x", "1", "é", "e", "É", "ss", "a "]


def _words(spark):
    return spark.createDataFrame([(w,) for w in WORDS] + [(None,)], "s string")


@case(ordered=True)
def case_collate_sort(spark, F, T):
    df = _words(spark)
    return df.orderBy(F.collate("s", "UTF8_LCASE"), "s").select(
        "s", F.collation(F.collate("s", "UTF8_LCASE"))
    )


@case(ordered=True)
def case_collate_unicode_sort(spark, F, T):
    return _words(spark).orderBy(F.collate("s", "UNICODE"), "s")


@case()
def case_collate_distinct_counts(spark, F, T):
    df = _words(spark)
    return df.select(
        *(
            F.count_distinct(F.collate("s", c)).alias(c)
            for c in ("UTF8_BINARY", "UTF8_LCASE", "UNICODE", "UNICODE_CI", "UNICODE_AI")
        )
    )


@case()
def case_collate_equality(spark, F, T):
    df = _words(spark)
    return df.where(F.collate("s", "utf8_lcase") == F.lit("ABC")).select(
        "s",
        (F.collate("s", "UNICODE_CI") == F.lit("É")).alias("ci"),
        F.collation(F.collate("s", "unicode_ci")).alias("name"),
        F.collation("s").alias("binary"),
    )


@case("error")
def case_collate_invalid_name(spark, F, T):
    return _words(spark).select(F.collate("s", "NOT_A_COLLATION"))


@case("error")
def case_collate_not_string(spark, F, T):
    return _words(spark).select(F.collate(F.lit(1), "UTF8_LCASE"))


# bitmaps


def _positions(spark):
    rows = [(1,), (2,), (3,), (None,), (32768,), (32769,), (0,), (-5,), (100000,), (65536,)]
    return spark.createDataFrame(rows, "a int")


@case()
def case_bitmap_construct_per_bucket(spark, F, T):
    df = _positions(spark).select(
        F.bitmap_bucket_number("a").alias("b"), F.bitmap_bit_position("a").alias("p")
    )
    return df.groupBy("b").agg(
        F.bitmap_construct_agg("p").alias("bm"), F.bitmap_count(F.bitmap_construct_agg("p"))
    )


@case()
def case_bitmap_construct_casts_and_nulls(spark, F, T):
    df = spark.createDataFrame([(1.5, "3", None), (7.9, "4095", None)], "d double, s string, n int")
    return df.select(
        F.bitmap_construct_agg("d").alias("d"),
        F.bitmap_construct_agg("s").alias("s"),
        F.bitmap_construct_agg("n").alias("n"),
    )


@case()
def case_bitmap_or_and_agg(spark, F, T):
    rows = [("x", bytes([1, 2])), ("x", bytes([4])), ("x", bytes([0x10, 0xFF, 0xFF])), ("x", None)]
    rows += [("y", bytes([0xFF] * 5000)), ("y", bytes([0xF0, 0x0F] * 2100)), ("z", None)]
    rows += [("e", b""), ("e", bytes([3]))]
    df = spark.createDataFrame(rows, "k string, b binary")
    return df.groupBy("k").agg(
        F.bitmap_or_agg("b").alias("o"),
        F.bitmap_and_agg("b").alias("a"),
        F.count("b").alias("n"),
    )


@case()
def case_bitmap_empty_input(spark, F, T):
    df = spark.createDataFrame([(1, bytes([1]))], "p int, b binary").where("p < 0")
    return df.select(F.bitmap_construct_agg("p"), F.bitmap_or_agg("b"), F.bitmap_and_agg("b"))


@case()
def case_bitmap_count_values(spark, F, T):
    rows = [(bytes([0xFF, 0x80]),), (b"",), (None,), (bytes(range(256)) * 20,)]
    return spark.createDataFrame(rows, "b binary").select("b", F.bitmap_count("b"))


@case("error")
def case_bitmap_construct_out_of_range(spark, F, T):
    return spark.createDataFrame([(40000,)], "a int").select(F.bitmap_construct_agg("a"))


@case("error")
def case_bitmap_construct_negative(spark, F, T):
    return spark.createDataFrame([(-1,)], "a int").select(F.bitmap_construct_agg("a"))


@case("error")
def case_bitmap_count_of_string(spark, F, T):
    return spark.createDataFrame([("ab",)], "b string").select(F.bitmap_count("b"))


@case("error")
def case_bitmap_or_agg_of_int(spark, F, T):
    return spark.createDataFrame([(1,)], "b int").select(F.bitmap_or_agg("b"))


# DataFrame.observe and Observation


def _observation(spark, *args):
    module = "pyspark.sql" if type(spark).__module__.startswith("pyspark") else "kaspar.sql"
    return import_module(module).Observation(*args)


def _ages(spark):
    return spark.createDataFrame([(2, "Alice"), (5, "Bob"), (None, "Cy")], "age int, name string")


@case("value")
def case_observe_metrics_after_count(spark, F, T):
    observation = _observation(spark, "my metrics")
    observed = _ages(spark).observe(
        observation,
        F.count(F.lit(1)).alias("count"),
        F.max("age"),
        F.sum("age").alias("s"),
        F.lit(3).alias("three"),
        F.avg("age"),
        (F.max("age") + 1).alias("p"),
        F.count("*"),
    )
    return observed.count(), observation.get


@case("value")
def case_observe_metrics_of_derived_action(spark, F, T):
    observation = _observation(spark)
    observed = _ages(spark).where("age > 1").observe(observation, F.min("age").alias("m"))
    rows = observed.where("age > 3").select("name").collect()
    again = observed.collect()  # the first action's metrics stay
    return [tuple(r) for r in rows], len(again), observation.get


@case("value")
def case_observe_metrics_of_no_rows(spark, F, T):
    observation = _observation(spark, "empty")
    observed = (
        _ages(spark)
        .where("age > 100")
        .observe(observation, F.max("age"), F.count("*"), F.sum("age"))
    )
    return observed.collect(), observation.get


@case("value")
def case_observe_with_a_name_in_batch(spark, F, T):
    return _ages(spark).observe("named", F.max("age")).count()


@case("error")
def case_observe_without_metrics(spark, F, T):
    return _ages(spark).observe(_observation(spark, "x"))


@case("error")
def case_observe_column_outside_aggregate(spark, F, T):
    return _ages(spark).observe(_observation(spark, "x"), F.col("age"))


@case("error")
def case_observation_used_twice(spark, F, T):
    observation = _observation(spark, "x")
    _ages(spark).observe(observation, F.max("age"))
    return _ages(spark).observe(observation, F.min("age"))


@case("error")
def case_observation_get_before_observe(spark, F, T):
    return _observation(spark, "x").get


@case("error")
def case_observation_empty_name(spark, F, T):
    return _observation(spark, "")


# geospatial (st_*)

POINT = bytes.fromhex("0101000000000000000000F03F0000000000000040")
POINT_XDR = bytes.fromhex("00000000013FF00000000000004000000000000000")
LINE = bytes.fromhex(
    "010200000002000000000000000000F03F000000000000004000000000000008400000000000001040"
)


def _wkbs(spark):
    rows = [(POINT, 4326), (POINT_XDR, 3857), (LINE, 0), (None, None)]
    return spark.createDataFrame(rows, "wkb binary, srid int")


@case()
def case_st_types_in_schema(spark, F, T):
    df = _wkbs(spark).where("srid > 100000")  # no rows: the schema is compared
    return df.select(
        F.st_geomfromwkb("wkb").alias("g"),
        F.st_geogfromwkb("wkb").alias("gg"),
        F.st_geomfromwkb("wkb", 4326).alias("g4"),
        F.st_geomfromwkb("wkb", "srid").alias("ga"),
        F.st_setsrid(F.st_geomfromwkb("wkb"), 3857).alias("s"),
        F.st_setsrid(F.st_geomfromwkb("wkb"), "srid").alias("sa"),
    )


@case()
def case_st_asbinary_and_srid(spark, F, T):
    df = _wkbs(spark)
    return df.select(
        F.hex(F.st_asbinary(F.st_geomfromwkb("wkb"))).alias("h"),
        F.hex(F.st_asbinary(F.st_geogfromwkb("wkb"), "NDR")).alias("hg"),
        F.st_srid(F.st_geomfromwkb("wkb", "srid")),
        F.st_srid(F.st_geogfromwkb("wkb")),
        F.st_srid(F.st_setsrid(F.st_geomfromwkb("wkb"), 3857)),
        F.st_srid(F.st_setsrid(F.st_geomfromwkb("wkb"), "srid")).alias("col_srid"),
    )


@case()
def case_st_asbinary_points_big_endian(spark, F, T):
    df = _wkbs(spark).where("srid <> 0")
    return df.select(F.hex(F.st_asbinary(F.st_geomfromwkb("wkb"), "XDR")))


@case()
def case_st_doc_examples(spark, F, T):
    df = spark.createDataFrame([(POINT, 4326)], ["wkb", "srid"])
    return df.select(
        F.hex(F.st_asbinary(F.st_geogfromwkb("wkb"))),
        F.hex(F.st_asbinary(F.st_geomfromwkb("wkb"), "XDR")),
        F.st_srid(F.st_setsrid(F.st_geogfromwkb("wkb"), "srid")),
        F.st_srid(F.st_setsrid(F.st_geomfromwkb("wkb"), 4326)),
        F.st_srid(F.st_geomfromwkb("wkb")),
    )


@case("error")
def case_st_geomfromwkb_too_short(spark, F, T):
    return spark.createDataFrame([(b"\x01\x02",)], ["wkb"]).select(F.st_geomfromwkb("wkb"))


@case("error")
def case_st_geomfromwkb_negative_srid(spark, F, T):
    return spark.createDataFrame([(POINT,)], ["wkb"]).select(F.st_geomfromwkb("wkb", -1))


@case("error")
def case_st_setsrid_geography_not_4326(spark, F, T):
    df = spark.createDataFrame([(POINT,)], ["wkb"])
    return df.select(F.st_setsrid(F.st_geogfromwkb("wkb"), 3857))


@case("error")
def case_st_asbinary_bad_endianness(spark, F, T):
    df = spark.createDataFrame([(POINT,)], ["wkb"])
    return df.select(F.st_asbinary(F.st_geomfromwkb("wkb"), "ABC"))


@case("error")
def case_st_srid_of_binary(spark, F, T):
    return spark.createDataFrame([(POINT,)], ["wkb"]).select(F.st_srid("wkb"))


# DataFrame.writeTo (DataFrameWriterV2)


def _drop(spark, name):
    spark.sql(f"DROP TABLE IF EXISTS {name}")


@case("value")
def case_write_to_create_and_read_back(spark, F, T):
    name = "kaspar_parity_write_to_create"
    _drop(spark, name)
    try:
        df = spark.createDataFrame([(1, "a"), (2, "b")], "id int, s string")
        df.writeTo(name).using("parquet").option("compression", "snappy").create()
        table = spark.table(name)
        return table.columns, sorted(tuple(r) for r in table.collect())
    finally:
        _drop(spark, name)


@case("value")
def case_write_to_partitioned_create(spark, F, T):
    name = "kaspar_parity_write_to_partitioned"
    _drop(spark, name)
    try:
        df = spark.createDataFrame([(1, "a"), (2, "b"), (3, "a")], "id int, s string")
        df.writeTo(name).using("parquet").partitionedBy("s").create()
        return sorted(tuple(r) for r in spark.table(name).select("id", "s").collect())
    finally:
        _drop(spark, name)


@case("error")
def case_write_to_create_existing(spark, F, T):
    name = "kaspar_parity_write_to_existing"
    _drop(spark, name)
    df = spark.createDataFrame([(1, "a")], "id int, s string")
    try:
        df.writeTo(name).using("parquet").create()
        df.writeTo(name).using("parquet").create()
    finally:
        _drop(spark, name)


@case("error")
def case_write_to_append_missing_table(spark, F, T):
    df = spark.createDataFrame([(1, "a")], "id int, s string")
    df.writeTo("kaspar_parity_write_to_missing").append()


@case("error")
def case_write_to_partition_transform(spark, F, T):
    df = spark.createDataFrame([(1, "a")], "id int, s string")
    df.writeTo("kaspar_parity_write_to_transform").partitionedBy(F.years("s")).create()
