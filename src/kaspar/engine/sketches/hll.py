"""Spark's HLL sketch functions on Apache DataSketches (``HllSketch``, target type HLL_8).

Spark's ``hll_sketch_agg`` updates one sketch per group and, as its final aggregation step, merges
it through a ``Union`` of the same lgConfigK whose HLL_8 result it serializes in the updatable
form (``toUpdatableByteArray``). The same steps on the C++ library give the same bytes: values
hash alike (integers as 64-bit longs, strings as their UTF-8 bytes; empty strings and byte
strings are ignored).
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
)

DEFAULT_LG_K = 12
_LG_K_BOUNDS = (4, 21)
_EXPECTED = '("INT" or "BIGINT" or "STRING" or "BINARY")'


def _accepts(atype: pa.DataType) -> bool:
    return atype in (pa.int32(), pa.int64()) or is_text(atype) or is_bytes(atype)


def _updatable(union: Any) -> bytes:
    data: bytes = union.get_result(ds.HLL_8).serialize_updatable()
    return data


def _read(data: bytes, function: str) -> Any:
    return read_sketch(ds.hll_sketch.deserialize, data, "hll", function)


def hll_sketch_agg(lists: pa.Array, lg_k: pa.Array, *spark: pa.Array) -> pa.Array:
    """One sketch per group: ``hll_sketch_agg(col, lgConfigK)``."""
    k = constant(lg_k, DEFAULT_LG_K)
    if not _LG_K_BOUNDS[0] <= k <= _LG_K_BOUNDS[1]:
        raise errors.out_of_range(
            "HLL_INVALID_LG_K", "hll_sketch_agg", "lgConfigK", _LG_K_BOUNDS, k
        )
    check_value_type(lists, _accepts, _EXPECTED, list(spark))
    out = []
    for values in group_keys(lists):
        sketch = ds.hll_sketch(k, ds.HLL_8)
        if values is not None:
            feed(sketch.update, values)
        union = ds.hll_union(k)
        union.update(sketch)
        out.append(_updatable(union))
    return pa.array(out, pa.binary())


def _union(sketches: list[bytes], allow: bool) -> bytes:
    union = None
    for data in sketches:
        sketch = _read(data, "hll_union_agg")
        if union is None:
            union = ds.hll_union(sketch.lg_config_k)
        elif not allow and union.lg_config_k != sketch.lg_config_k:
            raise errors.different_lg_k(union.lg_config_k, sketch.lg_config_k, "hll_union_agg")
        union.update(sketch)
    return _updatable(union or ds.hll_union(DEFAULT_LG_K))


def hll_union_agg(lists: pa.Array, allow_different: pa.Array) -> pa.Array:
    """One union per group of sketches: ``hll_union_agg(col, allowDifferentLgConfigK)``."""
    allow = bool(constant(allow_different, False))
    out = [_union(group_sketches(values), allow) for values in group_values(lists)]
    return pa.array(out, pa.binary())


def hll_sketch_estimate(sketches: pa.Array) -> pa.Array:
    return estimates(sketches, lambda data: _read(data, "hll_sketch_estimate"))


def hll_union(left: pa.Array, right: pa.Array, allow_different: pa.Array) -> pa.Array:
    """Two sketches merged through a Union of the smaller lgConfigK."""
    allow = bool(constant(allow_different, False))

    def merge(a: bytes, b: bytes) -> bytes:
        one, two = _read(a, "hll_union"), _read(b, "hll_union")
        if not allow and one.lg_config_k != two.lg_config_k:
            raise errors.different_lg_k(one.lg_config_k, two.lg_config_k, "hll_union")
        union = ds.hll_union(min(one.lg_config_k, two.lg_config_k))
        union.update(one)
        union.update(two)
        return _updatable(union)

    return per_row((left, right), merge, pa.binary())
