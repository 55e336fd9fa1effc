"""Python UDTFs: messages of the error paths (the parity suite compares their classes with
PySpark's), TableArg rules, batches larger than one DuckDB vector, and ``arrow_udf`` kinds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from kaspar.errors import PySparkAttributeError, PySparkValueError, PythonException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql.udtf import UDTFRegistration


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").create()
    yield session
    session.stop()


@F.udtf(returnType="c1: int, c2: int")
class PlusOne:
    def eval(self, x: int) -> Iterator[tuple[int, int]]:
        yield x, x + 1


def test_missing_return_type_names_the_class() -> None:
    class NoType:
        def eval(self, x: int) -> Iterator[tuple[int]]:
            yield (x,)

    with pytest.raises(PySparkAttributeError, match="'NoType' is invalid") as e:
        F.udtf(NoType)
    assert e.value.getCondition() == "INVALID_UDTF_RETURN_TYPE"


def test_arrow_udtf_refuses_analyze() -> None:
    class WithAnalyze:
        @staticmethod
        def analyze(x: Any) -> Any:
            raise AssertionError

        def eval(self, x: Any) -> Iterator[Any]:
            yield x

    with pytest.raises(PySparkAttributeError) as e:
        F.arrow_udtf(WithAnalyze)
    assert e.value.getCondition() == "INVALID_ARROW_UDTF_WITH_ANALYZE"


def test_wrong_column_count_says_expected_and_actual(spark: SparkSession) -> None:
    @F.udtf(returnType="a int, b int, c int")
    class Short:
        def eval(self, x: int) -> Iterator[tuple[int]]:
            yield (x,)

    with pytest.raises(PythonException, match="Expected column count: 3, Actual column count: 1"):
        Short(F.lit(1)).collect()


def test_eval_error_is_a_udtf_exec_error(spark: SparkSession) -> None:
    @F.udtf(returnType="a int")
    class Fails:
        def eval(self, x: int) -> Iterator[tuple[int]]:
            raise ValueError("boom")
            yield (x,)

    with pytest.raises(PythonException, match=r"UDTF_EXEC_ERROR.*'eval' method: boom"):
        Fails(F.lit(1)).collect()


def test_eval_returning_a_non_iterable(spark: SparkSession) -> None:
    @F.udtf(returnType="a int")
    class NotIterable:
        def eval(self, x: int) -> int:
            return x

    with pytest.raises(PythonException, match="UDTF_RETURN_NOT_ITERABLE"):
        NotIterable(F.lit(1)).collect()


def test_register_refuses_a_function(spark: SparkSession) -> None:
    registry: UDTFRegistration = spark.udtf
    with pytest.raises(TypeError, match="CANNOT_REGISTER_UDTF"):
        registry.register("f", lambda x: x)  # type: ignore[arg-type]


def test_table_arg_order_rules(spark: SparkSession) -> None:
    table = spark.range(3).asTable()
    with pytest.raises(PySparkValueError):
        table.withSinglePartition().partitionBy("id")
    with pytest.raises(PySparkValueError):
        table.partitionBy("id").withSinglePartition()


def test_terminate_rows_follow_the_last_row_of_a_lateral_join(spark: SparkSession) -> None:
    @F.udtf(returnType="n int")
    class Count:
        def __init__(self) -> None:
            self.n = 0

        def eval(self, x: int) -> None:
            self.n += 1

        def terminate(self) -> Iterator[tuple[int]]:
            yield (self.n,)

    df = spark.createDataFrame([(1,), (2,), (3,)], "x int")
    rows = df.lateralJoin(Count(F.col("x").outer())).collect()
    assert sum(r.n for r in rows) == 3  # every row is counted once, however batches fall


def test_many_rows_through_a_table_argument(spark: SparkSession) -> None:
    df = spark.range(5000).selectExpr("id % 7 AS k", "id")

    @F.udtf(returnType="k bigint, total bigint")
    class Sum:
        def __init__(self) -> None:
            self.k, self.total = None, 0

        def eval(self, row: Any) -> None:
            self.k = row["k"]
            self.total += row["id"]

        def terminate(self) -> Iterator[tuple[Any, int]]:
            yield self.k, self.total

    got = {r.k: r.total for r in Sum(df.asTable().partitionBy("k")).collect()}
    assert got == {k: sum(i for i in range(5000) if i % 7 == k) for k in range(7)}
    doubled = PlusOne(F.lit(2)).crossJoin(spark.range(3)).count()
    assert doubled == 3


def test_udtf_sql_with_table_query(spark: SparkSession) -> None:
    @F.udtf(returnType="x bigint")
    class Echo:
        def eval(self, row: Any) -> Iterator[tuple[int]]:
            yield (row["id"],)

    spark.udtf.register("kaspar_echo", Echo)
    rows = spark.sql("SELECT * FROM kaspar_echo(TABLE(SELECT id FROM range(3)))").collect()
    assert sorted(r.x for r in rows) == [0, 1, 2]


def test_arrow_udf_wrong_length_is_a_python_exception(spark: SparkSession) -> None:
    @F.arrow_udf("long")
    def first_only(v: pa.Array) -> pa.Array:
        return v.slice(0, 1)

    with pytest.raises(PythonException):
        spark.range(3).select(first_only("id")).collect()


def test_arrow_udf_iterator_of_tuples(spark: SparkSession) -> None:
    @F.arrow_udf("long")
    def multiply(it: Iterator[tuple[pa.Array, pa.Array]]) -> Iterator[pa.Array]:
        for a, b in it:
            yield pc.multiply(a, b)

    rows = spark.range(4).select(multiply("id", "id").alias("sq")).collect()
    assert [r.sq for r in rows] == [0, 1, 4, 9]


def test_arrow_udf_aggregate_over_a_window(spark: SparkSession) -> None:
    from kaspar.sql import Window

    @F.arrow_udf("double")
    def mean_udf(v: pa.Array) -> float:
        return float(pc.mean(v).as_py())

    df = spark.createDataFrame([(1, 1.0), (1, 2.0), (2, 3.0), (2, 5.0)], "id int, v double")
    w = Window.partitionBy("id").rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    rows = df.withColumn("mean_v", mean_udf("v").over(w)).orderBy("id", "v").collect()
    assert [r.mean_v for r in rows] == [1.5, 1.5, 4.0, 4.0]
