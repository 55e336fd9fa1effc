"""What Spark reads out of a KLL sketch: quantiles, ranks, and Java's ``toString`` summary."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from kaspar.engine.sketches import errors
from kaspar.engine.sketches.arrow_values import binary_rows
from kaspar.engine.sketches.kll import KllKind, read

_M = 8  # the KLL minimum level width, as both libraries fix it
_EMPTY_FLAG, _SORTED_FLAG = 1, 2


def _query(
    kind: KllKind, fn: str, many: bool, answer: Callable[[Any, Any], Any], value: pa.DataType
) -> Callable[[pa.Array, pa.Array], pa.Array]:
    """A query per row (``answer(sketch, argument)``), over each element for an array argument;
    NULL for a NULL sketch or argument, Spark's error for an empty sketch."""
    function = f"{fn}_{kind.suffix}"

    def one(data: bytes | None, argument: Any) -> Any:
        if data is None or argument is None:
            return None
        sketch = read(kind, data, function)
        if sketch.is_empty():
            raise errors.invalid_buffer("kll", function)
        if many:
            return [None if a is None else answer(sketch, a) for a in argument]
        return answer(sketch, argument)

    def queries(sketches: pa.Array, arguments: pa.Array) -> pa.Array:
        rows = zip(binary_rows(sketches), arguments.to_pylist(), strict=True)
        out = [one(data, argument) for data, argument in rows]
        return pa.array(out, pa.list_(value) if many else value)

    return queries


def get_quantile(kind: KllKind, many: bool) -> Callable[[pa.Array, pa.Array], pa.Array]:
    """``kll_sketch_get_quantile_<kind>(sketch, rank)``, inclusive, for a rank or an array."""
    function = f"kll_sketch_get_quantile_{kind.suffix}"

    def quantile(sketch: Any, rank: float) -> Any:
        if not 0.0 <= rank <= 1.0:
            raise errors.quantile_range(function)
        return sketch.get_quantile(rank, True)

    return _query(kind, "kll_sketch_get_quantile", many, quantile, kind.value_type)


def get_rank(kind: KllKind, many: bool) -> Callable[[pa.Array, pa.Array], pa.Array]:
    """``kll_sketch_get_rank_<kind>(sketch, quantile)``: the inclusive normalized rank."""
    coerce = int if kind.suffix == "bigint" else float

    def rank(sketch: Any, value: Any) -> float:
        return float(sketch.get_rank(coerce(value), True))

    return _query(kind, "kll_sketch_get_rank", many, rank, pa.float64())


def _level_capacity(k: int, depth: int) -> int:
    """KLL's capacity of the level ``depth`` below the top: about k * (2/3)^depth, at least m."""
    if depth > 30:
        return _level_capacity(_level_capacity(k, depth // 2), depth - depth // 2)
    twice = ((2 * k) << depth) // int(3**depth)
    return max(_M, (twice + 1) >> 1)


def _layout(data: bytes) -> tuple[int, int, int]:
    """(flags, min k, number of levels) from a serialized sketch's preamble."""
    flags, k = data[3], int(struct.unpack_from("<H", data, 4)[0])
    if data[0] == 2:  # empty or single item: one level
        return flags, k, 1
    min_k, levels = struct.unpack_from("<HB", data, 16)
    return flags, int(min_k), int(levels)


def _summary(kind: KllKind, sketch: Any, data: bytes) -> str:
    flags, min_k, levels = _layout(data)
    k, ib = sketch.k, kind.item_bytes
    capacity = sum(_level_capacity(k, levels - h - 1) for h in range(levels))
    empty = sketch.is_empty()
    low = "NaN" if empty else kind.show(sketch.get_min_value())
    high = "NaN" if empty else kind.show(sketch.get_max_value())
    rows = [
        ("K", k), ("Dynamic min K", min_k), ("M", _M), ("N", sketch.n),
        ("Epsilon", f"{sketch.normalized_rank_error(False) * 100:.3f}%"),
        ("Epsilon PMF", f"{sketch.normalized_rank_error(True) * 100:.3f}%"),
        ("Empty", _java_bool(empty)), ("Estimation Mode", _java_bool(levels > 1)),
        ("Levels", levels), ("Level 0 Sorted", _java_bool(bool(flags & _SORTED_FLAG))),
        ("Capacity Items", capacity), ("Retained Items", sketch.num_retained),
        ("Free Space", capacity - sketch.num_retained), ("ReadOnly", "false"),
        ("Updatable Storage Bytes", 20 + (levels + 1) * 4 + (2 + capacity) * ib),
        ("Compact Storage Bytes", len(data)), ("Min Item", low), ("Max Item", high),
    ]  # fmt: skip
    lines = [f"   {name:<23}: {value}" for name, value in rows]
    title = f"### Kll{kind.java_class} Summary:"
    return "\n".join(["", title, *lines, "### End sketch summary", ""])


def _java_bool(value: bool) -> str:
    return "true" if value else "false"


def to_string(kind: KllKind) -> Callable[[pa.Array], pa.Array]:
    """``kll_sketch_to_string_<kind>``: Java's ``KllSketch.toString()`` summary."""
    function = f"kll_sketch_to_string_{kind.suffix}"

    def summaries(sketches: pa.Array) -> pa.Array:
        out = [
            None if data is None else _summary(kind, read(kind, data, function), data)
            for data in binary_rows(sketches)
        ]
        return pa.array(out, pa.string())

    return summaries
