"""Spark's Theta sketch functions on Apache DataSketches (compact sketches, compressed form).

Spark's ``theta_sketch_agg`` updates one sketch per group (lgNomEntries, seed 9001) and its final
aggregation step merges it through a ``Union`` of the same size, serializing the result with
``toByteArrayCompressed``. The C++ library, fed alike, gives the same bytes but for two: Java
writes a zero seed hash in an empty sketch (``_EMPTY``) and flags a one-entry sketch as a single
item. Integers hash as 64-bit longs, floats as doubles, strings and byte strings as their bytes
(empty ones ignored).
"""

from __future__ import annotations

from typing import Any

import datasketches as ds
import pyarrow as pa

from kaspar.engine.sketches import errors
from kaspar.engine.sketches.arrow_values import (
    check_value_type,
    constant,
    estimates,
    feed,
    group_keys,
    group_sketches,
    group_values,
    is_bytes,
    is_text,
    per_row,
    read_sketch,
    spark_type_name,
)

DEFAULT_LG_NOM = 12
_LG_NOM_BOUNDS = (4, 26)
_EMPTY = bytes.fromhex("01030300001e0000")  # Java's empty compact sketch
_SINGLE_ITEM_SIZE, _SINGLE_ITEM_FLAG = 16, 0x20
_NUMBERS = (pa.int32(), pa.int64(), pa.float32(), pa.float64())
_ARRAYS = ("ARRAY<INT>", "ARRAY<BIGINT>")
_EXPECTED = (
    '("ARRAY<INT>" or "ARRAY<BIGINT>" or "BINARY" or "DOUBLE" or "FLOAT" or "INT" or '
    '"BIGINT" or "STRING")'
)


def _bytes(sketch: Any) -> bytes:
    if sketch.is_empty():
        return _EMPTY
    data: bytes = sketch.serialize(True)
    if len(data) == _SINGLE_ITEM_SIZE and data[0] == 1:  # Java flags a lone hash
        return data[:5] + bytes([data[5] | _SINGLE_ITEM_FLAG]) + data[6:]
    return data


def _read(data: bytes, function: str) -> Any:
    return read_sketch(ds.compact_theta_sketch.deserialize, data, "theta", function)


def _lg_nom(column: pa.Array, function: str) -> int:
    lg: int = constant(column, DEFAULT_LG_NOM)
    if not _LG_NOM_BOUNDS[0] <= lg <= _LG_NOM_BOUNDS[1]:
        raise errors.out_of_range(
            "SKETCH_INVALID_LG_NOM_ENTRIES", function, "lgNomEntries", _LG_NOM_BOUNDS, lg
        )
    return lg


def _accepts(atype: pa.DataType) -> bool:
    if spark_type_name(atype) in _ARRAYS:
        raise errors.not_supported(f"theta_sketch_agg over {spark_type_name(atype)}")
    return atype in _NUMBERS or is_text(atype) or is_bytes(atype)


def theta_sketch_agg(lists: pa.Array, lg_nom: pa.Array, *spark: pa.Array) -> pa.Array:
    """One compact sketch per group: ``theta_sketch_agg(col, lgNomEntries)``."""
    lg = _lg_nom(lg_nom, "theta_sketch_agg")
    check_value_type(lists, _accepts, _EXPECTED, list(spark))
    out = []
    for values in group_keys(lists):
        sketch = ds.update_theta_sketch(lg)
        if values is not None:
            feed(sketch.update, values)
        union = ds.theta_union(lg)
        union.update(sketch.compact())
        out.append(_bytes(union.get_result()))
    return pa.array(out, pa.binary())


def theta_union_agg(lists: pa.Array, lg_nom: pa.Array) -> pa.Array:
    lg = _lg_nom(lg_nom, "theta_union_agg")
    out = []
    for values in group_values(lists):
        union = ds.theta_union(lg)
        for data in group_sketches(values):
            union.update(_read(data, "theta_union_agg"))
        out.append(_bytes(union.get_result()))
    return pa.array(out, pa.binary())


def theta_intersection_agg(lists: pa.Array) -> pa.Array:
    out = []
    for values in group_values(lists):
        intersection = ds.theta_intersection()
        for data in group_sketches(values):
            intersection.update(_read(data, "theta_intersection_agg"))
        out.append(_bytes(intersection.get_result()) if intersection.has_result() else _EMPTY)
    return pa.array(out, pa.binary())


def theta_sketch_estimate(sketches: pa.Array) -> pa.Array:
    return estimates(sketches, lambda data: _read(data, "theta_sketch_estimate"))


def theta_union(left: pa.Array, right: pa.Array, lg_nom: pa.Array) -> pa.Array:
    lg = _lg_nom(lg_nom, "theta_union")

    def union_of(a: bytes, b: bytes) -> bytes:
        union = ds.theta_union(lg)
        union.update(_read(a, "theta_union"))
        union.update(_read(b, "theta_union"))
        return _bytes(union.get_result())

    return per_row((left, right), union_of, pa.binary())


def theta_intersection(left: pa.Array, right: pa.Array) -> pa.Array:
    def intersection_of(a: bytes, b: bytes) -> bytes:
        intersection = ds.theta_intersection()
        intersection.update(_read(a, "theta_intersection"))
        intersection.update(_read(b, "theta_intersection"))
        return _bytes(intersection.get_result())

    return per_row((left, right), intersection_of, pa.binary())


def theta_difference(left: pa.Array, right: pa.Array) -> pa.Array:
    difference = ds.theta_a_not_b()

    def a_not_b(a: bytes, b: bytes) -> bytes:
        return _bytes(
            difference.compute(_read(a, "theta_difference"), _read(b, "theta_difference"))
        )

    return per_row((left, right), a_not_b, pa.binary())
