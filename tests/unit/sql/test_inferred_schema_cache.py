"""Inferred schemas are cached per process for unchanged files, and inferred again when a file
or an option changes (``kaspar.engine.sources.schema_cache``)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kaspar.engine.sources import schema_cache
from kaspar.sql import SparkSession


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


def _rewrite(path: Path, text: str) -> None:
    """Write ``text``, with a modification time that surely differs from the last one."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_json_modified_file_is_inferred_again(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    _rewrite(path, '{"a": 1}\n')
    assert spark.read.json(str(path)).schema.simpleString() == "struct<a:bigint>"
    assert spark.read.json(str(path)).schema.simpleString() == "struct<a:bigint>"
    _rewrite(path, '{"a": 1.5, "b": "x"}\n')
    assert spark.read.json(str(path)).schema.simpleString() == "struct<a:double,b:string>"


def test_csv_modified_file_and_options(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    _rewrite(path, "x,y\n1,2\n")
    reader = spark.read.option("header", "true").option("inferSchema", "true")
    assert reader.csv(str(path)).schema.simpleString() == "struct<x:int,y:int>"
    _rewrite(path, "x,y\n1,a\n")
    assert reader.csv(str(path)).schema.simpleString() == "struct<x:int,y:string>"
    plain = spark.read.option("header", "true").csv(str(path))
    assert plain.schema.simpleString() == "struct<x:string,y:string>"


def test_cache_hit_skips_inference_and_is_a_copy(tmp_path: Path) -> None:
    from kaspar.engine import types as T

    path = tmp_path / "f"
    path.write_text("x")
    calls: list[int] = []

    def infer() -> T.StructType:
        calls.append(1)
        return T.StructType([T.StructField("a", T.LongType(), True)])

    schema_cache.clear()
    first = schema_cache.inferred_schema("json", [str(path)], {}, infer)
    first.add("b", T.StringType())
    second = schema_cache.inferred_schema("json", [str(path)], {}, infer)
    assert len(calls) == 1
    assert second.names == ["a"]
    schema_cache.inferred_schema("json", [str(path)], {"samplingRatio": "0.5"}, infer)
    assert len(calls) == 2
