"""Parity cases: date/time functions with Spark patterns, time windows (``window``)."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


def events(spark, F):
    df = spark.createDataFrame(
        [
            (1, "2024-03-05 14:07:09", 5),
            (2, "2024-03-05 14:12:30", 7),
            (3, "2024-03-05 14:19:59", 1),
            (4, "2023-12-31 23:59:59", 2),
            (5, None, 3),
        ],
        "id int, s string, v int",
    )
    return df.withColumn("t", F.to_timestamp("s"))


@case()
def case_date_format_patterns(spark, F, T):
    return events(spark, F).select(
        F.date_format("t", "yyyy-MM-dd"),
        F.date_format("t", "dd/MM/yy HH:mm"),
        F.date_format("t", "yyyy-MM-dd'T'HH:mm:ss"),
    )


@case()
def case_date_format_names(spark, F, T):
    return events(spark, F).select(
        F.date_format("t", "EEE, d MMM yyyy"),
        F.date_format("t", "EEEE MMMM"),
        F.date_format("t", "hh a"),
    )


@case()
def case_date_format_millis(spark, F, T):
    return events(spark, F).select(F.date_format("t", "HH:mm:ss.SSS"), F.date_format("t", "D"))


@case()
def case_to_timestamp_with_pattern(spark, F, T):
    df = spark.createDataFrame([("05/03/2024 14:07",), ("31/12/2023 00:00",), (None,)], "s string")
    return df.select(F.to_timestamp("s", "dd/MM/yyyy HH:mm"))


@case()
def case_to_date_with_pattern(spark, F, T):
    df = spark.createDataFrame([("05.03.2024",), ("31.12.2023",)], "s string")
    return df.select(F.to_date("s", "dd.MM.yyyy"))


@case()
def case_to_date_default(spark, F, T):
    return events(spark, F).select(F.to_date("s"), F.to_date("t"))


@case()
def case_unix_timestamp_string(spark, F, T):
    return events(spark, F).select(F.unix_timestamp("s"))


@case()
def case_unix_timestamp_pattern(spark, F, T):
    df = spark.createDataFrame([("2024/03/05",), ("1970/01/02",)], "s string")
    return df.select(F.unix_timestamp("s", "yyyy/MM/dd"))


@case()
def case_unix_timestamp_of_timestamp_and_date(spark, F, T):
    df = events(spark, F).withColumn("t", F.col("t") + F.expr("INTERVAL 700 MILLISECONDS"))
    return df.select(F.unix_timestamp("t"), F.unix_timestamp(F.to_date("t")))


@case()
def case_from_unixtime(spark, F, T):
    df = spark.createDataFrame([(0,), (1709647629,), (None,)], "n long")
    return df.select(F.from_unixtime("n"), F.from_unixtime("n", "yyyy-MM-dd"))


@case()
def case_date_trunc_units(spark, F, T):
    return events(spark, F).select(
        F.date_trunc("hour", "t"),
        F.date_trunc("day", "t"),
        F.date_trunc("month", "t"),
        F.date_trunc("year", "t"),
    )


@case()
def case_timestamp_parts_more(spark, F, T):
    return events(spark, F).select(
        F.hour("t"), F.minute("t"), F.second("t"), F.dayofweek("t"), F.quarter("t")
    )


@case()
def case_epoch_functions(spark, F, T):
    return events(spark, F).select(
        F.unix_seconds("t"), F.unix_millis("t"), F.unix_micros("t"), F.unix_date(F.to_date("t"))
    )


@case()
def case_timestamp_from_epoch(spark, F, T):
    df = spark.createDataFrame([(0,), (1709647629000,)], "n long")
    return df.select(
        F.timestamp_millis("n"), F.timestamp_seconds(F.col("n") / 1000), F.timestamp_micros("n")
    )


@case()
def case_date_from_unix_date(spark, F, T):
    return spark.range(3).select(F.date_from_unix_date(F.col("id") * 1000))


@case()
def case_dayname_monthname_weekday(spark, F, T):
    return events(spark, F).select(F.dayname("t"), F.monthname("t"), F.weekday("t"))


@case()
def case_next_day(spark, F, T):
    return events(spark, F).select(
        F.next_day(F.to_date("t"), "Mon"), F.next_day(F.to_date("t"), "Friday")
    )


@case()
def case_date_diff_alias(spark, F, T):
    return events(spark, F).select(F.date_diff(F.to_date("t"), F.lit("2024-01-01").cast("date")))


@case()
def case_make_timestamp(spark, F, T):
    return spark.range(1).select(
        F.make_timestamp(F.lit(2024), F.lit(2), F.lit(29), F.lit(13), F.lit(45), F.lit(30.5)).alias(
            "ts"
        )
    )


@case()
def case_try_to_timestamp(spark, F, T):
    df = spark.createDataFrame([("2024-03-05 10:00:00",), ("nope",)], "s string")
    return df.select(F.try_to_timestamp("s"))


@case()
def case_session_time_zone_date_format(spark, F, T):
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        df = spark.createDataFrame([("2024-03-05 14:07:09",)], "s string")
        return spark.createDataFrame(
            df.select(F.date_format(F.to_timestamp("s"), "yyyy-MM-dd HH:mm").alias("f")).collect()
        )
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


@case()
def case_session_time_zone_unix_timestamp(spark, F, T):
    spark.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    try:
        df = spark.createDataFrame([("2024-03-05 09:00:00",)], "s string")
        return spark.createDataFrame(df.select(F.unix_timestamp("s").alias("u")).collect())
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


@case()
def case_window_tumbling(spark, F, T):
    return events(spark, F).select("id", F.window("t", "10 minutes"))


@case()
def case_window_tumbling_fields(spark, F, T):
    return (
        events(spark, F)
        .select("id", F.window("t", "5 minutes").alias("w"))
        .select("id", "w.start", "w.end")
    )


@case()
def case_window_group_count(spark, F, T):
    return (
        events(spark, F)
        .groupBy(F.window("t", "10 minutes"))
        .agg(F.count("*").alias("n"), F.sum("v").alias("v"))
    )


@case()
def case_window_sliding_rows(spark, F, T):
    return events(spark, F).select("id", F.window("t", "10 minutes", "5 minutes"))


@case()
def case_window_sliding_group(spark, F, T):
    return (
        events(spark, F)
        .groupBy(F.window("t", "10 minutes", "5 minutes"))
        .agg(F.sum("v").alias("v"))
    )


@case()
def case_window_start_time(spark, F, T):
    return events(spark, F).select("id", F.window("t", "1 hour", startTime="15 minutes"))


@case()
def case_window_with_key(spark, F, T):
    ev = events(spark, F).withColumn("k", F.col("id") % 2)
    return ev.groupBy("k", F.window("t", "1 hour")).count()


@case()
def case_window_seconds(spark, F, T):
    return events(spark, F).select(F.window("t", "30 seconds").alias("a"))


@case()
def case_window_one_day(spark, F, T):
    return events(spark, F).select(F.window("t", "1 day").alias("b"))


@case(kind="error")
def case_window_bad_duration(spark, F, T):
    return events(spark, F).select(F.window("t", "ten minutes"))
