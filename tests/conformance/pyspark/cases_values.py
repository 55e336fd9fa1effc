"""Parity cases: values Spark's functions give at their edges (rounding, zones, domains)."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


def _pairs(spark):
    return spark.createDataFrame(
        [
            ("2024-03-31 10:30:00", "2024-02-29 08:00:00"),
            ("2024-03-15 00:00:00", "2024-01-31 23:59:59"),
            ("1997-02-28 10:30:00", "1996-10-30 00:00:00"),
            ("2024-01-10 00:00:00", "2024-01-10 23:00:00"),
            ("2023-12-31 00:00:00", "2024-02-29 12:00:00"),
            (None, "2024-01-01 00:00:00"),
        ],
        "a string, b string",
    )


@case()
def case_months_between_timestamps(spark, F, T):
    df = _pairs(spark).select(F.to_timestamp("a").alias("a"), F.to_timestamp("b").alias("b"))
    return df.select("a", F.months_between("a", "b"), F.months_between("a", "b", False))


@case()
def case_months_between_dates_and_strings(spark, F, T):
    df = _pairs(spark)
    return df.select(
        "a",
        F.months_between(F.to_date("a"), F.to_date("b")).alias("dates"),
        F.months_between("a", "b").alias("strings"),
    )


def _zones(spark, F):
    df = spark.createDataFrame(
        [
            ("2024-01-15 10:00:00",),
            ("2024-07-15 10:00:00",),
            ("2024-03-10 07:30:00",),
            ("1970-01-01 00:00:00",),
            (None,),
        ],
        "s string",
    )
    return df.select(F.to_timestamp("s").alias("ts"))


@case()
def case_utc_timestamp_zones(spark, F, T):
    return _zones(spark, F).select(
        "ts",
        F.from_utc_timestamp("ts", "America/New_York"),
        F.from_utc_timestamp("ts", "Asia/Kolkata").alias("from_kolkata"),
        F.from_utc_timestamp("ts", "UTC").alias("from_utc"),
        F.from_utc_timestamp("ts", "GMT-5").alias("from_offset"),
        F.to_utc_timestamp("ts", "America/New_York"),
        F.to_utc_timestamp("ts", "Asia/Kolkata").alias("to_kolkata"),
        F.to_utc_timestamp("ts", "+02:00").alias("to_offset"),
    )


@case()
def case_from_utc_timestamp_string(spark, F, T):
    df = spark.createDataFrame([("2024-06-01 12:00:00",)], "s string")
    return df.select(F.from_utc_timestamp("s", "Europe/Paris"), F.to_utc_timestamp("s", "PST"))


def _csv(spark):
    return spark.createDataFrame(
        [("a,b,c,d",), ("a,,b",), ("",), (",",), ("abc",), (None,)], "s string"
    )


@case()
def case_split_limit(spark, F, T):
    return _csv(spark).select(
        "s",
        F.split("s", ",", 2).alias("two"),
        F.split("s", ",", 1).alias("one"),
        F.split("s", ",", 0).alias("zero"),
        F.split("s", ",", -1).alias("all"),
        F.split("s", ",").alias("default"),
    )


@case()
def case_split_limit_regex(spark, F, T):
    return _csv(spark).select(
        "s", F.split("s", "[,b]", 2), F.split("s", "[,b]", 3).alias("three"), F.split("s", "")
    )


def _numbers(spark):
    return spark.createDataFrame(
        [(0.0,), (-0.0,), (1.0,), (100.0,), (-5.5,), (0.001,), (None,)], "x double"
    )


@case()
def case_log10_log_ln_edges(spark, F, T):
    return _numbers(spark).select(
        "x", F.log10("x"), F.log("x"), F.ln("x"), F.log2("x"), F.log(10.0, "x"), F.log1p("x")
    )


@case()
def case_signum_edges(spark, F, T):
    df = spark.createDataFrame([(3, -2.5), (0, 0.0), (-7, -0.0), (None, None)], "i int, d double")
    return df.select("i", F.signum("i"), F.signum("d"), F.sign("d"))


@case()
def case_reciprocal_trig_zero(spark, F, T):
    return _numbers(spark).select("x", F.cot("x"), F.csc("x"), F.sec("x"))


@case()
def case_domain_errors_nan(spark, F, T):
    return _numbers(spark).select(
        "x", F.sqrt("x"), F.acos("x"), F.asin("x"), F.atanh("x"), F.acosh("x")
    )


# -- intervals ---------------------------------------------------------------------------------


def _interval_parts(spark, F):
    df = spark.createDataFrame(
        [
            (100, 11, 1, 1, 12, 30, "01.001001"),
            (0, 0, 0, 0, 0, 0, "0"),
            (-1, 2, 0, -3, 0, 0, "-1.5"),
            (1, None, 0, 0, 0, 0, "0"),
        ],
        "year int, month int, week int, day int, hour int, min int, sec string",
    )
    return df.withColumn("sec", F.col("sec").cast("decimal(18,6)"))


@case(kind="show")
def case_make_interval_show(spark, F, T):
    df = _interval_parts(spark, F)
    df.select(F.make_interval(df.year, df.month, df.week, df.day, df.hour, df.min, df.sec)).show(
        truncate=False
    )


@case(kind="show")
def case_make_interval_defaults(spark, F, T):
    spark.range(1).select(
        F.make_interval(F.lit(1)),
        F.make_interval(hours=F.lit(25)).alias("h"),
        F.make_interval(secs=F.lit(90)).alias("s"),
        F.make_interval().alias("zero"),
    ).show(truncate=False)


@case(kind="value")
def case_make_interval_dtypes(spark, F, T):
    return spark.range(1).select(F.make_interval(F.lit(1), F.lit(2))).dtypes


@case(kind="show")
def case_try_divide_multiply_interval(spark, F, T):
    spark.range(1).select(
        F.try_divide(F.make_interval(F.lit(1)), F.lit(2)).alias("half"),
        F.try_divide(F.make_interval(F.lit(1)), F.lit(0)).alias("by_zero"),
        F.try_multiply(F.make_interval(F.lit(0), F.lit(3)), F.lit(4)).alias("times"),
    ).show()


@case()
def case_operator_precedence(spark, F, T):
    df = spark.createDataFrame(
        [(3, 2.0, True, False), (-1, 0.5, False, True)], "a int, d double, p boolean, q boolean"
    )
    a = F.col("a")
    return df.select(
        (a + 1) * 2,
        a * (a - 1),
        (a - 1) / (a + 3),
        -(a + 1),
        ~(F.col("p") & F.col("q")),
        (F.col("p") | F.col("q")) & F.col("q"),
        (a + 1) % 3,
        F.pow(a + 1, 2),
        F.hypot(a + 1, a - 1),
        F.pmod(a - 5, a + 10),
        F.try_add(a * 2, a + 1),
        F.try_divide(a + 1, a + 3),
        F.negative(a + 1),
        F.bitwise_not(a + 1),
        F.log1p(F.col("d") * 2),
        (a + 1).cast("string"),
        (a * 2 > a + 1) == (a > 0),
    )
