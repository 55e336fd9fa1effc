"""DataFrame methods whose results PySpark cannot match row for row: randomSplit's rows,
foreach side effects, toJSON's DataFrame, isLocal, inputFiles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kaspar.errors import PySparkTypeError
from kaspar.sql import DataFrame, Row, SparkSession
from kaspar.sql import functions as F


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").create()
    yield session
    session.stop()


@pytest.fixture
def df(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([(i, f"v{i}") for i in range(200)], "id int, s string")


def test_random_split_is_disjoint_and_complete(df: DataFrame) -> None:
    parts = df.randomSplit([1.0, 2.0, 7.0], seed=5)
    ids = [[r.id for r in p.collect()] for p in parts]
    assert sorted(i for part in ids for i in part) == list(range(200))
    assert all(part for part in ids)
    assert len(ids[0]) < len(ids[2])


def test_random_split_is_deterministic_for_a_seed(df: DataFrame) -> None:
    first = [p.collect() for p in df.randomSplit([0.5, 0.5], seed=42)]
    again = [p.collect() for p in df.randomSplit([0.5, 0.5], seed=42)]
    other = [p.collect() for p in df.randomSplit([0.5, 0.5], seed=43)]
    assert first == again
    assert first != other


def test_random_split_parts_keep_the_schema(df: DataFrame) -> None:
    part = df.randomSplit([1.0, 1.0])[0]
    assert part.schema == df.schema
    assert part.filter(F.col("id") < 0).count() == 0


def test_foreach_calls_f_once_per_row(df: DataFrame) -> None:
    seen: list[Row] = []
    df.limit(3).foreach(seen.append)
    assert seen == [Row(id=0, s="v0"), Row(id=1, s="v1"), Row(id=2, s="v2")]


def test_foreach_partition_gets_one_iterator(df: DataFrame) -> None:
    calls: list[list[Row]] = []
    df.limit(2).foreachPartition(lambda rows: calls.append(list(rows)))
    assert calls == [[Row(id=0, s="v0"), Row(id=1, s="v1")]]


def test_to_json_is_a_dataframe_of_strings(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, None, [1, 2]), (2, "b", None)], "a int, b string, c array<int>")
    json = df.toJSON()
    assert json.columns == ["value"]
    assert [r.value for r in json.collect()] == ['{"a":1,"c":[1,2]}', '{"a":2,"b":"b"}']


def test_is_local(spark: SparkSession, df: DataFrame, tmp_path: Path) -> None:
    assert df.isLocal()
    assert not df.select("id").isLocal()
    df.write.parquet(str(tmp_path / "p"))
    assert not spark.read.parquet(str(tmp_path / "p")).isLocal()


def test_input_files(spark: SparkSession, df: DataFrame, tmp_path: Path) -> None:
    df.write.parquet(str(tmp_path / "p"))
    read = spark.read.parquet(str(tmp_path / "p"))
    files = read.union(df).inputFiles()
    assert files
    assert all(f.startswith("file:///") and f.endswith(".parquet") for f in files)
    assert df.inputFiles() == []


def test_col_regex_needs_a_string(df: DataFrame) -> None:
    with pytest.raises(PySparkTypeError):
        df.colRegex(["id"])  # type: ignore[arg-type]
