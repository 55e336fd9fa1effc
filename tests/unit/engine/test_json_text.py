"""``to_json`` built as DuckDB SQL (``engine/compile/json_text.py``) writes the same text as the
row-wise Python implementation it replaces (``kaspar.sql.functions.json._dumps``, checked
against PySpark by the parity suite), across types, nesting, NULLs and the double notation."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import random

import pytest
from sqlglot import exp

from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql.column import Column
from kaspar.sql.functions.json import _TO_JSON, _dumps


def row_wise(col: Column) -> Column:
    """The Python implementation, called as before (a call without the rewrite's mark)."""
    return Column(exp.Anonymous(this=_TO_JSON, expressions=[col.expr]))


SCHEMA = (
    "i int, l bigint, s string, b boolean, d double, dec decimal(7,3), day date, "
    "ts timestamp, ntz timestamp_ntz, arr array<double>, nested array<struct<x:int,y:string>>, "
    "m map<string,int>, st struct<a:int,b:struct<c:string>>"
)


def rows() -> list[tuple[object, ...]]:
    moment = dt.datetime(2020, 1, 2, 3, 4, 5, 678000)
    return [
        (1, 2**40, 'q"\\/\n\t\x01é', True, 1.5e20, decimal.Decimal("1.500"), dt.date(2021, 2, 3),
         moment, moment, [1e-5, None, -0.0], [(1, "a"), None, (None, None)], {"k": 1, "n": None},
         (1, ("c",))),
        (None, None, None, False, float("nan"), None, None, None, dt.datetime(2020, 1, 1), [],
         [], {}, (None, None)),
        (-3, -1, "", None, -1.25e7, decimal.Decimal("-0.001"), dt.date(1970, 1, 1),
         dt.datetime(1999, 12, 31, 23, 59, 59), None, None, None, None, None),
    ]  # fmt: skip


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_native_to_json_equals_the_python_implementation(zone: str) -> None:
    spark = SparkSession.builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", zone)
    try:
        df = spark.createDataFrame(rows(), SCHEMA)
        whole = F.struct(*df.columns)
        native = [r[0] for r in df.select(F.to_json(whole)).collect()]
        python = [r[0] for r in df.select(row_wise(whole)).collect()]
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")
    assert '"m":{}' in native[1]  # an empty map is {} as in Spark (the row-wise code wrote [])
    assert native == [text.replace('"m":[]', '"m":{}') for text in python]


def test_doubles_in_java_notation() -> None:
    spark = SparkSession.builder.getOrCreate()
    generator = random.Random(7)
    values = [
        0.0,
        -0.0,
        1e-3,
        9.99e-4,
        1e7,
        9999999.999,
        12345678.9,
        1e-300,
        1.7976931348623157e308,
    ]
    values += [generator.uniform(-1, 1) * 10 ** generator.randint(-12, 25) for _ in range(300)]
    values += [math.inf, -math.inf]
    df = spark.createDataFrame([(v,) for v in values], "d double")
    native = [r[0] for r in df.select(F.to_json(F.struct("d"))).collect()]
    assert native == [_dumps({"d": v}) for v in values]


def test_floats_binary_and_null_operand() -> None:
    spark = SparkSession.builder.getOrCreate()
    df = spark.createDataFrame([(0.1, b"ab", None)], "f float, bin binary, st struct<a:int>")
    got = df.select(F.to_json(F.struct("f", "bin")), F.to_json("st")).first()
    assert got is not None
    assert got[0] == '{"f":0.1,"bin":"YWI="}'  # Java's Float.toString; binary as base64
    assert got[1] is None


def test_a_struct_built_in_place_and_a_struct_column_write_the_same_text() -> None:
    """``to_json(struct(...))`` reads the fields directly (never NULL); a struct column (maybe
    NULL) goes through ``struct_extract``."""
    spark = SparkSession.builder.getOrCreate()
    df = spark.createDataFrame(rows(), SCHEMA)
    built = F.struct(F.col("i").alias("x"), (F.col("l") + 1).alias("y"), "st", "arr")
    native = [r[0] for r in df.select(F.to_json(built)).collect()]
    python = [r[0] for r in df.select(row_wise(built)).collect()]
    assert native == python
    assert native[1] == '{"st":{},"arr":[]}'  # NULL fields left out
    column = df.select(built.alias("s"))
    native = [r[0] for r in column.select(F.to_json("s")).collect()]
    assert native == python
    nulls = [r[0] for r in df.select(F.to_json("st")).collect()]
    assert nulls == [r[0] for r in df.select(row_wise(F.col("st"))).collect()]
    assert nulls[2] is None
