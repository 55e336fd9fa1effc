"""Spark's ANSI type coercion on DuckDB: set operations' common types, strings meeting numbers,
``div`` and join syntax, and their errors (``engine/compile/coercion.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlglot import exp

from kaspar.engine.compile.type_widening import UNKNOWN, common_type, parse_duckdb
from kaspar.errors import AnalysisException, NumberFormatException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


def _common(a: str, b: str, *, ansi: bool = True) -> str | None:
    t = common_type(parse_duckdb(a), parse_duckdb(b), ansi=ansi)
    assert t is not UNKNOWN
    return t.sql("duckdb") if isinstance(t, exp.DataType) else None


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("INTEGER", "BIGINT", "BIGINT"),
        ("INTEGER", "FLOAT", "DOUBLE"),
        ("FLOAT", "FLOAT", "REAL"),
        ("INTEGER", "DECIMAL(10,2)", "DECIMAL(12, 2)"),
        ("BIGINT", "DECIMAL(5,1)", "DECIMAL(21, 1)"),
        ("DECIMAL(10,2)", "DECIMAL(5,1)", "DECIMAL(10, 2)"),
        ("DECIMAL(38,2)", "DECIMAL(38,10)", "DECIMAL(38, 10)"),
        ("VARCHAR", "SMALLINT", "BIGINT"),
        ("VARCHAR", "DECIMAL(10,2)", "DOUBLE"),
        ("VARCHAR", "DATE", "DATE"),
        ("DATE", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"),
        ("DATE", "TIMESTAMP", "TIMESTAMP"),
        ('"NULL"', "INTEGER", "INT"),
        ("INTEGER[]", "VARCHAR[]", "BIGINT[]"),
        ("STRUCT(a INTEGER)", "STRUCT(a BIGINT)", "STRUCT(a BIGINT)"),
        ("MAP(VARCHAR, INTEGER)", "MAP(VARCHAR, BIGINT)", "MAP(TEXT, BIGINT)"),
        ("INTEGER", "BOOLEAN", None),
        ("DATE", "INTEGER", None),
        ("STRUCT(a INTEGER)", "STRUCT(b INTEGER)", None),
        ("VARCHAR", "INTEGER[]", None),
    ],
)
def test_common_types(a: str, b: str, expected: str | None) -> None:
    assert _common(a, b) == expected


def test_common_type_legacy_strings() -> None:
    assert _common("VARCHAR", "INTEGER", ansi=False) == "TEXT"


def test_types_outside_the_rules_are_left_to_duckdb() -> None:
    assert common_type(parse_duckdb("INTERVAL"), parse_duckdb("INTEGER")) is UNKNOWN


def test_union_string_with_bigint_is_bigint(spark: SparkSession) -> None:
    a = spark.createDataFrame([("1",)], "a string")
    b = spark.createDataFrame([(2,)], "a bigint")
    df = a.union(b)
    assert df.schema.simpleString() == "struct<a:bigint>"
    assert sorted(r.a for r in df.collect()) == [1, 2]


def test_union_incompatible_columns(spark: SparkSession) -> None:
    a = spark.createDataFrame([(1, 1)], "x int, y int")
    b = spark.createDataFrame([(1, True)], "x int, y boolean")
    with pytest.raises(AnalysisException) as raised:
        a.union(b).schema  # noqa: B018
    assert raised.value.getCondition() == "INCOMPATIBLE_COLUMN_TYPE"
    assert "second column" in str(raised.value)


def test_union_malformed_string_raises_on_cast(spark: SparkSession) -> None:
    a = spark.createDataFrame([("x",)], "a string")
    b = spark.createDataFrame([(2,)], "a bigint")
    with pytest.raises(NumberFormatException) as raised:
        a.union(b).collect()
    assert raised.value.getCondition() == "CAST_INVALID_INPUT"


def test_sql_union_inside_cte_and_subquery(spark: SparkSession) -> None:
    df = spark.sql(
        "with c as (select '5' as v) "
        "select * from (select 1 as v union all select v from c) where v > 1"
    )
    assert df.schema.simpleString() == "struct<v:bigint>"
    assert [r.v for r in df.collect()] == [5]


def test_csv_string_column_compared_with_numbers(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text("name,age\nAnn,31\nBob,20\nCid,\n")
    df = spark.read.option("header", "true").csv(str(path))
    assert [r.name for r in df.filter("age > 30").collect()] == ["Ann"]
    assert [r.name for r in df.filter(F.col("age") > 30).collect()] == ["Ann"]
    assert [r.name for r in df.filter("age in (20, 2)").collect()] == ["Bob"]
    assert [r.name for r in df.filter("age between 10 and 25").collect()] == ["Bob"]
    assert [r.name for r in df.filter("age = '31'").collect()] == ["Ann"]


def test_malformed_string_compared_with_a_number(spark: SparkSession) -> None:
    df = spark.createDataFrame([("1.5",)], "age string")
    with pytest.raises(NumberFormatException) as raised:
        df.filter("age > 1").collect()
    assert raised.value.getCondition() == "CAST_INVALID_INPUT"


def test_string_arithmetic_and_conditionals(spark: SparkSession) -> None:
    df = spark.sql("select '3' as s, 2 as i")
    out = df.selectExpr("s + i as a", "s / 2 as b", "coalesce(i, s) as c", "array(i, s) as d")
    assert out.schema.simpleString() == "struct<a:bigint,b:double,c:bigint,d:array<bigint>>"
    assert out.collect()[0].asDict() == {"a": 5, "b": 1.5, "c": 2, "d": [2, 3]}


def test_greatest_refuses_string_with_number(spark: SparkSession) -> None:
    with pytest.raises(AnalysisException) as raised:
        spark.sql("select greatest(1, s) from (select '2' as s)").collect()
    assert raised.value.getCondition() == "DATATYPE_MISMATCH.DATA_DIFF_TYPES"


def test_div_is_bigint(spark: SparkSession) -> None:
    df = spark.sql("select 7 div 2 as a, -7 div 2 as b, cast(7.5 as decimal(5,1)) div 2 as c")
    assert df.schema.simpleString() == "struct<a:bigint,b:bigint,c:bigint>"
    assert df.collect()[0].asDict() == {"a": 3, "b": -3, "c": 3}
    assert spark.sql("select 5 div 2").columns == ["(5 div 2)"]
    assert spark.sql("select typeof(5 div 2) as t").collect()[0].t == "bigint"


def test_div_of_double_is_refused(spark: SparkSession) -> None:
    with pytest.raises(AnalysisException) as raised:
        spark.sql("select 1.5D div 2").collect()
    assert raised.value.getCondition() == "DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES"


def test_cross_join_with_a_condition(spark: SparkSession) -> None:
    df = spark.sql("select * from values (1), (2) a(x) cross join values (1) b(y) on x = y")
    assert [tuple(r) for r in df.collect()] == [(1, 1)]


def test_join_hint_is_ignored(spark: SparkSession) -> None:
    df = spark.sql(
        "select /*+ BROADCAST(b) */ * from values (1) a(x) join values (1) b(y) on x = y"
    )
    assert [tuple(r) for r in df.collect()] == [(1, 1)]


def test_function_arguments_cast_as_spark(spark: SparkSession) -> None:
    df = spark.sql("select 12 as i, '4' as s").selectExpr(
        "upper(i) as u", "length(i) as n", "i like '1%' as l", "sqrt(s) as q"
    )
    assert df.schema.simpleString() == "struct<u:string,n:int,l:boolean,q:double>"
    assert df.collect()[0].asDict() == {"u": "12", "n": 2, "l": True, "q": 2.0}
    total = spark.sql("select '4' as s union all select '5'").selectExpr("sum(s) as t")
    assert total.schema.simpleString() == "struct<t:double>"
    assert total.collect()[0].t == 9.0


def test_in_subquery_meets_at_the_common_type(spark: SparkSession) -> None:
    df = spark.sql("select v from (select '5' as v) x where v in (select 5)")
    assert df.collect()[0].v == "5"
    df = spark.sql("select v from (select 6 as v) x where v in (select '6')")
    assert df.collect()[0].v == 6


def test_legacy_mode_casts_strings_to_the_other_side() -> None:
    spark = SparkSession.builder.getOrCreate().newSession()
    spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        row = spark.sql(
            "select s > 1 as a, sx > 1 as b, s + 1 as c from (select '1.5' as s, 'x' as sx)"
        ).collect()[0]
        assert row.asDict() == {"a": False, "b": None, "c": 2.5}
        union = spark.sql("select 1 as a union all select 'x'")
        assert union.schema.simpleString() == "struct<a:string>"
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")
