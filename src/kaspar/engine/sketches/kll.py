"""Spark's KLL quantile sketches on Apache DataSketches, one ``KllKind`` per Spark flavour.

``bigint`` is Java's ``KllLongsSketch``: the Python binding has no 64-bit integer KLL, but its
items sketch serialized with ``PyLongsSerDe`` has the same layout (8-byte little-endian items),
so it reads and writes Spark's bytes. ``float`` and ``double`` are the binding's own sketches,
fed in bulk from numpy. Spark's final aggregation step merges each partial sketch into an empty
one (which reverses level 0), and so does ``_final`` here: one partition gives Spark's bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import datasketches as ds
import numpy as np
import pyarrow as pa

from kaspar.engine.sketches.arrow_values import (
    check_value_type,
    constant,
    feed,
    group_sketches,
    group_values,
    per_row,
    read_sketch,
)
from kaspar.engine.streaming.progress_report import java_double

DEFAULT_K = 200
_SERDE = ds.PyLongsSerDe()


@dataclass(frozen=True)
class KllKind:
    """One of Spark's KLL flavours: how to build, read, write and feed its sketch."""

    suffix: str
    java_class: str
    item_bytes: int
    value_type: pa.DataType
    accepts: tuple[pa.DataType, ...]
    expected: str
    new: Callable[[int], Any]
    read: Callable[[bytes], Any]
    write: Callable[[Any], bytes]
    feed: Callable[[Any, pa.Array], None]
    show: Callable[[Any], str]


def _feed_longs(sketch: Any, values: pa.Array) -> None:
    feed(sketch.update, values.cast(pa.int64()).to_pylist())


def _feed_numpy(dtype: type) -> Callable[[Any, pa.Array], None]:
    def update(sketch: Any, values: pa.Array) -> None:
        sketch.update(np.array(values.to_numpy(zero_copy_only=False), dtype=dtype))

    return update


KINDS: dict[str, KllKind] = {
    "bigint": KllKind(
        "bigint", "KllLongsSketch", 8, pa.int64(),
        (pa.int8(), pa.int16(), pa.int32(), pa.int64()),
        '("TINYINT" or "INT" or "BIGINT" or "SMALLINT")',
        ds.kll_items_sketch,
        lambda data: ds.kll_items_sketch.deserialize(data, _SERDE),
        lambda sketch: sketch.serialize(_SERDE),
        _feed_longs, str,
    ),
    "float": KllKind(
        "float", "KllFloatsSketch", 4, pa.float32(), (pa.float32(),), '"FLOAT"',
        ds.kll_floats_sketch, ds.kll_floats_sketch.deserialize, lambda s: s.serialize(),
        _feed_numpy(np.float32), lambda v: str(np.float32(v)),
    ),
    "double": KllKind(
        "double", "KllDoublesSketch", 8, pa.float64(), (pa.float32(), pa.float64()),
        '("FLOAT" or "DOUBLE")',
        ds.kll_doubles_sketch, ds.kll_doubles_sketch.deserialize, lambda s: s.serialize(),
        _feed_numpy(np.float64), java_double,
    ),
}  # fmt: skip


def read(kind: KllKind, data: bytes, function: str) -> Any:
    return read_sketch(kind.read, data, "kll", function)


def _final(kind: KllKind, k: int, sketch: Any) -> bytes:
    final = kind.new(k)
    final.merge(sketch)
    return kind.write(final)


def sketch_agg(kind: KllKind) -> Callable[..., pa.Array]:
    """``kll_sketch_agg_<kind>(col, k)``: one sketch per group (k checked by the facade)."""

    def aggregate(lists: pa.Array, k_column: pa.Array, *spark: pa.Array) -> pa.Array:
        k = constant(k_column, DEFAULT_K)
        check_value_type(lists, kind.accepts.__contains__, kind.expected, list(spark))
        out = []
        for values in group_values(lists):
            sketch = kind.new(k)
            if values is not None and len(values):
                kind.feed(sketch, values)
            out.append(_final(kind, k, sketch))
        return pa.array(out, pa.binary())

    return aggregate


def merge_agg(kind: KllKind) -> Callable[..., pa.Array]:
    """``kll_merge_agg_<kind>(col, k)``: the sketches of each group merged into one."""
    function = f"kll_merge_agg_{kind.suffix}"

    def aggregate(lists: pa.Array, k_column: pa.Array) -> pa.Array:
        k = constant(k_column, DEFAULT_K)
        out = []
        for values in group_values(lists):
            merged = kind.new(k)
            for data in group_sketches(values):
                merged.merge(read(kind, data, function))
            out.append(_final(kind, k, merged))
        return pa.array(out, pa.binary())

    return aggregate


def sketch_merge(kind: KllKind) -> Callable[..., pa.Array]:
    """``kll_sketch_merge_<kind>(left, right)``: the left sketch with the right merged in."""
    function = f"kll_sketch_merge_{kind.suffix}"

    def merge_two(a: bytes, b: bytes) -> bytes:
        sketch = read(kind, a, function)
        sketch.merge(read(kind, b, function))
        return kind.write(sketch)

    return lambda left, right: per_row((left, right), merge_two, pa.binary())


def get_n(kind: KllKind) -> Callable[[pa.Array], pa.Array]:
    function = f"kll_sketch_get_n_{kind.suffix}"

    def n(data: bytes) -> int:
        return int(read(kind, data, function).n)

    return lambda sketches: per_row((sketches,), n, pa.int64())
