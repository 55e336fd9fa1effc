"""Parity cases: Spark's ANSI interval literals and arithmetic, and nanosecond timestamps.

PySpark cannot collect a year-month interval (``YearMonthIntervalType.fromInternal`` is not
implemented), so cases holding one compare ``show`` text and ``dtypes``.
"""

from __future__ import annotations

from typing import Any

from tests.conformance.pyspark.registry import case


def _shown(df: Any) -> None:
    print(df.dtypes)
    df.show(truncate=False)


@case("show")
def case_interval_literals_show(spark: Any, F: Any, T: Any) -> None:
    _shown(
        spark.sql(
            "select INTERVAL 1 YEAR a, INTERVAL '1-2' YEAR TO MONTH b, INTERVAL 3 DAYS c, "
            "INTERVAL '1 02:03:04' DAY TO SECOND d, INTERVAL 2 MONTHS e, INTERVAL 5 HOURS f, "
            "INTERVAL '10:20' HOUR TO MINUTE g, INTERVAL 1.5 SECONDS h, INTERVAL -1 YEAR i, "
            "INTERVAL '-1-2' YEAR TO MONTH j, INTERVAL 25 MONTHS k"
        )
    )


@case("show")
def case_interval_literal_units_show(spark: Any, F: Any, T: Any) -> None:
    _shown(
        spark.sql(
            "select INTERVAL 1 WEEK a, INTERVAL 700 MILLISECONDS b, INTERVAL 5 MICROSECONDS c, "
            "INTERVAL '1 day' d, INTERVAL '1 day 2 hours' e, INTERVAL 1 YEAR 2 MONTHS f, "
            "interval 100 hours g, interval 100 seconds h, INTERVAL 1 DAY 2 HOURS i, "
            "INTERVAL '10:20:30.25' HOUR TO SECOND j, INTERVAL '20:30.25' MINUTE TO SECOND k, "
            "INTERVAL '1 02:03' DAY TO MINUTE l, INTERVAL '-0.000001' SECOND m"
        )
    )


@case("show")
def case_interval_literal_names(spark: Any, F: Any, T: Any) -> None:
    _shown(
        spark.sql(
            "select INTERVAL 1 DAY 2 HOURS, INTERVAL 3 DAYS, interval 100 hours, "
            "INTERVAL '1-2' YEAR TO MONTH, INTERVAL 1.5 SECONDS, -INTERVAL 1 YEAR, "
            "INTERVAL 1 YEAR + INTERVAL 2 MONTHS"
        )
    )


@case()
def case_day_time_interval_literals_collect(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select INTERVAL 3 DAYS a, INTERVAL '1 02:03:04' DAY TO SECOND b, INTERVAL 5 HOURS c, "
        "INTERVAL '-1 02:03:04.5' DAY TO SECOND d, INTERVAL 1.5 SECONDS e"
    )


@case()
def case_date_plus_ansi_intervals(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select DATE'2024-01-31' + INTERVAL 1 MONTH a, "
        "DATE'2024-01-31' - INTERVAL '1-2' YEAR TO MONTH b, DATE'2024-01-31' + INTERVAL 3 DAYS c, "
        "DATE'2024-01-31' + INTERVAL '1 02:03:04' DAY TO SECOND d, "
        "DATE'2024-01-31' + INTERVAL 2 HOURS e, DATE'2024-01-31' - INTERVAL 3 DAYS f, "
        "DATE'2024-01-31' + INTERVAL 1 WEEK g, INTERVAL 1 YEAR + DATE'2024-02-29' h"
    )


@case()
def case_timestamp_plus_ansi_interval_literals(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select TIMESTAMP'2024-01-31 10:00:00' + INTERVAL 1 MONTH a, "
        "TIMESTAMP'2024-01-31 10:00:00' - INTERVAL '1 02:03:04' DAY TO SECOND b, "
        "TIMESTAMP_NTZ'2024-01-31 10:00:00' + INTERVAL 1 YEAR c, "
        "TIMESTAMP_NTZ'2024-01-31 10:00:00' + INTERVAL 3 DAYS d"
    )


