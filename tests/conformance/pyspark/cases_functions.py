"""Parity cases: columns, operators and ``pyspark.sql.functions``."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case, nested, people


def nums(spark):
    return spark.createDataFrame(
        [(1, 2, 1.5, "10"), (7, 3, -2.25, "x"), (None, 4, None, None), (-5, 2, 0.0, "3")],
        "a int, b int, d double, s string",
    )


def texts(spark):
    return spark.createDataFrame(
        [("  Hello World  ", "a,b,c"), ("spark", "x"), (None, None)], "t string, csv string"
    )


@case()
def case_arithmetic(spark, F, T):
    c = F.col
    return nums(spark).select(c("a") + c("b"), c("a") - c("b"), c("a") * c("b"), c("a") % c("b"))


@case()
def case_integer_division_is_double(spark, F, T):
    return nums(spark).select(F.col("a") / F.col("b"), (F.col("a") / 2).alias("half"))


@case()
def case_literal_arithmetic(spark, F, T):
    return nums(spark).select(F.col("a") + 1, 10 - F.col("b"), F.col("d") * 2.0)


@case()
def case_negation(spark, F, T):
    return nums(spark).select(
        -F.col("a"), F.negative("d") if hasattr(F, "negative") else -F.col("d")
    )


@case()
def case_comparisons(spark, F, T):
    c = F.col
    return nums(spark).select(c("a") > c("b"), c("a") <= 1, c("a") == c("b"), c("a") != 1)


@case()
def case_boolean_logic(spark, F, T):
    c = F.col
    return nums(spark).select((c("a") > 0) & (c("b") > 2), (c("a") > 0) | c("d").isNull())


@case()
def case_eq_null_safe(spark, F, T):
    return nums(spark).select(F.col("a").eqNullSafe(F.lit(None)).alias("x"))


@case()
def case_lit_types(spark, F, T):
    return spark.range(1).select(F.lit(1), F.lit(2.5), F.lit("s"), F.lit(True), F.lit(None))


@case()
def case_lit_bigint(spark, F, T):
    return spark.range(1).select(F.lit(2**40).alias("big"))


@case()
def case_cast_int_to_string(spark, F, T):
    return nums(spark).select(F.col("a").cast("string"), F.col("b").cast(T.LongType()))


@case()
def case_cast_string_to_int_valid(spark, F, T):
    return nums(spark).filter(F.col("s").isin("10", "3")).select(F.col("s").cast("int"))


@case()
def case_cast_double_to_string(spark, F, T):
    return nums(spark).select(F.col("d").cast("string"))


@case()
def case_cast_alias_astype(spark, F, T):
    return nums(spark).select(F.col("a").astype("double").alias("ad"))


@case()
def case_when_otherwise(spark, F, T):
    return nums(spark).select(
        F.when(F.col("a") > 0, "pos").when(F.col("a") < 0, "neg").otherwise("zero").alias("sign")
    )


@case()
def case_when_no_otherwise(spark, F, T):
    return nums(spark).select(F.when(F.col("a") > 0, F.col("a")))


@case()
def case_coalesce(spark, F, T):
    return nums(spark).select(F.coalesce("a", "b"), F.coalesce(F.col("d"), F.lit(0.0)))


@case()
def case_isnull_functions(spark, F, T):
    return nums(spark).select(
        F.isnull("a"), F.isnotnull("d") if hasattr(F, "isnotnull") else F.col("d").isNotNull()
    )


@case()
def case_greatest_least(spark, F, T):
    return nums(spark).select(F.greatest("a", "b"), F.least("a", "b"))


@case()
def case_nvl_ifnull(spark, F, T):
    return nums(spark).select(F.nvl("a", "b"), F.ifnull("d", F.lit(9.0)))


@case()
def case_expr_function(spark, F, T):
    return nums(spark).select(F.expr("a * 2 + b"), F.expr("abs(d)"))


@case()
def case_upper_lower_length(spark, F, T):
    return texts(spark).select(F.upper("t"), F.lower("t"), F.length("t"))


@case()
def case_trim_family(spark, F, T):
    return texts(spark).select(F.trim("t"), F.ltrim("t"), F.rtrim("t"))


@case()
def case_concat(spark, F, T):
    return texts(spark).select(F.concat("t", "csv"), F.concat(F.col("csv"), F.lit("!")))


@case()
def case_concat_ws(spark, F, T):
    return texts(spark).select(F.concat_ws("-", "t", "csv"))


@case()
def case_substring(spark, F, T):
    return texts(spark).select(F.substring("csv", 1, 3), F.col("csv").substr(2, 2))


@case()
def case_instr_locate(spark, F, T):
    return texts(spark).select(F.instr("csv", "b"), F.locate("c", "csv"))


@case()
def case_lpad_rpad(spark, F, T):
    return texts(spark).select(F.lpad("csv", 8, "*"), F.rpad("csv", 8, "-"))


@case()
def case_repeat_reverse(spark, F, T):
    return texts(spark).select(F.repeat("csv", 2), F.reverse("csv"))


@case()
def case_initcap(spark, F, T):
    return spark.createDataFrame([("hello world",), ("SPARK sql",)], "t string").select(
        F.initcap("t")
    )


@case()
def case_split(spark, F, T):
    return texts(spark).select(F.split("csv", ","))


@case()
def case_regexp_replace(spark, F, T):
    return texts(spark).select(F.regexp_replace("csv", "[ab]", "_"))


@case()
def case_regexp_extract(spark, F, T):
    df = spark.createDataFrame([("id-123-x",), ("none",)], "s string")
    return df.select(F.regexp_extract("s", r"(\d+)", 1).alias("num"))


@case()
def case_string_predicates(spark, F, T):
    c = F.col("csv")
    return texts(spark).select(c.startswith("a"), c.endswith("c"), c.contains(","))


@case()
def case_translate(spark, F, T):
    return texts(spark).select(F.translate("csv", "abc", "xyz"))


@case()
def case_md5_sha(spark, F, T):
    return texts(spark).select(F.md5("csv"), F.sha1("csv"), F.sha2("csv", 256))


@case()
def case_abs_sqrt(spark, F, T):
    return nums(spark).select(F.abs("d"), F.sqrt("b"))


@case()
def case_round_family(spark, F, T):
    df = spark.createDataFrame([(2.5,), (-2.5,), (1.2345,), (None,)], "x double")
    return df.select(F.round("x"), F.round("x", 2), F.floor("x"), F.ceil("x"))


@case()
def case_bround(spark, F, T):
    df = spark.createDataFrame([(2.5,), (3.5,), (-2.5,)], "x double")
    return df.select(F.bround("x"))


@case()
def case_pow_exp_log(spark, F, T):
    return nums(spark).select(F.pow("b", 2), F.exp("b"), F.log("b"), F.log10("b"), F.log2("b"))


@case()
def case_log_base(spark, F, T):
    return nums(spark).select(F.log(2.0, "b"))


@case()
def case_signum(spark, F, T):
    return nums(spark).select(F.signum("d"))


@case()
def case_trig(spark, F, T):
    return nums(spark).select(F.sin("d"), F.cos("d"), F.atan2("d", "b"))


@case()
def case_pmod(spark, F, T):
    return nums(spark).select(F.pmod("a", F.lit(3)))


@case()
def case_agg_stddev_variance(spark, F, T):
    return nums(spark).agg(F.stddev("d"), F.variance("d"), F.stddev_pop("d"), F.var_pop("d"))


@case()
def case_agg_collect(spark, F, T):
    df = nums(spark).agg(
        F.sort_array(F.collect_list("a")).alias("l"), F.sort_array(F.collect_set("b")).alias("s")
    )
    return df


@case()
def case_agg_first_last(spark, F, T):
    return nums(spark).orderBy("b").agg(F.first("b"), F.last("b"))


@case()
def case_agg_count_distinct(spark, F, T):
    return nums(spark).agg(
        F.countDistinct("b"), F.count_distinct("a", "b"), F.approx_count_distinct("b")
    )


@case()
def case_agg_sum_distinct(spark, F, T):
    return nums(spark).agg(
        F.sum_distinct("b") if hasattr(F, "sum_distinct") else F.sumDistinct("b")
    )


@case()
def case_agg_mean(spark, F, T):
    return nums(spark).agg(F.mean("d"))


@case()
def case_agg_bool(spark, F, T):
    return nums(spark).agg(F.bool_and(F.col("b") > 1), F.bool_or(F.col("b") > 3))


@case()
def case_agg_min_max_by(spark, F, T):
    return nums(spark).agg(F.max_by("a", "b"), F.min_by("b", "a"))


@case()
def case_agg_count_if(spark, F, T):
    return nums(spark).agg(F.count_if(F.col("b") > 2))


@case()
def case_agg_corr(spark, F, T):
    return nums(spark).agg(F.corr("a", "b"), F.covar_samp("a", "b"))


@case()
def case_array_functions(spark, F, T):
    return nested(spark).select(
        F.size("arr"), F.array_contains("arr", 2), F.sort_array("arr", False)
    )


@case()
def case_array_build(spark, F, T):
    return people(spark).select(F.array("id", "age").alias("arr"))


@case()
def case_array_min_max_distinct(spark, F, T):
    df = spark.createDataFrame([([3, 1, 3, 2],), ([5],)], "a array<int>")
    return df.select(F.array_max("a"), F.array_min("a"), F.array_distinct("a"))


@case()
def case_array_join(spark, F, T):
    df = spark.createDataFrame([(["a", "b", "c"],), ([],)], "a array<string>")
    return df.select(F.array_join("a", "-"))


@case()
def case_element_at(spark, F, T):
    return (
        nested(spark)
        .filter(F.size("arr") > 0)
        .select(F.element_at("arr", 1), F.element_at("arr", -1))
    )


@case()
def case_struct_build(spark, F, T):
    return people(spark).select(F.struct("id", "name").alias("s"))


@case()
def case_create_map(spark, F, T):
    return people(spark).select(F.create_map(F.col("name"), F.col("id")).alias("m"))


@case()
def case_map_keys_values(spark, F, T):
    return nested(spark).select(F.map_keys("m"), F.map_values("m"))


@case()
def case_date_parts(spark, F, T):
    df = spark.createDataFrame([("2024-02-29",), ("1999-12-31",)], "s string")
    d = F.to_date("s")
    return df.select(
        F.year(d), F.month(d), F.dayofmonth(d), F.dayofweek(d), F.dayofyear(d), F.quarter(d)
    )


@case()
def case_date_arithmetic(spark, F, T):
    df = spark.createDataFrame([("2024-01-31",)], "s string").select(F.to_date("s").alias("d"))
    return df.select(F.date_add("d", 1), F.date_sub("d", 31), F.add_months("d", 1), F.last_day("d"))


@case()
def case_datediff(spark, F, T):
    df = spark.createDataFrame([("2024-03-01", "2024-02-01")], "a string, b string")
    return df.select(F.datediff(F.to_date("a"), F.to_date("b")))


@case()
def case_timestamp_parts(spark, F, T):
    df = spark.createDataFrame([("2024-05-06 07:08:09",)], "s string")
    ts = F.to_timestamp("s")
    return df.select(F.hour(ts), F.minute(ts), F.second(ts))


@case()
def case_to_timestamp_value(spark, F, T):
    df = spark.createDataFrame([("2024-05-06 07:08:09",)], "s string")
    return df.select(F.to_timestamp("s").alias("ts"))


@case()
def case_date_format(spark, F, T):
    df = spark.createDataFrame([("2024-05-06 07:08:09",)], "s string")
    return df.select(F.date_format(F.to_timestamp("s"), "yyyy-MM-dd HH:mm").alias("f"))


@case()
def case_date_trunc(spark, F, T):
    df = spark.createDataFrame([("2024-05-06 07:08:09",)], "s string")
    return df.select(F.date_trunc("hour", F.to_timestamp("s")).alias("h"))
