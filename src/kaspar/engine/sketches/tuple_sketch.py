"""Spark's Tuple sketch functions (double and integer summaries) on Apache DataSketches.

Keys hash as Theta keys do; each key keeps a summary combined in the sketch's mode (sum, min, max,
alwaysone: ``tuple_summaries``). As with Theta, Spark's final aggregation step passes the sketch
through a ``Union`` and writes it compact and unordered; the C++ library gives the same bytes,
but marks a one-entry or empty sketch as ordered where Java does not (``_bytes`` clears the bit).
A Theta sketch meets a Tuple sketch with each of its keys given a new summary of the mode.
"""

from __future__ import annotations

import collections
import math
import struct
from collections.abc import Callable
from typing import Any

import datasketches as ds
import pyarrow as pa
import pyarrow.compute as pc

from kaspar.engine.sketches import errors
from kaspar.engine.sketches.arrow_values import (
    constant,
    group_sketches,
    group_values,
    is_bytes,
    is_text,
    keys_for_update,
    per_row,
    read_sketch,
)
from kaspar.engine.sketches.tuple_summaries import SERDES, SummaryPolicy

DEFAULT_LG_NOM = 12
_ORDERED_FLAG = 0x10
_MAX_THETA = 2**63 - 1


def _is_key_type(atype: pa.DataType) -> bool:
    return (
        bool(pa.types.is_integer(atype) or pa.types.is_floating(atype))
        or is_text(atype)
        or is_bytes(atype)
    )


def _bytes(sketch: Any, kind: str) -> bytes:
    data: bytes = sketch.serialize(SERDES[kind])
    if data[0] == 1:  # empty or one entry: Java leaves the ordered flag unset
        return data[:5] + bytes([data[5] & ~_ORDERED_FLAG]) + data[6:]
    return data


def _read(kind: str, data: bytes, function: str) -> Any:
    return read_sketch(
        lambda b: ds.compact_tuple_sketch.deserialize(b, SERDES[kind]), data, "tuple", function
    )


def _theta_as_tuple(data: bytes, kind: str, mode: str, function: str) -> Any:
    """A Theta sketch as a Tuple sketch whose keys all hold a new summary of ``mode``."""
    theta = read_sketch(ds.compact_theta_sketch.deserialize, data, "theta", function)
    policy = SummaryPolicy(kind, mode)
    if theta.is_empty():
        return ds.update_tuple_sketch(policy).compact(False)
    hashes = list(theta)
    pre_longs = 2 if theta.theta64 == _MAX_THETA else 3
    head = struct.pack("<BBBBBBH", pre_longs, 3, 9, 1, 0, 0x0A, theta.get_seed_hash())
    head += struct.pack("<II", len(hashes), 0)
    if pre_longs == 3:
        head += struct.pack("<q", theta.theta64)
    summary = SERDES[kind].to_bytes(policy.create_summary())
    entries = b"".join(struct.pack("<q", h) + summary for h in hashes)
    return ds.compact_tuple_sketch.deserialize(head + entries, SERDES[kind])


def _entries(data: bytes, kind: str) -> tuple[bytes, dict[int, bytes]]:
    """A serialized sketch's header and its entries by hash."""
    if data[0] == 1:
        return data, {}
    start, size = data[0] * 8, 8 + SERDES[kind].get_size((0, 0))
    entries = (data[i : i + size] for i in range(start, len(data), size))
    return data[:start], {struct.unpack_from("<q", e)[0]: e for e in entries}


def _insert(table: list[int | None], lg: int, h: int) -> bool:
    """Java's open addressing: home slot ``h & mask``, then Java's odd stride."""
    mask = (1 << lg) - 1
    slot, stride = h & mask, 2 * ((h >> lg) & 127) + 1
    while table[slot] is not None:
        if table[slot] == h:
            return False
        slot = (slot + stride) & mask
    table[slot] = h
    return True


