"""Generators in SQL text (``kaspar.sql._sql_generators``, ``_sql_generator_rewrite``) and
SQL-text names: the recognised forms, the rewrites on their own and the error paths."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlglot
from sqlglot import exp

from kaspar.engine.compile.dialect import KasparSpark
from kaspar.engine.plan.naming import output_name, top_level_name
from kaspar.errors import AnalysisException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql._sql_generators import (
    generator_arguments,
    generator_name,
    renamed,
    split_alias,
)


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.master("local[1]").getOrCreate()
    df = session.createDataFrame(
        [(1, [1, 2], {"a": 1}), (2, [], None), (3, None, {"b": 2})],
        "i int, xs array<int>, m map<string,int>",
    )
    df.createOrReplaceTempView("gen_unit_t")
    yield session


def _parse(text: str) -> exp.Expr:
    return sqlglot.parse_one(text, dialect=KasparSpark)


@pytest.mark.parametrize(
    ("text", "name", "count"),
    [
        ("explode(xs)", "explode", 1),
        ("explode_outer(xs)", "explode_outer", 1),
        ("posexplode(xs)", "posexplode", 1),
        ("posexplode_outer(xs)", "posexplode_outer", 1),
        ("inline(xs)", "inline", 1),
        ("inline_outer(xs)", "inline_outer", 1),
        ("stack(2, 1, 2)", "stack", 3),
        ("json_tuple(j, 'a', 'b')", "json_tuple", 3),
        ("upper(s)", None, 0),
    ],
)
def test_generator_names_and_arguments(text: str, name: str | None, count: int) -> None:
    e = _parse(text)
    assert generator_name(e) == name
    if name is not None:
        assert len(generator_arguments(e)) == count


def test_unnest_with_keyword_arguments_is_not_a_spark_generator() -> None:
    depth = exp.PropertyEQ(this=exp.to_identifier("max_depth"), expression=exp.Literal.number(2))
    assert generator_name(exp.Explode(this=exp.column("x"), expressions=[depth])) is None


def test_split_alias_forms() -> None:
    assert split_alias(_parse("posexplode(xs) as (p, x)"))[1] == ("p", "x")
    assert split_alias(_parse("explode(xs) as x"))[1] == ("x",)
    assert split_alias(_parse("explode(xs)"))[1] is None


def test_renamed_checks_the_count() -> None:
    items: list[exp.Expr] = [exp.column("a"), exp.column("b")]
    assert [output_name(i) for i in renamed(items, ("x", "y"))] == ["x", "y"]
    with pytest.raises(AnalysisException) as raised:
        renamed(items, ("x",))
    assert raised.value.getCondition() == "UDTF_ALIAS_NUMBER_MISMATCH"


def test_top_level_name_of_casts() -> None:
    assert top_level_name(_parse("cast(i as string)")) == "i"
    assert top_level_name(_parse("i::bigint")) == "i"
    assert top_level_name(_parse("cast(i + 1 as string)")) == "CAST((i + 1) AS STRING)"
    assert output_name(_parse("cast(i as string)")) == "CAST(i AS STRING)"


def test_names_of_constructors_and_windows() -> None:
    assert output_name(_parse("named_struct('a', i)")) == "named_struct(a, i)"
    assert output_name(_parse("struct(i, i as b, 1)")) == "struct(i, i AS b, 1)"
    assert output_name(_parse("map('a', i)")) == "map(a, i)"
    assert output_name(_parse("count(1) over ()")) == (
        "count(1) OVER (ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)"
    )
    assert output_name(_parse("lag(i) over (order by i desc)")) == (
        "lag(i, 1, NULL) OVER (ORDER BY i DESC NULLS LAST "
        "ROWS BETWEEN -1 FOLLOWING AND -1 FOLLOWING)"
    )


def test_select_expr_generator_beside_columns(spark: SparkSession) -> None:
    df = spark.table("gen_unit_t").selectExpr("i", "posexplode(xs) as (p, x)")
    assert df.columns == ["i", "p", "x"]
    assert [tuple(r) for r in df.collect()] == [(1, 0, 1), (1, 1, 2)]


def test_sql_lateral_view_outer_keeps_rows(spark: SparkSession) -> None:
    df = spark.sql("select i, k, v from gen_unit_t lateral view outer explode(m) q as k, v")
    assert sorted(tuple(r) for r in df.collect()) == [(1, "a", 1), (2, None, None), (3, "b", 2)]


def test_several_generators_give_the_product(spark: SparkSession) -> None:
    df = spark.sql("select explode(array(1, 2)) as a, explode(array(3, 4)) as b")
    assert [tuple(r) for r in df.collect()] == [(1, 3), (1, 4), (2, 3), (2, 4)]
    frame = spark.range(1).select(
        F.explode(F.array(F.lit(1), F.lit(2))), F.posexplode(F.array(F.lit(5)))
    )
    assert frame.columns == ["col", "pos", "col"]
    assert len(frame.collect()) == 2


@pytest.mark.parametrize(
    ("query", "condition"),
    [
        ("select explode(xs) + 1 from gen_unit_t", "UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS"),
        ("select i from gen_unit_t order by explode(xs)", "UNSUPPORTED_GENERATOR.OUTSIDE_SELECT"),
        ("select explode(xs) as (a, b) from gen_unit_t", "UDTF_ALIAS_NUMBER_MISMATCH"),
        ("select inline(array(struct(1, 2))) as (a)", "UDTF_ALIAS_NUMBER_MISMATCH"),
        ("select inline(array(1))", "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE"),
        ("select stack(i, 1) from gen_unit_t", "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT"),
        ("select json_tuple('{}', i) from gen_unit_t", "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT"),
        ("select json_tuple('{}')", "WRONG_NUM_ARGS.WITHOUT_SUGGESTION"),
        ("select variant_explode(parse_json('[1]'))", "NOT_A_SCALAR_FUNCTION"),
        (
            "select explode(xs), * , explode(xs) from gen_unit_t",
            "UNSUPPORTED_GENERATOR.MULTI_GENERATOR",
        ),
    ],
)
def test_sql_generator_errors(spark: SparkSession, query: str, condition: str) -> None:
    with pytest.raises(AnalysisException) as raised:
        spark.sql(query).collect()
    assert raised.value.getCondition() == condition


def test_select_expr_errors(spark: SparkSession) -> None:
    df = spark.table("gen_unit_t")
    with pytest.raises(AnalysisException) as raised:
        df.selectExpr("abs(explode(xs))")
    assert raised.value.getCondition() == "UNSUPPORTED_GENERATOR.NESTED_IN_EXPRESSIONS"
    with pytest.raises(AnalysisException) as raised:
        df.select(F.explode("xs").alias("a", "b"))
    assert raised.value.getCondition() == "UDTF_ALIAS_NUMBER_MISMATCH"


def test_generator_in_a_scalar_subquery_is_not_nested(spark: SparkSession) -> None:
    df = spark.sql("select i, (select max(x) from (select explode(xs) as x)) as mx from gen_unit_t")
    assert sorted(tuple(r) for r in df.collect()) == [(1, 2), (2, None), (3, None)]


def test_lateral_variant_explode(spark: SparkSession) -> None:
    df = spark.sql(
        "select t.i, v.pos from gen_unit_t t, lateral variant_explode(parse_json('[7, 8]')) v"
    )
    assert df.columns == ["i", "pos"]
    assert len(df.collect()) == 6
