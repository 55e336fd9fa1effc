"""Parity cases: arithmetic, comparisons and aggregates over interval-typed columns, datetime
differences, and the nullability of interval literals and casts.

PySpark cannot collect a year-month interval, so cases holding one compare ``show`` text and
``dtypes``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conformance.pyspark.registry import case

_DAYS = (
    "select * from values (interval '1' day, interval '3' hour), (interval '2' day, "
    "interval '30' hour), (interval '-3' day, interval '-1' hour) as t(d, h)"
)
_MONTHS = (
    "select * from values (interval '1-2' year to month, interval '5' month), "
    "(interval '-0-7' year to month, interval '13' month) as t(y, m)"
)
_MONTHS_WIDE = (
    "select y, cast(m as interval year to month) as m from values "
    "(interval '1-2' year to month, interval '5' month), "
    "(interval '-0-7' year to month, interval '13' month) as t(y, m)"
)
_MOMENTS = (
    "select * from values (date '2024-01-31', timestamp '2024-02-29 10:00:00', "
    "timestamp_ntz '2024-03-01 00:00:00', interval '1 02:03:04' day to second, "
    "interval '2' day, interval '0-1' year to month), (date '2023-12-31', timestamp "
    "'2024-01-01 00:00:00', timestamp_ntz '2024-12-31 23:59:59', interval '-0 00:00:01' day to "
    "second, interval '-1' day, interval '-1-1' year to month) as t(dt, ts, ntz, ds, dd, ym)"
)


def _shown(df: Any) -> None:
    print(df.dtypes)
    df.show(truncate=False)


def _schema(df: Any) -> None:
    print(df.schema.json())


# -- arithmetic between interval columns ----------------------------------------------------
@case()
def case_ival_day_time_column_arithmetic(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        f"select d + d, d - h, h + d, d * 2, d / 2, 3 * h as n, d * 1.5 from ({_DAYS})"
    )


@case("show")
def case_ival_year_month_column_arithmetic(spark: Any, F: Any, T: Any) -> None:
    _shown(spark.sql(f"select y + m, y - m, y * 3, y / 4, y * 0.5, 2 * m as n from ({_MONTHS})"))


@case()
def case_ival_negation_columns(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"select -d as a, -h as b, -(d + h) as c from ({_DAYS})")


@case("show")
def case_ival_year_month_negation(spark: Any, F: Any, T: Any) -> None:
    _shown(spark.sql(f"select -y as a, -(y + m) as b from ({_MONTHS})"))


@case()
def case_ival_dataframe_operators(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql(_DAYS)
    return df.select(
        (F.col("d") + F.col("h")).alias("a"),
        (F.col("d") - F.col("h")).alias("b"),
        (F.col("d") * 2).alias("c"),
        (F.col("h") / 4).alias("e"),
        (-F.col("d")).alias("f"),
        (F.lit(3) * F.col("h")).alias("g"),
    )


@case()
def case_ival_make_interval_results(spark: Any, F: Any, T: Any) -> Any:
    df = spark.range(3).select(
        "id",
        F.make_dt_interval(F.col("id"), F.lit(1)).alias("a"),
        F.make_dt_interval(F.lit(0), F.col("id")).alias("b"),
    )
    return df.select(
        (F.col("a") + F.col("b")).alias("s"),
        (F.col("a") - F.col("b")).alias("d"),
        (F.col("a") * F.col("id")).alias("m"),
        (F.col("a") > F.col("b")).alias("gt"),
    )


@case("show")
def case_ival_make_ym_interval_arithmetic(spark: Any, F: Any, T: Any) -> None:
    df = spark.range(3).select(F.make_ym_interval(F.col("id"), F.lit(2)).alias("y"))
    _shown(df.select((F.col("y") + F.col("y")).alias("a"), (F.col("y") * 2).alias("b")))


@case()
def case_ival_created_dataframe(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame(
        [(dt.timedelta(days=1, hours=2), dt.timedelta(minutes=30)), (dt.timedelta(0), None)],
        "a interval day to second, b interval day to second",
    )
    return df.select(
        (df.a + df.b).alias("s"), (df.a - df.b).alias("d"), (df.a * 3).alias("m"), -df.b
    )


@case()
def case_ival_type_dependent_names(spark: Any, F: Any, T: Any) -> Any:
    """Spark names ``n * interval`` as ``interval * n``: a Column's name, which kaspar gives
    before it knows the types."""
    df = spark.sql(_DAYS)
    return df.select(F.lit(3) * F.col("h"))


# -- datetimes and intervals ----------------------------------------------------------------
@case()
def case_ival_datetime_plus_day_time(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select dt + ds as a, dt - ds as b, ts + ds as c, ts - dd as d, ntz + ds as e, "
        f"ds + ts as f, dt + dd as g, dt - dd as h from ({_MOMENTS})"
    )


@case()
def case_ival_datetime_plus_year_month(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select dt + ym as a, dt - ym as b, ts + ym as c, ntz - ym as d, ym + dt as e "
        f"from ({_MOMENTS})"
    )


@case()
def case_ival_datetime_differences(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select ts - timestamp '2024-01-01 00:00:00' as a, ntz - timestamp_ntz "
        "'2024-01-01 12:00:00' as b, dt - date '2024-01-01' as c, date '2025-01-01' - dt as d "
        f"from ({_MOMENTS})"
    )


@case()
def case_ival_datetime_difference_dataframe(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql(_MOMENTS)
    other = df.select(
        (F.col("ts") - F.lit(dt.datetime(2024, 1, 1))).alias("a"),
        (F.col("dt") - F.to_date(F.lit("2023-01-01"))).alias("b"),
    )
    return other.select("a", "b", (F.col("a") + F.col("b")).alias("c"))


@case()
def case_ival_datetime_difference_arithmetic(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select (ts - timestamp '2024-01-01 00:00:00') * 2 as a, "
        "(dt - date '2023-01-01') + interval '1' hour as b "
        f"from ({_MOMENTS})"
    )


# -- comparisons, ordering, grouping --------------------------------------------------------
@case()
def case_ival_comparisons(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        f"select d < h as a, d = h as b, d >= h as c, d <=> h as e, h > interval '1' hour as f, "
        f"d != h as g from ({_DAYS})"
    )


@case("show")
def case_ival_year_month_comparisons(spark: Any, F: Any, T: Any) -> None:
    _shown(
        spark.sql(f"select y, m, y < m as a, y = m as b, greatest(y, m) as c from ({_MONTHS_WIDE})")
    )


@case(ordered=True)
def case_ival_order_by(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"select d, h from ({_DAYS}) order by h desc, d")


@case()
def case_ival_group_by_distinct(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select d, count(*) as n from values (interval '1' day), (interval '1' day), "
        "(interval '2' day) as t(d) group by d"
    )


@case()
def case_ival_distinct(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(_DAYS).select("d").union(spark.sql(_DAYS).select("d")).distinct()


# -- aggregates -----------------------------------------------------------------------------
@case()
def case_ival_day_time_aggregates(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        f"select sum(d), avg(d), min(h), max(h), count(distinct d), sum(h), avg(h) from ({_DAYS})"
    )


@case("show")
def case_ival_year_month_aggregates(spark: Any, F: Any, T: Any) -> None:
    _shown(spark.sql(f"select sum(y), avg(y), min(m), max(m), avg(m) from ({_MONTHS})"))


@case()
def case_ival_aggregates_dataframe(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql(_DAYS)
    return df.agg(F.sum("d"), F.avg("h"), F.max("d"), F.mean("d"))


@case()
def case_ival_grouped_aggregates(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql(_DAYS).withColumn("k", F.lit(1))
    return df.groupBy("k").agg(F.sum("h").alias("s"), F.avg("d").alias("a"))


@case()
def case_ival_avg_rounding(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select avg(d) from values (interval '0.000001' second), (interval '0.000002' second), "
        "(interval '0' second), (interval '0' second) as t(d)"
    )


@case(ordered=True)
def case_ival_window_sum(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        f"select d, sum(h) over (order by d) as s, avg(d) over () as a from ({_DAYS}) order by d"
    )


@case(ordered=True)
def case_ival_window_dataframe(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql(_DAYS)
    window = _window(spark).orderBy("d")
    return df.select("d", F.sum("h").over(window).alias("s")).orderBy("d")


def _window(spark: Any) -> Any:
    if "kaspar" in type(spark).__module__:
        from kaspar.sql import Window
    else:
        from pyspark.sql import Window
    return Window


# -- errors ---------------------------------------------------------------------------------
@case("error")
def case_ival_sum_overflow(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select sum(d) from values (interval '106751991 04' day to hour), "
        "(interval '106751991 04' day to hour) as t(d)"
    )


@case("error")
def case_ival_year_month_sum_overflow(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select sum(y) from values (interval '178956970-7' year to month), "
        "(interval '0-1' year to month) as t(y)"
    )


@case("error")
def case_ival_column_add_overflow(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("select d + d from values (interval '106751991 04' day to hour) as t(d)")


@case("error")
def case_ival_column_divided_by_zero(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"select d / 0 from ({_DAYS})")


@case("error")
def case_ival_mixed_families_add(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("select d + y from (select interval '1' day as d, interval '1' year as y)")


@case("error")
def case_ival_mixed_families_subtract(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("select y - d from (select interval '1' day as d, interval '1' year as y)")


@case("error")
def case_ival_mixed_families_compare(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("select d < y from (select interval '1' day as d, interval '1' year as y)")


@case("error")
def case_ival_mixed_families_dataframe(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql("select interval '1' day as d, interval '1' year as y")
    return df.select(F.col("d") + F.col("y"))


@case("error")
def case_ival_interval_times_interval(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"select d * h from ({_DAYS})")


@case("error")
def case_ival_try_sum_is_not_sum(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"select sum(d) + 1 from ({_DAYS})")


# -- nullability ----------------------------------------------------------------------------
@case("show")
def case_ival_literal_nullability(spark: Any, F: Any, T: Any) -> None:
    _schema(
        spark.sql(
            "select interval '1' day a, interval '1-2' year to month b, -interval '1' day c, "
            "interval '1' day + interval '2' hour e, interval '1' year * 2 f"
        )
    )
    _schema(spark.range(1).select(F.expr("interval 1 day"), F.expr("interval 2 months")))


@case("show")
def case_ival_make_interval_nullability(spark: Any, F: Any, T: Any) -> None:
    _schema(
        spark.range(1).select(
            F.make_dt_interval(F.lit(1)).alias("a"),
            (F.make_dt_interval(F.lit(1)) + F.make_dt_interval(F.lit(1))).alias("b"),
            (F.make_ym_interval(F.lit(1)) * 2).alias("c"),
        )
    )


@case("show")
def case_ival_cast_literal_nullability(spark: Any, F: Any, T: Any) -> None:
    _schema(
        spark.sql(
            "select cast(1 as bigint) a, cast(cast(1 as int) as bigint) b, cast(1.5 as int) c, "
            "cast(1e10 as bigint) d, cast(date '2024-01-01' as timestamp) e, "
            "cast(timestamp_ntz '2024-01-01 00:00:00' as date) f, cast(true as int) g, "
            "cast('1' as int) h, cast(1 as string) i, cast(1 as double) j, "
            "cast(1 as decimal(5, 0)) k, cast(1 as decimal(12, 2)) l, cast(1.5 as double) m, "
            "cast(date '2024-01-01' as timestamp_ntz) n, cast(interval '1' day as bigint) o, "
            "cast(1.25 as decimal(3, 1)) p, cast('true' as boolean) q"
        )
    )


@case("show")
def case_ival_cast_lit_nullability_dataframe(spark: Any, F: Any, T: Any) -> None:
    _schema(
        spark.range(1).select(
            F.lit(1).cast("bigint").alias("a"),
            F.lit("1").cast("int").alias("b"),
            F.lit(1.5).cast("int").alias("c"),
            F.lit(1).cast("decimal(5,0)").alias("d"),
            F.lit(True).cast("int").alias("e"),
            F.lit(1).cast("double").alias("f"),
            F.lit(2).cast("smallint").alias("g"),
        )
    )


# -- one column, intervals of different fields: Spark's widened type -------------------------
@case(ordered=True)
def case_ival_union_widens(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select d from (select interval '1' day as d union all select interval '3' hour) order by d"
    )


@case()
def case_ival_union_group_by(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select d, count(*) as n from (select interval '1' day as d union all "
        "select interval '24' hour) group by d"
    )


@case("show")
def case_ival_values_widen(spark: Any, F: Any, T: Any) -> None:
    _shown(
        spark.sql("select * from values (interval '1' month), (interval '-1-1' year to month) t(y)")
    )


@case()
def case_ival_choices_widen(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select coalesce(d, h) as a, greatest(d, h) as b, case when d > h then d else h end as c, "
        "if(d < h, d, h) as e, least(d, h) as f "
        "from values (interval '1' day, interval '3' hour) as t(d, h)"
    )


@case("error")
def case_ival_literal_mixed_families(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("select d + interval '1' month from values (interval '-1' day) as t(d)")


@case()
def case_ival_null_operands(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"select d + null as a, null - d as b, d * null as c from ({_DAYS})")


@case()
def case_ival_distinct_aggregates(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql(
        "select * from values (interval '1' day), (interval '1' day), (interval '3' day) as t(d)"
    )
    return df.agg(F.sum_distinct("d"), F.count_distinct("d"), F.expr("avg(distinct d)"))


@case()
def case_ival_sql_names_by_type(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select dt + dd, dt - dd, dd + dt, ts + dd, ts - ds, ds + ts, dt + ym, dt - ym, "
        "ym + ts, 3 * ds, ds * 2 from (select date '2024-01-01' dt, timestamp "
        "'2024-01-01 00:00:00' ts, interval '1' day dd, interval '1 01:00:00' day to second "
        "ds, interval '0-1' year to month ym)"
    )


@case()
def case_ival_sql_negation_names(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select -id, -(id), -(1), - id + 1, -(id + 1), -d "
        "from (select id, interval '1' day d from range(2))"
    )