def _java_table(hashes: list[int], top: int, start: int) -> list[int]:
    """The hashes in the slot order of a Java table they were inserted into in this order:
    2^start slots, growing by 8x while more than half full up to 2^top."""
    lg, count = start, 0
    table: list[int | None] = [None] * (1 << lg)
    for h in hashes:
        count += _insert(table, lg, h)
        if lg < top and count > (1 << lg) // 2:
            lg = min(lg + 3, top)
            old, table = table, [None] * (1 << lg)
            for x in old:
                if x is not None:
                    _insert(table, lg, x)
    return [h for h in table if h is not None]


def _union(kind: str, mode: str, lg: int, sketches: list[Any]) -> bytes:
    """Java's tuple ``Union``: it trims to k entries only past its table's capacity (2^(lg+1)
    slots), so the C++ union runs one size up; Java writes the entries in its table's order,
    which ``_java_table`` rebuilds from the order the inputs offered them in."""
    union = ds.tuple_union(SummaryPolicy(kind, mode), lg + 1)
    offered: list[int] = []
    theta = _MAX_THETA
    for sketch in sketches:
        union.update(sketch)
        theta = min(theta, sketch.theta64)
        offered += [h for h, _ in sketch if h < theta]
    header, entries = _entries(_bytes(union.get_result(False), kind), kind)
    if not entries:
        return header
    top = lg + 1
    order = _java_table(offered, top, (top - 5) % 3 + 5 if top > 5 else 5)
    return header + b"".join(entries[h] for h in order if h in entries)


def _intersection_order(data: bytes, kind: str) -> bytes:
    """A Java intersection's result table: at least 32 slots, filled to at most 15/16."""
    header, entries = _entries(data, kind)
    if not entries:
        return header
    lg = max(5, (math.ceil(len(entries) / 0.9375) - 1).bit_length())
    order = _java_table(list(entries), lg, lg)
    return header + b"".join(entries[h] for h in order)


def _intersection(kind: str, mode: str, sketches: list[Any]) -> bytes:
    intersection = ds.tuple_intersection(SummaryPolicy(kind, mode))
    for sketch in sketches:
        intersection.update(sketch)
    if not intersection.has_result():
        return _bytes(ds.update_tuple_sketch(SummaryPolicy(kind, mode)).compact(False), kind)
    return _intersection_order(_bytes(intersection.get_result(False), kind), kind)


def sketch_agg(kind: str) -> Callable[..., pa.Array]:
    """``tuple_sketch_agg_<kind>(key, summary, lgNomEntries, mode)``: over ``list({k, v})``."""
    number = float if kind == "double" else int

    def aggregate(lists: pa.Array, lg_nom: pa.Array, mode_column: pa.Array) -> pa.Array:
        lg, mode = constant(lg_nom, DEFAULT_LG_NOM), constant(mode_column, "sum")
        out = []
        for pairs in group_values(lists):
            sketch = ds.update_tuple_sketch(SummaryPolicy(kind, mode), lg)
            if pairs is not None and len(pairs):
                keys, values = pairs.field(0), pairs.field(1)
                if not _is_key_type(keys.type):
                    raise errors.not_supported(f"tuple_sketch_agg_{kind} over {keys.type}")
                present = pc.and_(keys.is_valid(), values.is_valid())
                summaries = [number(v) for v in values.filter(present).to_pylist()]
                updates = map(sketch.update, keys_for_update(keys.filter(present)), summaries)
                collections.deque(updates, maxlen=0)
            out.append(_union(kind, mode, lg, [sketch.compact(False)]))
        return pa.array(out, pa.binary())

    return aggregate


def union_agg(kind: str) -> Callable[..., pa.Array]:
    function = f"tuple_union_agg_{kind}"

    def aggregate(lists: pa.Array, lg_nom: pa.Array, mode_column: pa.Array) -> pa.Array:
        lg, mode = constant(lg_nom, DEFAULT_LG_NOM), constant(mode_column, "sum")
        out = [
            _union(kind, mode, lg, [_read(kind, d, function) for d in group_sketches(values)])
            for values in group_values(lists)
        ]
        return pa.array(out, pa.binary())

    return aggregate


