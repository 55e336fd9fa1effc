"""Parity cases: array_sort / trunc / url_decode semantics, hashes, intervals, string and math
built-ins that DuckDB has no Spark-identical version of."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


def sortable(spark):
    return spark.createDataFrame(
        [(1, [3, None, 1, 2]), (2, [None, None]), (3, []), (4, None), (5, [2, 1])],
        "id int, a array<int>",
    )


@case()
def case_array_sort_nulls_last(spark, F, T):
    return sortable(spark).select("id", F.array_sort("a"))


@case()
def case_sort_array_null_order(spark, F, T):
    return sortable(spark).select(
        "id", F.sort_array("a"), F.sort_array("a", asc=False), F.expr("array_sort(a) AS e")
    )


def dates(spark, F):
    df = spark.createDataFrame(
        [("2024-08-15 10:11:12",), ("2023-01-01 00:00:00",), ("2024-12-31 23:59:59",), (None,)],
        "s string",
    )
    return df.select(F.to_date("s").alias("d"), F.to_timestamp("s").alias("t"), "s")


@case()
def case_trunc_formats_on_dates(spark, F, T):
    fmts = ("yy", "yyyy", "year", "YEAR", "mm", "month", "mon", "week", "quarter", "day", "q")
    return dates(spark, F).select(*(F.trunc("d", f).alias(f"d_{f}") for f in fmts))


@case()
def case_trunc_on_timestamps_and_strings(spark, F, T):
    return dates(spark, F).select(
        F.trunc("t", "month"),
        F.trunc("t", "week"),
        F.trunc("s", "year"),
        F.expr("trunc(t, 'quarter')"),
    )


@case()
def case_url_decode_plus_is_space(spark, F, T):
    df = spark.createDataFrame([("a+b%20c",), ("x%2By+z",), ("plain",), (None,)], "u string")
    return df.select(F.url_decode("u"), F.try_url_decode("u"), F.expr("url_decode(u) AS e"))


def hashable(spark, F):
    long_text = "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmno"
    df = spark.createDataFrame(
        [
            (1, 10, "abc", 1.5, True, "2024-01-01", b"\x00\xff", 1.25),
            (2, -7, "", -0.0, False, "1969-12-31", b"", -3.5),
            (3, None, long_text, None, None, None, None, None),
            (-2147483648, 2**62, "ümlaut ✓", 1e300, True, "2000-02-29", b"0123456789", 0.0),
        ],
        "i int, l bigint, s string, d double, b boolean, dt string, bin binary, f float",
    )
    return df.withColumn("dt", F.to_date("dt"))


@case()
def case_xxhash64_types(spark, F, T):
    df = hashable(spark, F)
    return df.select(
        "i",
        F.xxhash64("i"),
        F.xxhash64("l"),
        F.xxhash64("s"),
        F.xxhash64("d"),
        F.xxhash64("b"),
        F.xxhash64("dt"),
        F.xxhash64("bin"),
        F.xxhash64("f"),
    )


@case()
def case_xxhash64_columns_and_decimals(spark, F, T):
    df = hashable(spark, F)
    return df.select(
        "i",
        F.xxhash64("i", "s", "l").alias("multi"),
        F.xxhash64(F.col("l").cast("decimal(22,2)")).alias("wide"),
        F.xxhash64(F.col("f").cast("decimal(10,3)")).alias("narrow"),
        F.hash("i", "s").alias("murmur"),
    )


@case()
def case_levenshtein_threshold(spark, F, T):
    df = spark.createDataFrame(
        [("kitten", "sitting"), ("", ""), ("abc", None), ("flaw", "lawn")], "a string, b string"
    )
    return df.select(
        F.levenshtein("a", "b"), F.levenshtein("a", "b", 2), F.levenshtein("a", "b", 0)
    )


@case()
def case_soundex(spark, F, T):
    words = ["Robert", "Tymczak", "", "1abc", "Ashcraft", "Lloyd", "Pfister", "Gutierrez"]
    words += ["Jackson", "héllo", "a b", None, "Honeyman", "bbbb", "x"]
    df = spark.createDataFrame([(w,) for w in words], "w string")
    return df.select("w", F.soundex("w"))


@case()
def case_conv_bases(spark, F, T):
    df = spark.createDataFrame(
        [("100",), ("-10",), ("ff",), ("zz",), ("-1",), ("12x",), ("",), (" 12",), ("x12",)],
        "n string",
    )
    return df.select(
        "n",
        F.conv("n", 2, 10),
        F.conv("n", 16, -10),
        F.conv("n", 36, 16),
        F.conv("n", 10, 16),
        F.conv("n", 10, -2),
        F.conv("n", 37, 2),
    )


@case(kind="error")
def case_conv_overflow_ansi(spark, F, T):
    return spark.createDataFrame([("ffffffffffffffffff",)], "n string").select(F.conv("n", 16, 10))


@case()
def case_base32_round_trip(spark, F, T):
    df = spark.createDataFrame(
        [("abc",), ("",), ("MFRGG",), ("mfrgg===",), ("!!",), (None,), ("kaspar ✓",)], "s string"
    )
    return df.select(
        "s",
        F.to_base32(F.col("s").cast("binary")).alias("b32"),
        F.from_base32("s"),
        F.to_base32("s"),
    )


@case()
def case_hmac_algorithms(spark, F, T):
    df = spark.createDataFrame([("key", "msg"), ("k", ""), (None, "y")], "k string, m string")
    return df.select(
        F.hmac("k", "m"),
        F.hmac("k", "m", F.lit("SHA-512")),
        F.hmac("k", "m", F.lit("sha-384")),
        F.hmac("k", "m", F.lit("MD5")),
    )


@case(ordered=True)
def case_monotonically_increasing_id(spark, F, T):
    df = spark.createDataFrame([("a",), ("b",), ("c",)], "s string")
    return df.select("s", F.monotonically_increasing_id())


@case()
def case_assert_true_passes(spark, F, T):
    df = spark.createDataFrame([(1,), (2,)], "x int")
    return df.select("x", F.assert_true(F.col("x") > 0), F.assert_true(F.col("x") > 0, "bad"))


@case(kind="error")
def case_assert_true_fails(spark, F, T):
    df = spark.createDataFrame([(1,), (-2,)], "x int")
    return df.select(F.assert_true(F.col("x") > 0))


@case(kind="error")
def case_raise_error(spark, F, T):
    return spark.createDataFrame([(1,)], "x int").select(F.raise_error("boom"))


def vectors(spark):
    return spark.createDataFrame(
        [
            (1, [1.0, 2.0], [2.0, 4.0]),
            (2, [0.0, 0.0], [1.0, 2.0]),
            (3, [3.0, -4.0], [1.0, None]),
            (4, [], []),
            (5, None, [1.0]),
            (6, [0.5, 1.5, -2.0], [4.0, 0.25, 1.0]),
        ],
        "id int, a array<float>, b array<float>",
    )


@case()
def case_vector_products_and_distance(spark, F, T):
    return vectors(spark).select(
        "id",
        F.vector_cosine_similarity("a", "b"),
        F.vector_inner_product("a", "b"),
        F.vector_l2_distance("a", "b"),
    )


@case()
def case_vector_norms(spark, F, T):
    return vectors(spark).select(
        "id",
        F.vector_norm("a"),
        F.vector_norm("a", F.lit(1.0).cast("float")).alias("l1"),
        F.vector_norm("b", F.lit(float("inf")).cast("float")).alias("max"),
        F.vector_normalize("a"),
        F.vector_normalize("a", F.lit(1.0).cast("float")).alias("n1"),
    )


@case(kind="error")
def case_vector_dimension_mismatch(spark, F, T):
    df = spark.createDataFrame([([1.0], [1.0, 2.0])], "a array<float>, b array<float>")
    return df.select(F.vector_l2_distance("a", "b"))


@case()
def case_shiftrightunsigned(spark, F, T):
    df = spark.createDataFrame(
        [(-1, -1, -8), (8, 8, 8), (-2147483648, -(2**63), 0), (None, None, None)],
        "i int, l bigint, s smallint",
    )
    return df.select(
        F.shiftrightunsigned("i", 1),
        F.shiftrightunsigned("i", 33),
        F.shiftrightunsigned("i", 0),
        F.shiftrightunsigned("l", 1),
        F.shiftrightunsigned("l", 65),
        F.shiftrightunsigned("s", 2),
    )


@case()
def case_typeof(spark, F, T):
    df = spark.createDataFrame(
        [(1, 2, "a", 1.5, [1], {"a": 1}, ("x", 1), b"z", True)],
        "i int, l bigint, s string, d double, a array<int>, m map<string,int>, "
        "st struct<n:string,k:int>, bin binary, b boolean",
    ).withColumn("dt", F.to_date(F.lit("2024-01-01")))
    df = df.withColumn("dec", F.col("d").cast("decimal(5,2)"))
    columns = [F.typeof(c) for c in df.columns]
    return df.select(*columns, F.typeof(F.col("i") + 1), F.expr("typeof(l) AS e"))


@case()
def case_grouping_and_grouping_id(spark, F, T):
    df = spark.createDataFrame(
        [("a", "x", 1), ("a", "y", 2), ("b", "x", 3), ("b", "x", 4)], "k string, j string, v int"
    )
    return df.cube("k", "j").agg(
        F.grouping("k"), F.grouping("j"), F.grouping_id(), F.grouping_id("k", "j"), F.sum("v")
    )


@case()
def case_window_time(spark, F, T):
    df = spark.createDataFrame(
        [("2024-03-05 14:07:09", 1), ("2024-03-05 14:12:30", 2), ("2024-03-05 14:19:59", 4)],
        "s string, v int",
    ).withColumn("t", F.to_timestamp("s"))
    windowed = df.groupBy(F.window("t", "10 minutes")).agg(F.sum("v").alias("total"))
    return windowed.select("window", F.window_time("window"), "total")


@case()
def case_convert_timezone(spark, F, T):
    df = spark.createDataFrame(
        [("2024-01-01 12:00:00",), ("2024-07-01 23:30:00",), (None,)], "s string"
    ).withColumn("ts", F.to_timestamp_ntz("s"))
    return df.select(
        "ts",
        F.convert_timezone(F.lit("UTC"), F.lit("America/New_York"), "ts"),
        F.convert_timezone(F.lit("Asia/Tokyo"), F.lit("Europe/Paris"), "ts"),
        F.convert_timezone(None, F.lit("Asia/Kolkata"), "ts"),
    )


@case(kind="value")
def case_conv_overflow_legacy(spark, F, T):
    spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        df = spark.createDataFrame([("ffffffffffffffffff",)], "n string")
        return [tuple(r) for r in df.select(F.conv("n", 16, 10)).collect()]
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")


@case()
def case_jaro_winkler_similarity(spark, F, T):
    pairs = [
        ("martha", "marhta"),
        ("dixon", "dicksonx"),
        ("a", ""),
        ("", ""),
        ("crate", "trace"),
        ("ab", "ba"),
        ("abcdwxyz", "abcdqrst"),
        ("ümlaut", "umlaut"),
        ("jellyfish", "smellyfish"),
        (None, "x"),
    ]
    df = spark.createDataFrame(pairs, "a string, b string")
    return df.select("a", "b", F.jaro_winkler_similarity("a", "b"))


@case()
def case_builtins_in_sql_expressions(spark, F, T):
    df = spark.createDataFrame(
        [(1, "abc", "Robert"), (2, None, "Rupert")], "i int, s string, n string"
    )
    return df.selectExpr(
        "hash(i, s)",
        "xxhash64(s)",
        "crc32(s)",
        "soundex(n)",
        "to_base32(s)",
        "jaro_winkler_similarity(s, n)",
        "xxhash64(i) + 1 AS plus",
    )


@case()
def case_builtins_in_spark_sql(spark, F, T):
    df = spark.createDataFrame([(1, "abc"), (2, "Robert"), (3, None)], "x int, s string")
    df.createOrReplaceTempView("builtins_view")
    return spark.sql(
        "SELECT x, xxhash64(x) AS h, hash(x, s), soundex(s) FROM builtins_view "
        "WHERE xxhash64(s) <> 0 OR s IS NULL"
    )
