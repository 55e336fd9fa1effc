"""Partitions and seeded randomness (docs/partitions.md): error paths, the session's
parallelism, and the bulk generators' contracts that PySpark parity cannot check."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from kaspar.engine.seeded import sequences
from kaspar.errors import IllegalArgumentException, PySparkTypeError, PySparkValueError
from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql._partitions import default_parallelism


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.getOrCreate()
    yield session


class _Conf:
    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, 1),
        ({"spark.master": "local"}, 1),
        ({"spark.master": "local[3]"}, 3),
        ({"spark.master": "local[5, 2]"}, 5),
        ({"spark.master": "spark://host:7077"}, 1),
        ({"spark.master": "local[3]", "spark.default.parallelism": "7"}, 7),
    ],
)
def test_default_parallelism(values: dict[str, str], expected: int) -> None:
    assert default_parallelism(_Conf(values)) == expected


def test_default_parallelism_all_cores() -> None:
    assert default_parallelism(_Conf({"spark.master": "local[*]"})) >= 1


def test_repartition_needs_positive_count(spark: SparkSession) -> None:
    with pytest.raises(IllegalArgumentException, match=r"Number of partitions \(0\)"):
        spark.range(3).repartition(0)
    with pytest.raises(IllegalArgumentException, match=r"Number of partitions \(-1\)"):
        spark.range(3).coalesce(-1)


def test_coalesce_needs_an_int(spark: SparkSession) -> None:
    with pytest.raises(PySparkTypeError):
        spark.range(3).coalesce("2")  # type: ignore[arg-type]


def test_repartition_by_range_needs_columns(spark: SparkSession) -> None:
    with pytest.raises(PySparkValueError, match="CANNOT_BE_EMPTY"):
        spark.range(3).repartitionByRange(2)


def test_seed_must_be_constant(spark: SparkSession) -> None:
    with pytest.raises(PySparkTypeError, match="NOT_INT"):
        F.randstr(4, F.col("id"))


def test_large_poisson_fraction_is_refused(spark: SparkSession) -> None:
    with pytest.raises(NotImplementedError):
        spark.range(3).sample(True, 50.0, 1)


def test_sample_fraction_bounds(spark: SparkSession) -> None:
    with pytest.raises(IllegalArgumentException, match=r"interval \[0, 1\]"):
        spark.range(3).sample(1.5, 1)
    with pytest.raises(IllegalArgumentException, match="nonnegative"):
        spark.range(3).sample(True, -1.0, 1)


def test_unseeded_values_are_random(spark: SparkSession) -> None:
    df = spark.range(0, 200, 1, 4).select(F.rand().alias("r"), F.uuid().alias("u"))
    rows = df.collect()
    assert all(0.0 <= r.r < 1.0 for r in rows)
    assert len({r.r for r in rows}) == 200
    assert all(
        re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", r.u)
        for r in rows
    )


def test_seeded_values_repeat(spark: SparkSession) -> None:
    df = spark.range(0, 5000, 1, 3).select(F.rand(11).alias("r"), F.randstr(5, 2).alias("s"))
    assert df.collect() == df.collect()


def test_many_rows_in_bulk(spark: SparkSession) -> None:
    df = spark.range(0, 300_000, 1, 7).select(F.rand(5).alias("r"), F.randn(5).alias("n"))
    mean, deviation = df.agg(F.avg("r"), F.stddev("n")).first()  # type: ignore[misc]
    assert abs(mean - 0.5) < 0.01
    assert abs(deviation - 1.0) < 0.01


def test_sequence_prefix_is_stable() -> None:
    short = sequences.sequence("double", 123, 10)[:10].copy()
    longer = sequences.sequence("double", 123, 100_000)
    assert (longer[:10] == short).all()


def test_missing_extension_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sequences, "_spark_rng", None)
    monkeypatch.setattr(sequences, "_cache", type(sequences._cache)())
    one = pa.array([1], pa.int64())
    with pytest.raises(RuntimeError, match="_spark_rng is not built"):
        sequences.rand(one, pa.array([0], pa.int32()), one)
