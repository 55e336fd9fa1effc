"""Parity cases from PySpark's own documentation examples that kaspar failed (issue 16's
checklist, ``python -m tools.doc_examples``): argument forms, literals and inferred types."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


@case()
def case_doc_trim_characters(spark, F, T):
    df = spark.createDataFrame([("**Spark*", "*"), ("==Spark=", "="), (None, "*")], ["v", "t"])
    return df.select(
        "*",
        F.trim("v", F.lit("*")),
        F.ltrim("v", "t"),
        F.rtrim(df.v, df.t),
        F.trim("v"),
    )


@case()
def case_doc_instr_start_occurrence(spark, F, T):
    df = spark.createDataFrame([("aabcd",), ("xyz",), ("abcabc",), (None,)], ["s"])
    return df.select(
        "*",
        F.instr("s", "b", 1, 2),
        F.instr("s", "a", 2),
        F.instr("s", "bc", -1, 2),
        F.instr("s", "bc", -2),
        F.instr("s", "bc", -6),
        F.instr("s", "", 2),
        F.instr("s", "b", 0),
        F.instr("s", "b", 10),
    )


@case()
def case_doc_regexp_replace_position(spark, F, T):
    df = spark.createDataFrame([("100-200",), ("aaa",), (None,)], ["s"])
    return df.select(
        F.regexp_replace("s", r"(\d+)", "--", 5),
        F.regexp_replace("s", "a", "b", 3),
        F.regexp_replace("s", "a", "b", 10),
    )


@case()
def case_doc_position_start_column(spark, F, T):
    df = spark.createDataFrame(
        [("bar", "foobarbar", 5), ("bar", "foobarbar", 0), ("bar", "foobarbar", None)],
        ["a", "b", "c"],
    )
    return df.select(F.position("a", "b", "c"), F.position("a", "b"))


@case()
def case_doc_max_min_by_k(spark, F, T):
    df = spark.createDataFrame([("a", 10), ("b", 50), ("c", 20), ("d", 40)], ["x", "y"])
    return df.select(F.max_by("x", "y", 2), F.min_by("x", "y", 3), F.max_by("x", "y"))


@case()
def case_doc_array_sort_comparator(spark, F, T):
    df = spark.createDataFrame(
        [(["foo", "foobar", None, "bar"],), (["foo"],), ([],), (None,)], "data array<string>"
    )
    return df.select(
        F.array_sort(
            "data",
            lambda x, y: F.when(x.isNull() | y.isNull(), F.lit(0)).otherwise(
                F.length(y) - F.length(x)
            ),
        ).alias("r")
    )


@case()
def case_doc_array_sort_comparator_descending(spark, F, T):
    df = spark.createDataFrame([([2, 1, 3, 2],), ([1],)], ["data"])
    return df.select(F.array_sort("data", lambda x, y: (y - x).cast("int")).alias("r"))


@case()
def case_doc_infer_mixed_atomic_as_string(spark, F, T):
    return spark.createDataFrame(
        [(["apple", 1, "cherry"], 1), (["x", 2.5, True], "y")], ["data", "c"]
    )


@case()
def case_doc_infer_nested_arrays_and_tuples(spark, F, T):
    return spark.createDataFrame(
        [([["a", "b"], [1, 2]], [(1, "a"), (2, "b")], (3, "c"))], ["a", "r", "t"]
    )


@case()
def case_doc_ddl_field_named_like_a_type(spark, F, T):
    from decimal import Decimal

    return spark.createDataFrame([(Decimal("1" * 38),), (Decimal(0),)], "number DECIMAL(38, 0)")


@case()
def case_doc_date_functions_of_strings_and_column_names(spark, F, T):
    df = spark.createDataFrame(
        [("2015-04-08", 2), ("2024-01-31", -1), (None, 1)], "dt string, a int"
    )
    return df.select(
        F.add_months(df.dt, 1),
        F.add_months("dt", "a"),
        F.date_add("dt", "a"),
        F.date_sub("dt", "a"),
        F.last_day("dt"),
        F.next_day("dt", "Sun"),
    )


@case()
def case_doc_date_functions_of_timestamps(spark, F, T):
    df = spark.createDataFrame([("2015-04-08 13:08:15",)], ["s"]).select(
        F.to_timestamp("s").alias("ts")
    )
    return df.select(F.add_months("ts", 1), F.last_day("ts"), F.next_day("ts", "Sat"))


@case()
def case_doc_substring_repeat_column_names(spark, F, T):
    df = spark.createDataFrame([("Spark SQL", 5, 3, 2), ("abc", 1, 9, 0)], ["s", "p", "l", "n"])
    return df.select(
        F.substring(df.s, 2, "l"), F.substring("s", "p", "l"), F.repeat("s", "n"), F.repeat("s", 2)
    )


@case(ordered=True)
def case_doc_any_value_nulls(spark, F, T):
    df = spark.createDataFrame([(None, 1), ("a", 2), ("b", 8)], "c1 string, c2 int")
    return df.coalesce(1).select(
        F.any_value("c1"), F.any_value("c2"), F.any_value("c1", True).alias("ignoring")
    )


@case()
def case_doc_sign_of_nan(spark, F, T):
    return spark.range(1).select(
        F.sign(F.lit(-5)),
        F.signum(F.lit(float("nan"))),
        F.sign(F.lit(None)),
        F.signum(F.lit(0.0)),
    )


@case()
def case_doc_pmod_signs(spark, F, T):
    df = spark.createDataFrame(
        [(7.0, -8.0), (-5.0, -6.0), (-10.0, 3.0), (-3.0, 4.0), (1.0, float("nan"))], ["a", "b"]
    )
    ints = spark.createDataFrame([(7, -8), (-7, 8), (-7, -8)], "a int, b int")
    return df.select("*", F.pmod("a", "b")).union(
        ints.select(F.col("a").cast("double"), F.col("b").cast("double"), F.pmod("a", "b"))
    )


@case()
def case_doc_width_bucket_descending_range(spark, F, T):
    df = spark.createDataFrame(
        [(5.3, 0.2, 10.6, 5), (-0.9, 5.2, 0.5, 2), (6.0, 5.2, 0.5, 2), (3.0, 5.2, 0.5, 2)],
        ["v", "min", "max", "n"],
    )
    return df.select("*", F.width_bucket("v", "min", "max", "n"))


@case()
def case_doc_startswith_endswith_binary(spark, F, T):
    df = spark.createDataFrame([("414243", "4243"), ("4142", "41")], ["e", "f"])
    df = df.select(F.to_binary("e").alias("e"), F.to_binary("f").alias("f"))
    return df.select(
        F.endswith("e", "f"), F.endswith("f", "e"), F.startswith("e", "f"), F.startswith("f", "e")
    )


@case()
def case_doc_array_contains_nulls(spark, F, T):
    df = spark.createDataFrame([(["a", None],), (["a", "b"],), (None,), ([],)], "d array<string>")
    return df.select(F.array_contains(df.d, "b"), F.array_contains("d", "a"))


@case()
def case_doc_arrays_overlap_nulls(spark, F, T):
    df = spark.createDataFrame(
        [(["a", None], ["b"]), (["a"], ["b", "c"]), (["a"], ["a"]), ([None], []), (None, ["a"])],
        "x array<string>, y array<string>",
    )
    return df.select(F.arrays_overlap(df.x, df.y))


@case()
def case_doc_flatten_null_inner(spark, F, T):
    df = spark.createDataFrame([([[1, 2, 3], [4, 5], [6]],), ([None, [4, 5]],)], ["data"])
    return df.select(F.flatten(df.data))


@case()
def case_doc_get_column_index(spark, F, T):
    df = spark.createDataFrame([(["a", "b", "c"], 2), (["a"], 5), (["a"], -1)], ["data", "i"])
    return df.select(F.get(df.data, df.i), F.get(df.data, df.i - 1), F.get(df.data, 0))


@case()
def case_doc_like_escape(spark, F, T):
    df = spark.createDataFrame(
        [("%SystemDrive%/Users/John", "/%SystemDrive/%//Users%"), ("a_c", "a/_c"), ("abc", "a/_c")],
        ["a", "b"],
    )
    return df.select(
        F.ilike(df.a, df.b, F.lit("/")).alias("i"), F.like(df.a, df.b, F.lit("/")).alias("l")
    )


@case()
def case_doc_to_unix_timestamp_literal_format(spark, F, T):
    df = spark.createDataFrame([("2015-04-08",), (None,)], ["dt"])
    return df.select("*", F.to_unix_timestamp(df.dt, F.lit("yyyy-MM-dd")))


@case()
def case_doc_quarter_of_strings(spark, F, T):
    df = spark.createDataFrame([("2015-04-08",), ("2024-10-31 10:09:16",), (None,)], ["s"])
    return df.select(F.quarter("s"))


@case()
def case_doc_bround_column_scale_and_positive(spark, F, T):
    df = spark.createDataFrame([(-1,), (0,)], ["i"])
    return df.select(F.bround(F.lit(2.1267), F.lit(2)), F.bround(F.lit(2.5)), F.positive(df.i))


@case(kind="value")
def case_doc_binary_collects_as_bytes(spark, F, T):
    row = spark.range(1).select(
        F.unhex(F.lit("4142")).alias("b"), F.array(F.unhex(F.lit("41"))).alias("a")
    )
    first = row.first()
    return (type(first.b).__name__, first.b, type(first.a[0]).__name__)


@case()
def case_doc_try_element_at_key_column(spark, F, T):
    df = spark.createDataFrame([({"a": 1.0, "b": 2.0}, "a")], ["data", "b"])
    return df.select(F.try_element_at(df.data, "b"), F.try_element_at(df.data, F.lit("b")))


@case()
def case_doc_percentile_lists_and_literal_columns(spark, F, T):
    df = spark.range(0, 100, 1, 1).select(
        (F.col("id") % 3).alias("key"), F.col("id").cast("double").alias("value")
    )
    return df.groupBy("key").agg(
        F.percentile("value", [0.25, 0.5, 0.75], F.lit(1)),
        F.percentile("value", F.lit(0.5), F.lit(1)),
        F.percentile_approx("value", [0.25, 0.5, 0.75], 1000000),
        F.percentile_approx("value", F.lit(0.5), F.lit(1000000)),
        F.approx_percentile("value", [0.25, 0.75], 100),
    )


@case()
def case_doc_regexp_instr_pattern_column_and_group(spark, F, T):
    df = spark.createDataFrame([("1a 2b 14m", r"\d+(a|b|m)"), ("xyz", "y+")], ["str", "regexp"])
    return df.select(
        F.regexp_instr("str", F.lit(r"\d+(a|b|m)"), F.lit(1)),
        F.regexp_instr(F.col("str"), "regexp"),
        F.regexp_instr("str", F.lit("z"), 0),
    )


@case()
def case_doc_map_keys_values_of_empty_map(spark, F, T):
    df = spark.sql("SELECT map() AS data")
    return df.select(F.map_keys("data"), F.map_values("data"))


@case()
def case_doc_concat_ws_skips_nulls(spark, F, T):
    df = spark.createDataFrame(
        [(["foo", "bar"], [1, 2, 3], None, "x")],
        "xs array<string>, ys array<int>, n string, s string",
    )
    return df.select(
        F.concat_ws("_", "n", F.lit(3)),
        F.concat_ws("_", "s", "n", F.lit("b")),
        F.concat_ws("-", "n"),
        F.zip_with("xs", "ys", lambda x, y: F.concat_ws("_", x, y)).alias("xs_ys"),
    )


@case()
def case_doc_split_limit_column(spark, F, T):
    df = spark.createDataFrame(
        [
            ("oneAtwoBthreeC", "[ABC]", 2),
            ("1A2B3C", "[1-9]+", 1),
            ("aa2bb3cc4", "[1-9]+", -1),
            ("a,b,c", ",", 0),
            (None, ",", 2),
        ],
        ["s", "p", "l"],
    )
    return df.select(F.split("s", df.p, "l"), F.split("s", ",", F.col("l")))


@case()
def case_doc_hmac_algorithm_names(spark, F, T):
    df = spark.createDataFrame([("Spark", "Apache Spark")], ["key", "message"])
    return df.select(
        *(
            F.hex(F.hmac(df.key, df.message, F.lit(name)))
            for name in ("SHA-1", "sha1", "SHA-256", "SHA256", "sha-512", "MD5")
        )
    )
