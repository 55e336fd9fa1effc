"""Grouped, cogrouped and batch-mapped Python functions run when an action needs them, once
per group, with Spark's errors."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from kaspar.errors import PySparkTypeError, PythonException
from kaspar.sql import SparkSession


@pytest.fixture(scope="module")
def spark():
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").create()
    yield session
    session.stop()


@pytest.fixture()
def values(spark):
    return spark.createDataFrame([(1, 1.0), (1, 2.0), (2, 3.0), (None, 4.0)], "id long, v double")


def test_nothing_runs_until_an_action(values):
    calls = []

    def record(pdf):
        calls.append(len(pdf))
        return pdf

    df = values.groupBy("id").applyInPandas(record, "id long, v double")
    assert calls == []
    assert df.schema.simpleString() == "struct<id:bigint,v:double>"
    assert calls == []
    assert sorted(df.collect(), key=lambda r: r.v)[0].v == 1.0
    assert sorted(calls) == [1, 1, 2]  # one call per group, the null key its own group


def test_cogroup_keys_of_either_side(spark):
    left = spark.createDataFrame([(1, "a"), (2, "b")], "k long, l string")
    right = spark.createDataFrame([(2, 1.0), (3, 2.0), (3, 3.0)], "key long, r double")

    def sizes(key, lt, rt):
        return pa.table(
            {"k": pa.array([key[0].as_py()], pa.int64()), "n": [lt.num_rows + rt.num_rows]}
        )

    df = left.groupBy("k").cogroup(right.groupBy("key")).applyInArrow(sizes, "k long, n long")
    assert sorted(tuple(r) for r in df.collect()) == [(1, 1), (2, 2), (3, 2)]


def test_cogroup_needs_the_same_number_of_keys(spark):
    df = spark.createDataFrame([(1, 2)], "a long, b long")
    with pytest.raises(PySparkTypeError, match="same number of grouping keys"):
        df.groupBy("a").cogroup(df.groupBy("a", "b"))


def test_function_must_be_callable(values):
    with pytest.raises(PySparkTypeError) as info:
        values.groupBy("id").applyInArrow(42, "id long")
    assert info.value.getCondition() == "NOT_CALLABLE"


def test_errors_of_the_function_surface_at_the_action(values):
    def broken(pdf):
        raise ValueError("no good")

    df = values.groupBy("id").applyInPandas(broken, "id long")
    with pytest.raises(PythonException) as info:
        df.count()
    assert info.value.getCondition() == "PYTHON_EXCEPTION"
    assert "ValueError: no good" in str(info.value)
    assert "An exception was thrown from the Python worker:" in str(info.value)


def test_wrong_result_type_is_reported(values):
    df = values.groupBy("id").applyInPandas(lambda pdf: [1, 2], "id long")
    with pytest.raises(PythonException, match=r"UDF_RETURN_TYPE.*pandas\.DataFrame, but is list"):
        df.collect()


def test_struct_keys_group_by_value(spark):
    df = spark.createDataFrame(
        [((1, "x"), 1), ((1, "x"), 2), ((2, "y"), 3)], "s struct<a:int,b:string>, v long"
    )
    out = df.groupBy("s").applyInPandas(lambda pdf: pd.DataFrame({"n": [len(pdf)]}), "n long")
    assert sorted(r.n for r in out.collect()) == [1, 2]


def test_map_in_arrow_casts_and_is_lazy(values):
    calls = []

    def halves(batches):
        calls.append(1)
        for b in batches:
            yield pa.table({"id": b.column("id"), "v": pa.array([1] * b.num_rows, pa.int32())})

    df = values.mapInArrow(halves, "id long, v double")
    assert calls == []
    assert [r.v for r in df.collect()] == [1.0] * 4
