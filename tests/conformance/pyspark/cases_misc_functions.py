"""Parity cases: null helpers, bits, session information, masking, map lambdas, arrays_zip."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


def values(spark):
    return spark.createDataFrame(
        [
            (0, 5, "Ab1 ü-Z", "it's"),
            (None, 5, None, None),
            (7, None, "xY9", "a\\b"),
            (5, 5, "", ""),
        ],
        "n int, m int, s string, q string",
    )


@case()
def case_zeroifnull_nullifzero_equal_null(spark, F, T):
    return values(spark).select(
        F.zeroifnull("n"), F.nullifzero("n"), F.equal_null("n", "m"), F.equal_null("n", F.lit(None))
    )


@case()
def case_bit_get_getbit(spark, F, T):
    return values(spark).select(
        F.bit_get("m", F.lit(0)), F.getbit("n", F.lit(1)), F.bit_get("n", F.lit(2))
    )


@case()
def case_session_information(spark, F, T):
    return spark.range(1).select(
        F.current_catalog(),
        F.current_database(),
        F.current_schema(),
        F.current_user(),
        F.user(),
        F.session_user(),
    )


@case()
def case_input_file_functions(spark, F, T):
    return spark.range(1).select(
        F.input_file_name(), F.input_file_block_start(), F.input_file_block_length()
    )


@case()
def case_call_function(spark, F, T):
    return values(spark).select(
        F.call_function("upper", "s"),
        F.call_function("coalesce", "n", "m"),
        F.call_function("abs", "n"),
    )


@case()
def case_regexp_instr(spark, F, T):
    return values(spark).select(
        F.regexp_instr("s", F.lit("[0-9]")), F.regexp_instr("q", F.lit("b+"))
    )


@case()
def case_mask(spark, F, T):
    return values(spark).select(
        F.mask("s"),
        F.mask("s", F.lit("U"), F.lit("l"), F.lit("d"), F.lit("*")),
        F.mask("s", lowerChar=F.lit(None), otherChar=F.lit("#")),
    )


@case()
def case_quote(spark, F, T):
    return values(spark).select(F.quote("q"), F.quote("s"))


@case()
def case_to_timestamp_ltz_ntz(spark, F, T):
    df = spark.createDataFrame(
        [("2024-03-05 10:11:12", "05/03/2024"), (None, None)], "t string, d string"
    )
    return df.select(
        F.to_timestamp_ltz("t"),
        F.to_timestamp_ntz("t"),
        F.to_timestamp_ltz("d", F.lit("dd/MM/yyyy")),
        F.to_timestamp_ntz("d", F.lit("dd/MM/yyyy")),
    )


def maps(spark):
    return spark.createDataFrame([({"a": 1, "b": 2, "c": 3},), ({},), (None,)], "m map<string,int>")


@case()
def case_transform_keys_values(spark, F, T):
    return maps(spark).select(
        F.transform_values("m", lambda k, v: v * 10).alias("tv"),
        F.transform_keys("m", lambda k, v: F.upper(k)).alias("tk"),
        F.transform_values("m", lambda k, v: F.concat(k, v.cast("string"))).alias("tc"),
    )


@case()
def case_map_filter(spark, F, T):
    return maps(spark).select(F.map_filter("m", lambda k, v: (v > 1) & (k != "c")).alias("mf"))


@case()
def case_arrays_zip(spark, F, T):
    df = spark.createDataFrame(
        [([1, 2, 3], ["a", "b"]), ([], ["x"]), (None, ["y"]), ([4], [])],
        "a array<int>, b array<string>",
    )
    return df.select(
        F.arrays_zip("a", "b"), F.arrays_zip("a"), F.arrays_zip(F.col("a"), F.array_compact("b"))
    )


@case()
def case_extract_date_part(spark, F, T):
    df = spark.createDataFrame([("2024-02-29 13:14:15.250000",), (None,)], "s string").select(
        F.col("s").cast("timestamp").alias("t")
    )
    return df.select(
        F.extract(F.lit("YEAR"), "t"),
        F.extract(F.lit("month"), "t"),
        F.date_part(F.lit("DAY"), "t"),
        F.datepart(F.lit("HOUR"), "t"),
        F.extract(F.lit("MINUTE"), "t"),
        F.extract(F.lit("SECOND"), "t"),
        F.date_part(F.lit("QUARTER"), "t"),
        F.extract(F.lit("WEEK"), "t"),
        F.extract(F.lit("DOY"), "t"),
        F.extract(F.lit("DAYOFWEEK"), "t"),
    )


@case()
def case_timestamp_add_diff(spark, F, T):
    df = spark.createDataFrame(
        [
            ("2024-01-31 10:11:12", "2024-03-30 09:00:00", 1),
            (None, "2023-01-01 00:00:00", 2),
            ("2023-03-15 00:00:00", "2021-03-15 00:00:01", -3),
        ],
        "a string, b string, q int",
    ).select(F.col("a").cast("timestamp").alias("a"), F.col("b").cast("timestamp").alias("b"), "q")
    return df.select(
        F.timestamp_add("MONTH", "q", "a"),
        F.timestamp_add("year", "q", "a"),
        F.timestamp_add("DAY", "q", "a"),
        F.timestamp_add("HOUR", "q", "a"),
        F.timestamp_diff("MONTH", "a", "b"),
        F.timestamp_diff("YEAR", "a", "b"),
        F.timestamp_diff("DAY", "a", "b"),
        F.timestamp_diff("HOUR", "a", "b"),
        F.timestamp_diff("SECOND", "b", "a"),
    )


@case()
def case_make_timestamp_ntz(spark, F, T):
    df = spark.createDataFrame(
        [(2024, 2, 29, 13, 14, __import__("decimal").Decimal("15.5")), (2023, 1, 1, 0, 0, None)],
        "y int, mo int, d int, h int, mi int, s decimal(16,6)",
    )
    return df.select(F.make_timestamp_ntz("y", "mo", "d", "h", "mi", "s"))


@case()
def case_str_to_map(spark, F, T):
    df = spark.createDataFrame([("a:1,b:2,c",), ("",), (None,), ("x=1;y=2=3",)], "s string")
    return df.select(
        F.str_to_map("s").alias("m1"),
        F.str_to_map("s", F.lit(";"), F.lit("=")).alias("m2"),
        F.str_to_map("s"),
    )


@case()
def case_encode_decode_partition_id(spark, F, T):
    df = spark.createDataFrame([("héllo", "hello"), (None, "x"), ("", "")], "a string, b string")
    return df.select(
        F.encode("a", "UTF-8"),
        F.decode(F.encode("a", "UTF-8"), "UTF-8"),
        F.spark_partition_id(),
    )


@case()
def case_make_timestamp_variants(spark, F, T):
    import decimal

    df = spark.createDataFrame(
        [
            (2024, 2, 29, 13, 14, decimal.Decimal("15.5")),
            (2023, 2, 30, 0, 0, decimal.Decimal(1)),
            (2023, 1, 1, 0, 0, None),
        ],
        "y int, mo int, d int, h int, mi int, s decimal(16,6)",
    )
    return (
        df.filter(F.col("d") != 30)
        .select(F.make_timestamp_ltz("y", "mo", "d", "h", "mi", "s"))
        .crossJoin(
            df.select(
                F.try_make_timestamp("y", "mo", "d", "h", "mi", "s"),
                F.try_make_timestamp_ltz("y", "mo", "d", "h", "mi", "s"),
                F.try_make_timestamp_ntz("y", "mo", "d", "h", "mi", "s"),
            )
        )
    )


@case()
def case_try_to_date(spark, F, T):
    df = spark.createDataFrame(
        [("2024-02-29", "29/02/2024"), ("nope", "31/02/2024"), (None, None)], "a string, b string"
    )
    return df.select(F.try_to_date("a"), F.try_to_date("b", "dd/MM/yyyy"))


@case()
def case_map_zip_with(spark, F, T):
    df = spark.createDataFrame(
        [({"a": 1, "b": 2}, {"b": 10, "c": 20}), ({}, {"x": 1}), (None, {"y": 2})],
        "m1 map<string,int>, m2 map<string,int>",
    )
    return df.select(
        F.map_zip_with(
            "m1", "m2", lambda k, v1, v2: F.coalesce(v1, F.lit(0)) + F.coalesce(v2, F.lit(0))
        ).alias("s"),
        F.map_zip_with("m1", "m2", lambda k, v1, v2: F.concat(k, v2.cast("string"))).alias("c"),
    )


@case()
def case_format_number(spark, F, T):
    df = spark.createDataFrame(
        [(1234567.891, 5), (-0.5, -1234), (None, None), (0.125, 0), (1e10, 999999)],
        "x double, n int",
    )
    return df.select(
        F.format_number("x", 2),
        F.format_number("x", 0),
        F.format_number("n", 3),
        F.format_number("x", -1),
    )


@case()
def case_parse_url(spark, F, T):
    df = spark.createDataFrame(
        [
            ("https://user:pw@spark.apache.org:8080/path/p.html?query=1&k=v#Ref",),
            ("http://example.com",),
            ("ftp://h/a?x=1",),
            (None,),
        ],
        "u string",
    )
    parts = ["HOST", "PATH", "QUERY", "REF", "PROTOCOL", "FILE", "AUTHORITY", "USERINFO"]
    return df.select(
        *[F.parse_url("u", F.lit(p)) for p in parts],
        F.parse_url("u", F.lit("QUERY"), F.lit("k")),
        F.parse_url("u", F.lit("QUERY"), F.lit("nope")),
    )


@case()
def case_string_agg_listagg_distinct(spark, F, T):
    df = spark.createDataFrame(
        [(1, "a"), (1, "a"), (1, None), (2, "b"), (2, "b"), (3, None)], "g int, s string"
    )
    return df.groupBy("g").agg(F.string_agg_distinct("s", "-"), F.listagg_distinct("s"))


@case()
def case_shuffle_keeps_elements(spark, F, T):
    df = spark.createDataFrame([([3, 1, None, 2, 2],), ([],), (None,)], "a array<int>")
    return df.select(F.sort_array(F.shuffle("a")).alias("s"), F.size(F.shuffle("a")).alias("n"))


@case()
def case_collation_bitmap_positions(spark, F, T):
    df = spark.createDataFrame([(1,), (32768,), (32769,), (0,), (-5,), (None,)], "v bigint")
    return df.select(
        F.bitmap_bucket_number("v"), F.bitmap_bit_position("v"), F.collation(F.lit("x"))
    )


@case()
def case_array_insert(spark, F, T):
    df = spark.createDataFrame(
        [
            ([1, 2, 3], 2),
            ([5, 3, 2, 1], -4),
            ([1, 2], 6),
            ([1, 2], -5),
            ([], 1),
            (None, 1),
            ([7], None),
        ],
        "a array<int>, p int",
    )
    return df.select(
        F.array_insert("a", "p", F.lit(9)).alias("c"),
        F.array_insert("a", 1, F.lit(0)),
        F.array_insert("a", -1, F.lit(None).cast("int")).alias("n"),
    )


@case()
def case_try_parse_url_try_url_decode(spark, F, T):
    df = spark.createDataFrame(
        [
            ("https://a.b/c%20d?x=1+2#f",),
            ("a%2Gb",),
            ("100%",),
            ("%e4%bd%a0+x%",),
            ("ok%41",),
            ("%E4%BD%A0%2B",),
            (None,),
        ],
        "u string",
    )
    return df.select(
        F.try_parse_url("u", F.lit("HOST")),
        F.try_parse_url("u", F.lit("QUERY"), F.lit("x")),
        F.try_url_decode("u"),
    )


@case()
def case_utf8_validation_on_strings(spark, F, T):
    df = spark.createDataFrame([("héllo",), ("",), (None,)], "s string")
    return df.select(
        F.is_valid_utf8("s"), F.make_valid_utf8("s"), F.validate_utf8("s"), F.try_validate_utf8("s")
    )


@case()
def case_stack(spark, F, T):
    df = spark.createDataFrame(
        [(1, 2, 3, 4, 5), (6, None, 8, 9, 10)], "a int, b int, c int, d int, e int"
    )
    return (
        df.select("a", F.stack(F.lit(2), "b", "c", "d", "e"))
        .union(df.select("a", F.stack(F.lit(2), "b", "c", "d")))
        .union(df.select("e", F.stack(F.lit(3), "a", "b", "c", "d", "e", "a")))
    )
