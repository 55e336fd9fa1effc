"""Schema nullability (``engine.plan.nullability``), nested casts to string, ``to_char`` with a
column format and ``to_variant_object`` of maps: error paths and the pieces on their own."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest

from kaspar.engine import types as T
from kaspar.engine.plan.nullability import EMPTY, Nullability, Shape, apply_shape, merge_shapes
from kaspar.engine.type_conversion import parse_data_type
from kaspar.errors import AnalysisException, PySparkNotImplementedError
from kaspar.sql import SparkSession
from kaspar.sql import functions as F


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.master("local[1]").getOrCreate()
    yield session


def test_ddl_not_null_fields() -> None:
    schema = parse_data_type("i int not null, s string, st struct<x: int not null>")
    assert isinstance(schema, T.StructType)
    assert [f.nullable for f in schema.fields] == [False, True, True]
    inner = schema.fields[2].dataType
    assert isinstance(inner, T.StructType)
    assert inner.fields[0].nullable is False


def test_apply_shape_sets_nested_nullability() -> None:
    dtype = T.ArrayType(T.StructType([T.StructField("a", T.IntegerType())]))
    shape = Shape("array", (False,), (Shape("struct", (False,), (None,)),))
    applied = apply_shape(dtype, shape)
    assert isinstance(applied, T.ArrayType)
    assert applied.containsNull is False
    assert isinstance(applied.elementType, T.StructType)
    assert applied.elementType.fields[0].nullable is False


def test_apply_shape_leaves_a_mismatched_type() -> None:
    dtype = T.MapType(T.StringType(), T.IntegerType())
    assert apply_shape(dtype, Shape("array", (False,), (None,))) is dtype


def test_merge_shapes_ignores_empty_arrays() -> None:
    struct = Shape("struct", (False, True), (None, None))
    merged = merge_shapes([Nullability(False, struct), Nullability(False, EMPTY)])
    assert merged == struct


def test_literal_and_strict_columns_are_not_nullable(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, "a")], "i int not null, s string")
    out = df.select(F.lit(1).alias("one"), (df.i + 1).alias("plus"), F.upper("s").alias("up"))
    assert [f.nullable for f in out.schema.fields] == [False, False, True]


def test_outer_join_makes_the_padded_side_nullable(spark: SparkSession) -> None:
    left, right = spark.range(3).alias("a"), spark.range(2).alias("b")
    joined = left.join(right, F.col("a.id") == F.col("b.id"), "left")
    assert [f.nullable for f in joined.schema.fields] == [False, True]


def test_nested_cast_to_string_text(spark: SparkSession) -> None:
    df = spark.createDataFrame(
        [({"a": 1}, (None, "x"), [datetime.date(2020, 1, 2), None])],
        "m map<string,int>, st struct<a:int,b:string>, d array<date>",
    )
    row = df.select([F.col(c).cast("string") for c in df.columns]).first()
    assert tuple(row) == ("{a -> 1}", "{null, x}", "[2020-01-02, null]")


def test_to_char_number_with_column_format_is_refused(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1.5, "99.9")], "e double, f string")
    with pytest.raises(AnalysisException) as caught:
        df.select(F.to_char(df.e, df.f)).collect()
    assert caught.value.getCondition() == "DATATYPE_MISMATCH.NON_FOLDABLE_INPUT"
    assert "the input `attributereference` should be a foldable" in str(caught.value)


def test_to_char_binary_with_column_format_is_refused(spark: SparkSession) -> None:
    df = spark.createDataFrame([(b"ab", "hex")], "b binary, f string")
    with pytest.raises(AnalysisException) as caught:
        df.select(F.to_varchar(df.b, df.f)).collect()
    assert caught.value.getCondition() == "NON_FOLDABLE_ARGUMENT"


def test_to_char_date_with_column_format_is_not_implemented(spark: SparkSession) -> None:
    df = spark.createDataFrame([(datetime.date(2020, 1, 2), "yyyy")], "d date, f string")
    with pytest.raises(PySparkNotImplementedError):
        df.select(F.to_char(df.d, df.f)).collect()


def test_to_char_folds_a_constant_format(spark: SparkSession) -> None:
    df = spark.createDataFrame([(78.12,)], "e double")
    row = df.select(F.to_char(df.e, F.concat(F.lit("$99"), F.lit(".99")))).first()
    assert row is not None
    assert row[0] == "$78.12"


def test_to_variant_object_refuses_non_string_map_keys(spark: SparkSession) -> None:
    df = spark.createDataFrame([({1: "a"},)], "k map<int,string>")
    with pytest.raises(AnalysisException) as caught:
        df.select(F.to_variant_object("k")).collect()
    assert caught.value.getCondition() == "DATATYPE_MISMATCH.CAST_WITHOUT_SUGGESTION"
    assert '"MAP<INT, STRING>"' in str(caught.value)


def test_to_variant_object_of_a_date_map_is_not_implemented(spark: SparkSession) -> None:
    df = spark.createDataFrame([({"d": datetime.date(2020, 1, 1)},)], "m map<string,date>")
    with pytest.raises(PySparkNotImplementedError):
        df.select(F.to_variant_object("m")).collect()


def test_activated_errors_name_pyspark_captured_module() -> None:
    from kaspar import errors
    from kaspar.activation import activate, deactivate

    activate()
    try:
        assert errors.AnalysisException.__module__ == "pyspark.errors.exceptions.captured"
    finally:
        deactivate()
    assert errors.AnalysisException.__module__ == "kaspar.errors"


def test_create_data_frame_refuses_none_in_a_not_null_field(spark: SparkSession) -> None:
    from kaspar.errors import PySparkValueError

    with pytest.raises(PySparkValueError) as caught:
        spark.createDataFrame([(1,), (None,)], "i int not null")
    assert caught.value.getCondition() == "FIELD_NOT_NULLABLE_WITH_NAME"
    assert str(caught.value).endswith("field i: This field is not nullable, but got None.")