@case()
def case_date_plus_interval_names(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql("select DATE'2024-01-31' AS d, TIMESTAMP'2024-01-31 10:00:00' AS ts")
    return df.selectExpr("d + INTERVAL 1 MONTH", "ts - INTERVAL 3 DAYS", "ts + INTERVAL 1 YEAR")


@case("show")
def case_interval_arithmetic_show(spark: Any, F: Any, T: Any) -> None:
    _shown(
        spark.sql(
            "select INTERVAL 1 YEAR + INTERVAL 2 MONTHS a, INTERVAL 1 DAY + INTERVAL 2 HOURS b, "
            "INTERVAL 1 DAY - INTERVAL '1 02:03:04' DAY TO SECOND c, INTERVAL 1 YEAR * 3 d, "
            "INTERVAL 3 DAYS / 2 e, -INTERVAL 1 YEAR f, INTERVAL 1 DAY * 1.5 g"
        )
    )


@case("show")
def case_interval_scaling_rounding(spark: Any, F: Any, T: Any) -> None:
    _shown(
        spark.sql(
            "select INTERVAL 1 MONTH * 1.5 a, INTERVAL 1 MONTH / 4 b, INTERVAL 3 MONTH / 2 c, "
            "INTERVAL 1 SECOND / 3 d, 2 * INTERVAL 1 DAY e, INTERVAL '1' DAY * 0.3333 f, "
            "INTERVAL 1 MONTH * 2.5D g, -INTERVAL '1 02:03:04' DAY TO SECOND h"
        )
    )


@case("show")
def case_interval_arithmetic_names(spark: Any, F: Any, T: Any) -> None:
    _shown(
        spark.sql(
            "select 2 * INTERVAL 1 DAY, INTERVAL 1 MONTH / 4, -INTERVAL 3 DAYS, "
            "INTERVAL 1 DAY - INTERVAL 2 HOURS"
        )
    )


@case()
def case_interval_cast_to_string(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select cast(INTERVAL 1 YEAR as string) a, "
        "cast(INTERVAL '1 02:03:04' DAY TO SECOND as string) b, "
        "cast(INTERVAL 3 DAYS as string) c, cast(INTERVAL '1-2' YEAR TO MONTH as string) d, "
        "cast(INTERVAL 5 HOURS as string) e, cast(INTERVAL -1 MONTH as string) f, "
        "cast(INTERVAL '-0 00:00:01.25' DAY TO SECOND as string) g"
    )


@case()
def case_make_interval_cast_to_string(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame(
        [(1, 2, 3, 4.5), (-1, 0, 0, 0.0), (None, 1, 1, 1.0)], "a int, b int, c int, s double"
    )
    return df.select(
        F.make_ym_interval("a", "b").cast("string").alias("ym"),
        F.make_dt_interval("a", "b", "c", F.col("s").cast("decimal(18,6)"))
        .cast("string")
        .alias("dt"),
    )


@case("show")
def case_try_arithmetic_with_intervals(spark: Any, F: Any, T: Any) -> None:
    df = spark.sql(
        "SELECT * FROM VALUES (DATE('2015-09-30'), INTERVAL 1 YEAR, INTERVAL 2 YEAR, "
        "INTERVAL 178956970 YEAR) AS TAB(date, i1, i2, big)"
    )
    _shown(
        df.select(
            F.try_add("date", "i1"),
            F.try_subtract("date", "i1"),
            F.try_add("i1", "i2"),
            F.try_subtract("i1", "i2"),
            F.try_add("big", "big"),
            F.try_multiply("i1", F.lit(3)),
            F.try_multiply("big", F.lit(2)),
            F.try_divide("i2", F.lit(4)),
            F.try_divide("i1", F.lit(0)),
        )
    )


@case()
def case_try_arithmetic_with_day_time_intervals(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql(
        "SELECT * FROM VALUES (TIMESTAMP'2024-01-01 00:00:00', "
        "INTERVAL '1 02:00:00' DAY TO SECOND, "
        "DATE'2024-03-31') AS TAB(ts, i, d)"
    )
    return df.select(
        F.try_add("ts", "i"),
        F.try_subtract("ts", "i"),
        F.try_add("i", "i"),
        F.try_multiply("i", F.lit(2)),
        F.try_divide("i", F.lit(0)),
        F.try_divide("i", F.lit(3)),
        F.try_add("d", "i"),
    )


@case("show")
def case_interval_column_api(spark: Any, F: Any, T: Any) -> None:
    df = spark.range(1).select(F.lit("2024-01-31").cast("date").alias("d"))
    _shown(
        df.select(
            F.expr("INTERVAL 1 YEAR"),
            F.expr("INTERVAL '1 02:03:04' DAY TO SECOND"),
            F.make_dt_interval(F.lit(1)) * 2,
            F.make_ym_interval(F.lit(1)) / 3,
            -F.make_ym_interval(F.lit(1)),
            F.col("d") + F.make_ym_interval(F.lit(0), F.lit(1)),
            (F.col("d") + F.expr("INTERVAL 3 DAYS")).alias("plus_days"),
            F.col("d") - F.expr("INTERVAL '1-1' YEAR TO MONTH"),
        )
    )


@case("error")
def case_interval_mixed_units(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("select INTERVAL 1 YEAR 2 DAYS")


@case("error")
def case_interval_fractional_days(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("select INTERVAL 1.5 DAYS a")


@case("error")
def case_interval_divided_by_zero(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("select INTERVAL 1 YEAR / 0 a")


# -- nanosecond timestamps (PySpark cannot parse their types: show text only) ----------------
_NANOS = "spark.sql.timestampNanosTypes.enabled"


def _with_nanos(spark: Any, show: Any) -> None:
    spark.conf.set(_NANOS, "true")
    try:
        show()
    finally:
        spark.conf.unset(_NANOS)


@case("show")
def case_nanos_timestamp_literals_and_casts(spark: Any, F: Any, T: Any) -> None:
    def show() -> None:
        spark.sql(
            "SELECT TIMESTAMP_NTZ '2020-01-01 13:24:35.123456789' AS ntz, "
            "TIMESTAMP '2020-01-01 13:24:35.123456789' AS ltz, "
            "TIMESTAMP_NTZ '2020-01-01 13:24:35.1234' AS t4, "
            "cast('2020-01-01 13:24:35.123456789' as timestamp_ntz(9)) a, "
            "cast('2020-01-01 13:24:35.1234567' as timestamp_ltz(9)) b, "
            "cast('2020-01-01 13:24:35.12' as timestamp_ntz(7)) c, "
            "cast('2020-01-01' as timestamp_ntz(8)) d, "
            "cast('2020-01-01 13:24:35.123456789' as timestamp_ntz(7)) e, "
            "cast('2020-01-01 13:24:35.123456789' as timestamp_ntz(6)) f"
        ).show(truncate=False)

    _with_nanos(spark, show)


@case("show")
def case_nanos_timestamp_functions(spark: Any, F: Any, T: Any) -> None:
    def show() -> None:
        df = spark.sql("SELECT TIMESTAMP_NTZ '2020-01-01 13:24:35.123456789' AS ts")
        df.select(
            F.unix_nanos("ts"),
            F.col("ts").cast("string").alias("s"),
            F.col("ts").cast("timestamp_ntz").alias("us"),
            F.col("ts").cast("timestamp").alias("ltz6"),
            F.col("ts").cast("date").alias("d"),
            F.col("ts").cast("timestamp_ltz(9)").alias("ltz9"),
        ).show(truncate=False)
        spark.range(1).select(
            F.timestamp_nanos(F.lit(1577885075123456789)),
            F.timestamp_nanos(F.lit(-1)),
            F.timestamp_nanos(F.lit(1.5).cast("decimal(5,1)")),
            F.unix_nanos(F.timestamp_nanos(F.lit(-1))),
            F.timestamp_nanos(F.lit(1577885075123456789)).cast("string").alias("s"),
            F.timestamp_nanos(F.lit(1577885075123456789)).cast("timestamp_ntz(9)").alias("n"),
        ).show(truncate=False)
        us = spark.sql("SELECT TIMESTAMP_NTZ '2020-01-01 13:24:35.123456' AS ts")
        us.select(
            F.col("ts").cast("timestamp_ntz(9)").alias("n9"),
            F.unix_nanos(F.col("ts").cast("timestamp_ntz(9)")),
            F.unix_nanos(F.lit(None).cast("timestamp_ntz(9)")),
            F.timestamp_nanos(F.lit(None).cast("bigint")),
        ).show(truncate=False)

    _with_nanos(spark, show)


@case("show")
def case_nanos_timestamps_in_a_zone(spark: Any, F: Any, T: Any) -> None:
    def show() -> None:
        spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
        try:
            df = spark.sql(
                "SELECT cast('2020-07-01 13:24:35.123456789' as timestamp_ltz(9)) AS ltz, "
                "cast('2020-07-01 13:24:35.123456789' as timestamp_ntz(9)) AS ntz"
            )
            df.select(
                "ltz",
                F.unix_nanos("ltz"),
                F.col("ltz").cast("string").alias("s"),
                F.col("ltz").cast("timestamp_ntz(9)").alias("as_ntz"),
                F.unix_nanos(F.col("ntz").cast("timestamp_ltz(9)")).alias("ntz_as_ltz"),
                F.timestamp_nanos(F.lit(1577885075123456789)).alias("from_nanos"),
            ).show(truncate=False)
        finally:
            spark.conf.set("spark.sql.session.timeZone", "UTC")

    _with_nanos(spark, show)


@case("error")
def case_nanos_timestamp_not_enabled(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("SELECT cast('2020-01-01 13:24:35.123456789' as timestamp_ntz(9)) a")


@case("error")
def case_nanos_unix_of_microsecond_timestamp(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql("SELECT TIMESTAMP_NTZ '2020-01-01 13:24:35.123456' AS ts")
    return df.select(F.unix_nanos("ts"))


@case()
def case_try_arithmetic_in_sql(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select try_add(1, 2), try_subtract(5, 1), try_multiply(2, 3), try_divide(1, 0), "
        "try_add(2147483647, 1), try_subtract(DATE'2024-03-31', INTERVAL 1 MONTH), "
        "try_add(TIMESTAMP'2024-01-01 00:00:00', INTERVAL '1 02:00:00' DAY TO SECOND), "
        "try_divide(INTERVAL 3 DAYS, 0)"
    )


@case("show")
def case_try_interval_arithmetic_in_sql(spark: Any, F: Any, T: Any) -> None:
    _shown(
        spark.sql(
            "select try_add(INTERVAL 1 YEAR, INTERVAL 2 MONTHS), try_multiply(INTERVAL 1 YEAR, 2), "
            "try_divide(INTERVAL 1 YEAR, 0), try_multiply(INTERVAL 178956970 YEAR, 2)"
        )
    )


@case()
def case_datetime_literal_names(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select DATE'2024-01-31', TIMESTAMP'2024-01-31 10:00:00', "
        "TIMESTAMP_NTZ '2020-01-01 00:00:00.5', DATE'2024-01-31' + INTERVAL 1 MONTH, "
        "TIMESTAMP'2024-01-31 10:00:00' - INTERVAL 3 DAYS, CAST('2024-01-31' AS DATE)"
    )


@case()
def case_interval_comparisons(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select INTERVAL 1 DAY > INTERVAL 2 HOURS a, INTERVAL 1 YEAR = INTERVAL 12 MONTHS b, "
        "INTERVAL '1-2' YEAR TO MONTH < INTERVAL 15 MONTHS c, "
        "INTERVAL 3 DAYS <> INTERVAL 72 HOURS d, INTERVAL 1 DAY > INTERVAL 1 DAY e, "
        "INTERVAL 90 MINUTES >= INTERVAL '1:30' HOUR TO MINUTE f, "
        "INTERVAL 1 DAY = INTERVAL 1 DAY"
    )


@case()
def case_day_time_intervals_from_python(spark: Any, F: Any, T: Any) -> Any:
    import datetime as dt

    rows = [(dt.timedelta(days=1, seconds=5),), (None,), (dt.timedelta(microseconds=-1),)]
    df = spark.createDataFrame(rows, ["i"])
    return df.select("i", F.col("i").cast("string").alias("s"))


@case()
def case_day_time_intervals_from_ddl_schema(spark: Any, F: Any, T: Any) -> Any:
    import datetime as dt

    rows = [(dt.timedelta(hours=5, minutes=3), dt.timedelta(days=2))]
    df = spark.createDataFrame(rows, "h interval hour to minute, d interval day")
    return df.select("h", "d", F.col("h").cast("string").alias("hs"), F.col("d").cast("string"))


@case()
def case_strings_cast_to_ansi_intervals(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql(
        "select cast('1-2' as interval year to month) a, cast('-1-2' as interval year to month) b, "
        "cast('3' as interval year) c, cast('25' as interval month) d, "
        "cast('1 02:03:04.5' as interval day to second) e, "
        "cast('-1 02:03:04' as interval day to second) f, "
        "cast('10:20' as interval hour to minute) g, "
        "cast('100' as interval hour) h, cast('1.5' as interval second) i, "
        "cast(\"INTERVAL '1-2' YEAR TO MONTH\" as interval year to month) k, "
        "cast(' 3 ' as interval day) l, cast(NULL as interval day) m, "
        "try_cast('abc' as interval day) n, "
        "cast(INTERVAL 3 DAYS as interval day to second) o, "
        "cast(INTERVAL '1 02:03:04' DAY TO SECOND as interval day) p, "
        "cast(INTERVAL '1-2' YEAR TO MONTH as interval year) q"
    )
    return df.select([F.col(c).cast("string").alias(c) for c in df.columns])


@case("error")
def case_malformed_string_cast_to_interval(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("select cast('abc' as interval day) a")
