"""Parity cases: the lines Spark's JSON and CSV writers write (read back as text), ranking and
offset window functions over windows without ORDER BY, and small Column behaviours
(``isNaN`` of NULL, ``ilike``'s name, createDataFrame's type error)."""

from __future__ import annotations

import datetime as dt
import tempfile
from typing import Any

from tests.conformance.pyspark.cases_dataframe import _window
from tests.conformance.pyspark.registry import case


def _lines(spark: Any, df: Any, fmt: str, **options: Any) -> Any:
    """The lines ``df`` is written as (one part file), in order."""
    path = tempfile.mkdtemp() + "/out"
    getattr(df.coalesce(1).write.options(**options), fmt)(path)
    return spark.read.text(path)


def _typed(spark: Any) -> Any:
    return spark.createDataFrame(
        [
            (1, None, dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4, 5, 123000), 1.5, 1e20),
            (2, 'q"x,y', None, None, float("nan"), -0.0001),
            (3, "", dt.date(1969, 12, 31), dt.datetime(1999, 12, 31, 23, 59, 59), None, 3.0),
        ],
        "id int, s string, d date, t timestamp, f double, g double",
    )


@case()
def writer_json_lines(spark: Any, F: Any, T: Any) -> Any:
    return _lines(spark, _typed(spark).orderBy("id"), "json")


@case()
def writer_json_nested_nulls(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame(
        [(1, None, (None, 2), [None, 1], {"a": None}), (2, "x", None, None, None)],
        "id int, n string, s struct<x:int,y:int>, a array<int>, m map<string,int>",
    )
    return _lines(spark, df.orderBy("id"), "json")


@case()
def writer_json_keep_null_fields(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(1, None, (None, 2))], "id int, n string, s struct<x:int,y:int>")
    return _lines(spark, df, "json", ignoreNullFields=False)


@case()
def writer_json_date_format(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(dt.date(2024, 3, 4),)], "d date")
    return _lines(spark, df, "json", dateFormat="dd/MM/yyyy")


@case()
def writer_csv_lines(spark: Any, F: Any, T: Any) -> Any:
    return _lines(spark, _typed(spark).orderBy("id"), "csv")


@case()
def writer_csv_header_and_options(spark: Any, F: Any, T: Any) -> Any:
    df = _typed(spark).orderBy("id").select("id", "s", F.col("f").alias("a;b"))
    return _lines(spark, df, "csv", header=True, sep=";", nullValue="NULL", quoteAll=True)


@case()
def writer_csv_bool_and_padding(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(True, " pad ", 7)], "b boolean, s string, i bigint")
    return _lines(spark, df, "csv", header=True)


@case("error")
def writer_csv_refuses_arrays(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(True, [1, 2])], "b boolean, a array<int>")
    return _lines(spark, df, "csv")


@case("error")
def writer_csv_refuses_structs(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([((1, "x"),)], "s struct<p:int,q:string>")
    return _lines(spark, df, "csv")


@case()
def writer_json_partitioned(spark: Any, F: Any, T: Any) -> Any:
    path = tempfile.mkdtemp() + "/out"
    df = spark.createDataFrame([(1, "a", None), (2, "b", 2.5)], "id int, k string, v double")
    df.write.partitionBy("k").json(path)
    return spark.read.text(path + "/k=a").union(spark.read.text(path + "/k=b")).orderBy("value")


@case()
def writer_csv_roundtrip(spark: Any, F: Any, T: Any) -> Any:
    path = tempfile.mkdtemp() + "/out"
    _typed(spark).write.option("header", True).csv(path)
    return spark.read.option("header", True).schema(_typed(spark).schema).csv(path).orderBy("id")


@case()
def writer_json_roundtrip(spark: Any, F: Any, T: Any) -> Any:
    path = tempfile.mkdtemp() + "/out"
    _typed(spark).write.json(path)
    return spark.read.schema(_typed(spark).schema).json(path).orderBy("id")


@case("error")
def window_row_number_not_ordered(spark: Any, F: Any, T: Any) -> Any:
    window = _window(spark).partitionBy("id")
    return spark.range(2).select(F.row_number().over(window))


@case("error")
def window_lag_not_ordered(spark: Any, F: Any, T: Any) -> Any:
    return spark.range(2).select(F.lag("id").over(_window(spark).partitionBy("id")))


@case("error")
def window_ntile_not_ordered(spark: Any, F: Any, T: Any) -> Any:
    return spark.range(2).select(F.ntile(2).over(_window(spark).partitionBy("id")))


@case("error")
def window_sql_rank_not_ordered(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("SELECT rank() OVER (PARTITION BY id) FROM range(2)")


@case()
def window_first_without_order(spark: Any, F: Any, T: Any) -> Any:
    w = _window(spark).partitionBy("g")
    df = spark.createDataFrame([(1, "a"), (1, "a"), (2, "b")], "v int, g string")
    return df.select("g", F.count("v").over(w).alias("c"), F.max("v").over(w).alias("m"))


@case()
def column_isnan_null(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(None,), (float("nan"),), (1.0,)], "d double")
    return df.select(df.d.isNaN(), F.isnan("d"), F.expr("isnan(d)").alias("e"))


@case()
def sql_isnan_null(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "SELECT isnan(CAST(NULL AS DOUBLE)), isnan(1), isnan(d) FROM VALUES (1.5D) t(d)"
    )


@case()
def column_ilike_name(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([("Hello",), ("x",)], "s string")
    return df.select(df.s.ilike("h%"), df.s.like("H%"))


@case("error")
def create_dataframe_wrong_type(spark: Any, F: Any, T: Any) -> Any:
    return spark.createDataFrame([(1, "a")], "a int, b int")
