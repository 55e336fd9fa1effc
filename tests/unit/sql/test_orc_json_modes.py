"""ORC round trip (pyarrow) and JSON parse modes without PySpark."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaspar.errors import SparkException
from kaspar.sql import SparkSession


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


def test_orc_round_trip(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.createDataFrame([(1, "a"), (2, None)], "id int, s string")
    df.write.orc(str(tmp_path / "t"))
    back = spark.read.orc(str(tmp_path / "t"))
    assert back.schema.simpleString() == "struct<id:int,s:string>"
    assert sorted(tuple(r) for r in back.collect()) == [(1, "a"), (2, None)]
    assert (tmp_path / "t" / "_SUCCESS").exists()


def test_json_modes(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"a": 1}\nnot json\n')
    corrupt = spark.read.json(str(path), schema="a int, _corrupt_record string").collect()
    assert [tuple(r) for r in corrupt] == [(1, None), (None, "not json")]
    dropped = spark.read.json(str(path), schema="a int", mode="DROPMALFORMED").collect()
    assert [tuple(r) for r in dropped] == [(1,)]
    with pytest.raises(SparkException):
        spark.read.json(str(path), schema="a int", mode="FAILFAST").collect()
