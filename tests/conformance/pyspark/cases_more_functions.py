"""Parity cases: strings, math, aggregates and DataFrame methods (na.replace, summary, stat)."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case, people


def words(spark):
    return spark.createDataFrame(
        [
            ("hello world", "a,b,c", 5),
            ("Spark SQL", "x", -3),
            (None, None, None),
            ("ümlaut", ",,", 0),
        ],
        "s string, csv string, n int",
    )


@case()
def case_regexp_extract_groups(spark, F, T):
    return words(spark).select(
        F.regexp_extract("s", r"(\w+) (\w+)", 2), F.regexp_extract("s", "(z+)", 1)
    )


@case()
def case_regexp_replace_more(spark, F, T):
    return words(spark).select(
        F.regexp_replace("s", "[aeiou]", "_"), F.regexp_replace("s", r"(\w+)", "<$1>")
    )


@case()
def case_split_with_limit(spark, F, T):
    return words(spark).select(F.split("csv", ","), F.split("csv", ",", 2), F.split("csv", ",", -1))


@case()
def case_string_case_and_length(spark, F, T):
    return words(spark).select(
        F.lcase("s"),
        F.ucase("s"),
        F.initcap("s"),
        F.character_length("s"),
        F.octet_length("s"),
        F.bit_length("s"),
    )


@case()
def case_pad_translate(spark, F, T):
    return words(spark).select(
        F.lpad("s", 12, "*"), F.rpad("s", 3, "-"), F.translate("s", "lo", "01")
    )


@case()
def case_concat_ws_format_string(spark, F, T):
    return words(spark).select(F.concat_ws("-", "s", "csv"), F.format_string("%s has %d", "s", "n"))


@case()
def case_substring_index(spark, F, T):
    return words(spark).select(F.substring_index("csv", ",", 2), F.substring_index("csv", ",", -1))


@case()
def case_split_part_find_in_set(spark, F, T):
    return words(spark).select(
        F.split_part("csv", F.lit(","), F.lit(2)), F.find_in_set(F.lit("b"), "csv")
    )


@case()
def case_regexp_count_extract_all(spark, F, T):
    return words(spark).select(
        F.regexp_count("s", F.lit("o")), F.regexp_extract_all("s", F.lit(r"(\w)o"), 1)
    )


@case()
def case_rlike_like_ilike(spark, F, T):
    return words(spark).select(
        F.rlike("s", F.lit("^h")), F.like("s", F.lit("%SQL")), F.ilike("s", F.lit("spark%"))
    )


@case()
def case_btrim_substr_position(spark, F, T):
    return words(spark).select(
        F.btrim(F.lit("  x  ")), F.substr("s", F.lit(2), F.lit(3)), F.position(F.lit("o"), "s")
    )


@case()
def case_overlay_elt_char(spark, F, T):
    return words(spark).select(
        F.overlay("s", F.lit("__"), 2), F.elt(F.lit(2), F.lit("x"), F.lit("y")), F.char(F.lit(65))
    )


@case()
def case_printf(spark, F, T):
    return words(spark).select(F.printf(F.lit("%s/%d"), "s", "n"))


@case()
def case_hyperbolic(spark, F, T):
    return people(spark).select(
        F.sinh("id"),
        F.cosh(F.lit(0.5)),
        F.tanh("id"),
        F.asinh("id"),
        F.acosh(F.lit(2.0)),
        F.atanh(F.lit(0.5)),
    )


@case()
def case_reciprocal_trig(spark, F, T):
    return people(spark).select(F.cot("score"), F.sec("score"), F.csc("score"))


@case()
def case_expm1_hypot_rint(spark, F, T):
    return people(spark).select(F.expm1(F.lit(1.0)), F.hypot("id", "age"), F.rint("score"))


@case()
def case_bin_bit_ops(spark, F, T):
    return people(spark).select(F.bin("id"), F.bitwise_not("id"), F.bit_count("id"))


@case()
def case_try_arithmetic(spark, F, T):
    return people(spark).select(
        F.try_add("id", "age"),
        F.try_subtract("id", "age"),
        F.try_multiply("id", "age"),
        F.try_divide("age", F.lit(0)),
        F.try_mod("age", F.lit(0)),
    )


@case()
def case_width_bucket(spark, F, T):
    return people(spark).select(F.width_bucket("score", F.lit(0), F.lit(150), F.lit(5)))


@case()
def case_greatest_least_coalesce_nanvl(spark, F, T):
    df = spark.createDataFrame(
        [(1.0, float("nan"), None), (None, 2.0, 3.0)], "a double, b double, c double"
    )
    return df.select(
        F.greatest("a", "b", "c"), F.least("a", "c"), F.coalesce("a", "c"), F.nanvl("b", "a")
    )


@case()
def case_first_last_ignorenulls(spark, F, T):
    df = spark.createDataFrame([(1, None), (1, 5), (1, None), (2, None)], "k int, v int")
    return df.groupBy("k").agg(
        F.first("v", ignorenulls=True).alias("f"), F.last("v", ignorenulls=True).alias("l")
    )


@case()
def case_approx_count_distinct(spark, F, T):
    return people(spark).agg(F.approx_count_distinct("dept"), F.approx_count_distinct("id"))


@case()
def case_percentile_approx(spark, F, T):
    return people(spark).agg(
        F.percentile_approx("age", 0.5).alias("m"), F.percentile("age", 0.5).alias("p")
    )


@case()
def case_bit_aggregates(spark, F, T):
    return people(spark).agg(F.bit_and("id"), F.bit_or("id"), F.bit_xor("id"))


@case()
def case_regression_aggregates(spark, F, T):
    return people(spark).agg(
        F.regr_count("score", "age"),
        F.regr_slope("score", "age"),
        F.regr_intercept("score", "age"),
        F.regr_avgx("score", "age"),
    )


@case()
def case_std_try_sum_avg(spark, F, T):
    return people(spark).agg(F.std("score"), F.try_sum("age"), F.try_avg("age"))


@case()
def case_na_replace_scalar(spark, F, T):
    return people(spark).na.replace("eng", "engineering")


@case()
def case_na_replace_dict_subset(spark, F, T):
    return people(spark).replace({"eng": "E", "ops": "O"}, subset=["dept"])


@case()
def case_na_replace_numbers(spark, F, T):
    return people(spark).na.replace([1, 2], [10, 20], "id")


@case()
def case_summary_default(spark, F, T):
    return people(spark).select("id", "age", "name").summary()


@case()
def case_summary_selected(spark, F, T):
    return people(spark).select("age", "score").summary("count", "min", "max")


@case(kind="value")
def case_stat_corr_cov(spark, F, T):
    df = people(spark).na.drop()
    return [round(df.stat.corr("age", "score"), 6), round(df.cov("age", "score"), 6)]


@case(kind="value")
def case_approx_quantile_exact(spark, F, T):
    return people(spark).approxQuantile("age", [0.0, 0.5, 1.0], 0.0)


@case()
def case_crosstab(spark, F, T):
    df = spark.createDataFrame([("a", 1), ("a", 2), ("b", 1)], "k string, v int")
    return df.crosstab("k", "v")


@case(kind="value")
def case_sample_fraction_bounds(spark, F, T):
    n = spark.range(1000).sample(fraction=0.5, seed=7).count()
    return 300 < n < 700


@case(kind="value")
def case_sample_full_and_empty(spark, F, T):
    return [spark.range(50).sample(1.0).count(), spark.range(50).sample(0.0).count()]


@case(kind="error")
def case_error_unknown_column_in_function(spark, F, T):
    return people(spark).select(F.upper("nope"))


@case(kind="error")
def case_error_udf_bad_return_type(spark, F, T):
    return F.udf(lambda x: x, 42)


@case(kind="error")
def case_error_na_replace_missing_value(spark, F, T):
    return people(spark).na.replace("eng")


@case(kind="error")
def case_error_window_slide_longer(spark, F, T):
    df = spark.createDataFrame([("2024-01-01 00:00:00",)], "s string")
    return df.select(F.window(F.to_timestamp("s"), "5 minutes", "10 minutes"))
