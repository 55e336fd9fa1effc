"""The sketch functions' own parts: bulk Murmur3, java.util.Random, KLL capacity, type checks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaspar.engine.deferred_errors import recover
from kaspar.engine.sketches import histogram, hll, kll, kll_queries
from kaspar.engine.sketches.java_random import JavaRandom
from kaspar.engine.sketches.murmur3_batch import buffers, hash_unsafe_bytes
from kaspar.engine.spark_hash import hash_bytes
from kaspar.errors import AnalysisException, SparkRuntimeException


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=23), max_size=30), st.integers(0, 2**32 - 1), st.integers(0, 3))
def test_bulk_murmur3_matches_spark_hash(values: list[bytes], seed: int, skip: int) -> None:
    column = pa.array([b"x"] * skip + values, pa.binary()).slice(skip)
    offsets, data = buffers(column)
    got = hash_unsafe_bytes(offsets, data, np.full(len(values), seed, np.uint32))
    assert [int(h) for h in got] == [hash_bytes(v, seed) for v in values]


def test_java_random_first_values() -> None:
    # java.util.Random(1).nextInt(Integer.MAX_VALUE) and new Random(42).nextDouble()
    assert JavaRandom(1).next_int(2**31 - 1) == 0x5D8D6AB9
    assert JavaRandom(42).next_double() == pytest.approx(0.7275636800328681, abs=0)


def test_kll_level_capacities_follow_two_thirds() -> None:
    capacities = [kll_queries._level_capacity(200, depth) for depth in range(6)]
    assert capacities == [200, 133, 89, 59, 40, 26]
    assert kll_queries._level_capacity(8, 10) == 8  # never below m


def test_hll_agg_rejects_double_values_as_spark_analysis_error() -> None:
    lists = pa.array([[1.5, 2.5]], pa.list_(pa.float64()))
    spark = [pa.array(["hll_sketch_agg(d, 12)"]), pa.array(["d"])]
    with pytest.raises(RuntimeError) as raised:
        hll.hll_sketch_agg(lists, pa.array([12]), *spark)
    error = recover(str(raised.value))
    assert isinstance(error, AnalysisException)
    assert error.getCondition() == "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE"
    assert 'however "d" has the type "DOUBLE"' in str(error)


def test_kll_bigint_reads_values_beyond_double_precision() -> None:
    kind = kll.KINDS["bigint"]
    big = 2**62 + 1
    lists = pa.array([[big, -big, 3]], pa.list_(pa.int64()))
    spark = [pa.array(["kll_sketch_agg_bigint(v)"]), pa.array(["v"])]
    data = kll.sketch_agg(kind)(lists, pa.array([200]), *spark)[0].as_py()
    quantiles = kll_queries.get_quantile(kind, True)(pa.array([data]), pa.array([[0.0, 1.0]]))
    assert quantiles.to_pylist() == [[-big, big]]


def test_hll_estimate_of_garbage_is_spark_invalid_buffer() -> None:
    with pytest.raises(RuntimeError) as raised:
        hll.hll_sketch_estimate(pa.array([b"\x02\x01\x07garbage"]))
    error = recover(str(raised.value))
    assert isinstance(error, SparkRuntimeException)
    assert error.getCondition() == "HLL_INVALID_INPUT_SKETCH_BUFFER"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(-20, 20).map(float) | st.floats(-1e6, 1e6), max_size=200),
    st.integers(2, 12),
)
def test_numeric_histogram_c_matches_python(values: list[float], bins: int) -> None:
    pytest.importorskip("kaspar.engine.sketches._numeric_histogram")
    from kaspar.engine.sketches import _numeric_histogram

    python = histogram.NumericHistogram(bins)
    for v in values:
        python.add(v)
    xs, ys = _numeric_histogram.histogram(np.array(values, dtype=np.float64), bins)
    assert (xs, ys) == (python.xs, python.ys)