def intersection_agg(kind: str) -> Callable[..., pa.Array]:
    function = f"tuple_intersection_agg_{kind}"

    def aggregate(lists: pa.Array, mode_column: pa.Array) -> pa.Array:
        mode = constant(mode_column, "sum")
        out = [
            _intersection(kind, mode, [_read(kind, d, function) for d in group_sketches(values)])
            for values in group_values(lists)
        ]
        return pa.array(out, pa.binary())

    return aggregate


def estimate(kind: str) -> Callable[[pa.Array], pa.Array]:
    function = f"tuple_sketch_estimate_{kind}"
    return lambda sketches: per_row(
        (sketches,), lambda d: float(_read(kind, d, function).get_estimate()), pa.float64()
    )


def theta(kind: str) -> Callable[[pa.Array], pa.Array]:
    function = f"tuple_sketch_theta_{kind}"
    return lambda sketches: per_row(
        (sketches,), lambda d: float(_read(kind, d, function).theta), pa.float64()
    )


def summary(kind: str) -> Callable[[pa.Array, pa.Array], pa.Array]:
    """``tuple_sketch_summary_<kind>(sketch, mode)``: the entries' values combined in ``mode``
    (alwaysone counts them)."""
    function = f"tuple_sketch_summary_{kind}"
    result_type = pa.float64() if kind == "double" else pa.int64()

    def combined(mode: str, data: bytes) -> float | int:
        values = [entry[1][0] for entry in _read(kind, data, function)]
        if mode == "alwaysone":
            return len(values)
        if not values:
            return 0
        result: float | int = min(values) if mode == "min" else max(values)
        return result if mode in ("min", "max") else sum(values)

    def summaries(sketches: pa.Array, mode_column: pa.Array) -> pa.Array:
        mode = constant(mode_column, "sum")
        return per_row((sketches,), lambda d: combined(mode, d), result_type)

    return summaries


def _pairwise(
    kind: str, name: str, theta_right: bool
) -> Callable[..., Callable[[bytes, bytes], bytes]]:
    """The operation on two sketches (the right one a Theta sketch for ``*_theta``)."""
    function = f"tuple_{name}{'_theta' if theta_right else ''}_{kind}"

    def operation(lg: int, mode: str) -> Callable[[bytes, bytes], bytes]:
        def run(a: bytes, b: bytes) -> bytes:
            left = _read(kind, a, function)
            right = (
                _theta_as_tuple(b, kind, mode, function)
                if theta_right
                else _read(kind, b, function)
            )
            if name == "union":
                return _union(kind, mode, lg, [left, right])
            if name == "intersection":
                return _intersection(kind, mode, [left, right])
            return _bytes(ds.tuple_a_not_b().compute(left, right, False), kind)

        return run

    return operation


def union(kind: str, theta_right: bool = False) -> Callable[..., pa.Array]:
    operation = _pairwise(kind, "union", theta_right)

    def unions(left: pa.Array, right: pa.Array, lg_nom: pa.Array, mode: pa.Array) -> pa.Array:
        run = operation(constant(lg_nom, DEFAULT_LG_NOM), constant(mode, "sum"))
        return per_row((left, right), run, pa.binary())

    return unions


def intersection(kind: str, theta_right: bool = False) -> Callable[..., pa.Array]:
    operation = _pairwise(kind, "intersection", theta_right)

    def intersections(left: pa.Array, right: pa.Array, mode: pa.Array) -> pa.Array:
        run = operation(DEFAULT_LG_NOM, constant(mode, "sum"))
        return per_row((left, right), run, pa.binary())

    return intersections


def difference(kind: str, theta_right: bool = False) -> Callable[..., pa.Array]:
    operation = _pairwise(kind, "difference", theta_right)(DEFAULT_LG_NOM, "sum")
    return lambda left, right: per_row((left, right), operation, pa.binary())
