"""Parity cases: the TIME type (Spark 4.1+) and its functions.

PySpark 4.3 refuses TIME functions and casts unless ``spark.sql.timeType.enabled`` is true
(``UNSUPPORTED_TIME_TYPE``); each case turns it on first (kaspar always allows TIME).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conformance.pyspark.registry import case

_UNITS = ["HOUR", "MINUTE", "SECOND", "MILLISECOND", "MICROSECOND"]


def _times(spark: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    return spark.createDataFrame(
        [(1, dt.time(1, 2, 3, 456789)), (2, None), (3, dt.time(23, 59, 59, 999999))],
        "id int, t time",
    )


def _strings(spark: Any, *values: str | None) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    return spark.createDataFrame([(i, v) for i, v in enumerate(values)], "id int, s string")


@case(kind="show")
def case_time_show_and_schema(spark: Any, F: Any, T: Any) -> Any:
    df = _times(spark)
    df.printSchema()
    df.show()
    print(df.schema.simpleString(), repr(T.TimeType(3)), T.TimeType().jsonValue())


@case()
def case_time_collect_inferred(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    return spark.createDataFrame([(dt.time(0, 0),), (dt.time(12, 0, 1, 500000),)])


@case(kind="value")
def case_time_to_arrow(spark: Any, F: Any, T: Any) -> Any:
    table = _times(spark).toArrow()
    return str(table.schema), table.column("t").to_pylist()


@case(kind="value")
def case_time_to_pandas(spark: Any, F: Any, T: Any) -> Any:
    return _times(spark).toPandas()["t"].tolist()


@case()
def case_time_cast_from_string(spark: Any, F: Any, T: Any) -> Any:
    df = _strings(
        spark, "1:2:3", "12:34", " 12:34:56 ", "23:59:59.9999999", "12:00:01.500", "T12:00:00"
    )
    df = df.union(_strings(spark, "25:00:00", "bad", "12", "2024-01-01 12:00:00", "12:00:00Z"))
    return df.select("id", "s", F.col("s").try_cast("time").alias("t"), F.try_to_time("s"))


@case(kind="error")
def case_time_cast_malformed_string(spark: Any, F: Any, T: Any) -> Any:
    return _strings(spark, "bad").select(F.col("s").cast("time"))


@case()
def case_time_cast_to_string_long_and_precision(spark: Any, F: Any, T: Any) -> Any:
    df = _times(spark)
    return df.select(
        "id",
        F.col("t").cast("string").alias("s"),
        F.col("t").cast("long").alias("n"),
        F.col("t").cast("time(0)").cast("string").alias("s0"),
        F.col("t").cast("time(3)").cast("string").alias("s3"),
    )


@case()
def case_time_cast_from_timestamp(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    df = spark.createDataFrame([(dt.datetime(2024, 1, 2, 3, 4, 5, 6),)], "ts timestamp")
    return df.select(F.col("ts").cast("time").alias("t"))


@case(kind="error")
def case_time_cast_from_int_refused(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    return spark.createDataFrame([(5,)], "i int").select(F.col("i").cast("time"))


@case()
def case_time_literal_and_compare(spark: Any, F: Any, T: Any) -> Any:
    df = _times(spark)
    noon = F.lit("12:00:00").cast("time")
    return df.select("id", (F.col("t") < noon).alias("am"), F.hour("t"), F.minute("t"))


@case()
def case_time_min_max_order(spark: Any, F: Any, T: Any) -> Any:
    return _times(spark).select(F.min("t"), F.max("t"), F.count("t"))


@case(ordered=True)
def case_time_order_by(spark: Any, F: Any, T: Any) -> Any:
    return _times(spark).orderBy(F.col("t").desc_nulls_last()).select("t")


@case()
def case_to_time_default_and_pattern(spark: Any, F: Any, T: Any) -> Any:
    df = _strings(spark, "10:30:00", None, "9:05")
    return df.select("id", F.to_time("s"), F.try_to_time(F.col("s"), F.lit("HH.mm")))


@case()
def case_to_time_with_pattern(spark: Any, F: Any, T: Any) -> Any:
    df = _strings(spark, "10.30", "09.05")
    return df.select("id", F.to_time("s", F.lit("HH.mm")), F.try_to_time("s", F.lit("HH:mm")))


@case()
def case_to_time_am_pm(spark: Any, F: Any, T: Any) -> Any:
    df = _strings(spark, "10:30:00 PM", "12:00:00 AM")
    return df.select("id", F.to_time("s", F.lit("hh:mm:ss a")))


@case(kind="error")
def case_to_time_malformed(spark: Any, F: Any, T: Any) -> Any:
    return _strings(spark, "bad").select(F.to_time("s"))


@case(kind="error")
def case_to_time_pattern_mismatch(spark: Any, F: Any, T: Any) -> Any:
    return _strings(spark, "10:30:00").select(F.to_time("s", F.lit("HH.mm")))


@case()
def case_make_time(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    df = spark.createDataFrame(
        [(1, 6, 30, "45.887"), (2, None, 1, "1"), (3, 23, 59, "59.999999"), (4, 0, 0, "0")],
        "id int, h int, m int, s string",
    )
    return df.select("id", F.make_time("h", "m", F.col("s").cast("decimal(16,6)")))


@case()
def case_make_time_int_seconds(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    return spark.range(1).select(F.make_time(F.lit(1), F.lit(2), F.lit(3)))


@case(kind="error")
def case_make_time_hour_out_of_range(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    return spark.range(1).select(F.make_time(F.lit(24), F.lit(0), F.lit(0)))


@case(kind="error")
def case_make_time_seconds_out_of_range(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    return spark.range(1).select(F.make_time(F.lit(1), F.lit(2), F.lit(60)))


@case()
def case_current_time_schema(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    df = spark.range(1).select(F.current_time().alias("now"))
    return df.select((F.col("now") >= F.lit("00:00:00").cast("time")).alias("ok"))


@case()
def case_time_diff_units(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    df = spark.createDataFrame(
        [(dt.time(3, 4, 5, 678901), dt.time(1, 0)), (None, dt.time(1, 0))], "a time, b time"
    )
    diffs = [F.time_diff(F.lit(u), "a", "b").alias(u) for u in _UNITS]
    return df.select(*diffs, F.time_diff(F.lit("hour"), "b", "a"))


@case(kind="error")
def case_time_diff_bad_unit(spark: Any, F: Any, T: Any) -> Any:
    return _times(spark).select(F.time_diff(F.lit("DAY"), "t", "t"))


@case()
def case_time_trunc_units(spark: Any, F: Any, T: Any) -> Any:
    df = _times(spark)
    return df.select("id", *[F.time_trunc(F.lit(u), "t").alias(u) for u in _UNITS])


@case()
def case_time_trunc_name(spark: Any, F: Any, T: Any) -> Any:
    return _times(spark).select(F.time_trunc(F.lit("second"), "t"))


@case(kind="error")
def case_time_trunc_bad_unit(spark: Any, F: Any, T: Any) -> Any:
    return _times(spark).select(F.time_trunc(F.lit("DAY"), "t"))


@case()
def case_time_from_seconds_millis_micros(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    df = spark.createDataFrame([(3723,), (None,), (0,)], "s int")
    return df.select(
        F.time_from_seconds("s"),
        F.time_from_millis(F.col("s") * 1000 + 5),
        F.time_from_micros(F.col("s")),
    )


@case()
def case_time_from_fraction_and_bounds(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    return spark.range(1).select(
        F.time_from_seconds(F.lit(1.5)),
        F.time_from_millis(F.lit(86399999)),
        F.time_from_micros(F.lit(0)),
    )


@case(kind="error")
def case_time_from_seconds_a_day(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    return spark.range(1).select(F.time_from_seconds(F.lit(86400)))


@case(kind="error")
def case_time_from_seconds_negative(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    return spark.range(1).select(F.time_from_seconds(F.lit(-1)))


@case()
def case_time_to_seconds_millis_micros(spark: Any, F: Any, T: Any) -> Any:
    df = _times(spark)
    return df.select("id", F.time_to_seconds("t"), F.time_to_millis("t"), F.time_to_micros("t"))


@case()
def case_time_round_trip(spark: Any, F: Any, T: Any) -> Any:
    df = _times(spark)
    return df.select("id", F.time_from_micros(F.time_to_micros("t")).alias("t"))


@case()
def case_time_python_literal(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.timeType.enabled", "true")
    return spark.range(1).select(
        F.lit(dt.time(1, 2, 3)), F.lit(dt.time(12, 0)), F.lit(dt.time(0, 0, 0, 500))
    )


@case()
def case_time_plus_minus_day_time_interval(spark: Any, F: Any, T: Any) -> Any:
    df = _times(spark).where(F.col("id") == 1)
    return df.select(
        F.col("t") + F.make_dt_interval(F.lit(0), F.lit(1)),
        (F.col("t") + F.expr("INTERVAL '1' HOUR")).alias("plus_hour"),
        (F.col("t") - F.expr("INTERVAL '30' MINUTE")).alias("minus_half_hour"),
    )


@case(kind="error")
def case_time_plus_interval_past_midnight(spark: Any, F: Any, T: Any) -> Any:
    return _times(spark).select(F.col("t") + F.expr("INTERVAL '2' HOUR"))


@case(kind="error")
def case_time_minus_interval_before_midnight(spark: Any, F: Any, T: Any) -> Any:
    return _times(spark).select(F.col("t") - F.make_dt_interval(F.lit(0), F.lit(2)))
