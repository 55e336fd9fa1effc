"""Parity cases: to_csv, vector_sum / vector_avg, unix_nanos / timestamp_nanos, the AES
functions and the partition transforms (years, months, days, hours, bucket)."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from tests.conformance.pyspark.registry import case

_CSV_ROW = (
    1,
    "a,b",
    None,
    1.5,
    True,
    dt.date(2024, 1, 2),
    dt.datetime(2024, 1, 2, 3, 4, 5, 678000),
    decimal.Decimal("1.20"),
    "",
    "  pad ",
    'q"uote',
    "new\nline",
    1e10,
    12345678.9,
    2**40,
    0.1,
)
_CSV_SCHEMA = (
    "i int, s string, n string, d double, b boolean, dt date, ts timestamp, dec decimal(5,2), "
    "e string, p string, q string, nl string, big double, mid double, l bigint, f float"
)


def _csv_frame(spark: Any) -> Any:
    return spark.createDataFrame([_CSV_ROW, (None,) * len(_CSV_ROW)], _CSV_SCHEMA)


@case()
def case_to_csv_types_and_quoting(spark: Any, F: Any, T: Any) -> Any:
    df = _csv_frame(spark)
    return df.select(F.to_csv(F.struct(*df.columns)))


@case()
def case_to_csv_options(spark: Any, F: Any, T: Any) -> Any:
    df = _csv_frame(spark)
    options = {
        "sep": ";",
        "quote": "'",
        "escape": "#",
        "nullValue": "NA",
        "dateFormat": "dd/MM/yyyy",
        "timestampFormat": "yyyy-MM-dd HH:mm",
    }
    return df.select(F.to_csv(F.struct(*df.columns), options).alias("csv"))


@case()
def case_to_csv_quote_all_and_null_struct(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(1, "a,b"), (None, None)], "i int, s string")
    struct = F.when(F.col("i").isNotNull(), F.struct("i", "s"))
    return df.select(F.to_csv(F.struct("i", "s"), {"quoteAll": "true"}), F.to_csv(struct))


@case(kind="value")
def case_to_csv_time_zone(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(dt.datetime(2024, 7, 2, 3, 4, 5, 678901),)], "ts timestamp")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        return [tuple(r) for r in df.select(F.to_csv(F.struct("ts")).alias("csv")).collect()]
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


@case()
def case_to_csv_from_csv_round_trip(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame(
        [(1, "a,b", 2.5, dt.date(2024, 2, 29)), (2, None, None, None)],
        "i int, s string, d double, dt date",
    )
    text = F.to_csv(F.struct("i", "s", "d", "dt"))
    parsed = F.from_csv(text, "i int, s string, d double, dt date")
    return df.select(text.alias("csv"), parsed.alias("back"))


@case(kind="error")
def case_to_csv_not_a_struct(spark: Any, F: Any, T: Any) -> Any:
    return spark.range(1).select(F.to_csv("id"))


def _vectors(spark: Any) -> Any:
    return spark.createDataFrame(
        [(1, [1.0, 0.1]), (1, [2.0, 0.2]), (1, [2.0, 0.7]), (1, None), (1, [9.0, None]), (2, None)],
        "k int, v array<float>",
    )


@case()
def case_vector_sum_avg_grouped(spark: Any, F: Any, T: Any) -> Any:
    return _vectors(spark).groupBy("k").agg(F.vector_sum("v"), F.vector_avg("v"))


@case()
def case_vector_sum_avg_global_and_empty(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([([],), ([],)], "v array<float>")
    empty = spark.createDataFrame([], "v array<float>")
    return df.select(F.vector_sum("v"), F.vector_avg("v")).union(
        empty.select(F.vector_sum("v"), F.vector_avg("v"))
    )


@case(kind="error")
def case_vector_sum_dimension_mismatch(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([([1.0, 2.0],), ([3.0],)], "v array<float>")
    return df.select(F.vector_sum("v"))


@case(kind="error")
def case_vector_avg_array_of_double(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([([1.0, 2.0],)], "v array<double>")
    return df.select(F.vector_avg("v"))
