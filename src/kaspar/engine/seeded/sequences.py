"""Spark's seeded random values per row, computed in bulk over Arrow batches.

Spark gives each partition its own generator, seeded with ``seed + partitionIndex``, and draws
from it row after row; a row's value is therefore a function of (seed, partition id, row index
within the partition). The functions here take those three as Arrow arrays (one DuckDB batch)
and gather each row's value from the generator's sequence, which the C extension
``_spark_rng`` computes once per (kind, seed) and a small cache keeps (docs/partitions.md).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

try:
    from kaspar.engine.seeded import _spark_rng
except ImportError:  # pragma: no cover - the extension is built with the package
    _spark_rng = None  # type: ignore[assignment,unused-ignore]

_CACHE_LIMIT = 1 << 24  # values kept over all cached sequences (128 MiB of doubles)
_cache: OrderedDict[tuple[str, int, float], np.ndarray] = OrderedDict()
_POOL = np.frombuffer(
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8
)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_MASK64 = (1 << 64) - 1


def _extension() -> Any:
    if _spark_rng is None:
        raise RuntimeError(
            "kaspar.engine.seeded._spark_rng is not built: seeded random functions need "
            "kaspar's C extensions (reinstall kaspar with a C compiler available)"
        )
    return _spark_rng


def _generate(kind: str, seed: int, count: int, parameter: float) -> np.ndarray:
    rng = _extension()
    if kind == "double":
        return np.frombuffer(rng.xorshift_doubles(seed, count), np.float64)
    if kind == "gaussian":
        return np.frombuffer(rng.xorshift_gaussians(seed, count), np.float64)
    if kind == "int":
        return np.frombuffer(rng.xorshift_ints(seed, count), np.int32)
    if kind == "mt_long":
        return np.frombuffer(rng.mt_longs(seed, count), np.uint64)
    return np.frombuffer(rng.well_poisson(seed, parameter, count), np.int32)


def sequence(kind: str, seed: int, count: int, parameter: float = 0.0) -> np.ndarray:
    """The first ``count`` (or more) values of a fresh generator of ``kind`` seeded ``seed``."""
    seed = ((seed + (1 << 63)) & _MASK64) - (1 << 63)  # a Java long, wrapped
    key = (kind, seed, parameter)
    values = _cache.get(key)
    if values is None or len(values) < count:
        size = max(count, 2 * len(values) if values is not None else 1024)
        values = _generate(kind, seed, size, parameter)
        _cache[key] = values
        while sum(len(v) for v in _cache.values()) > _CACHE_LIMIT and len(_cache) > 1:
            _cache.popitem(last=False)
    _cache.move_to_end(key)
    return values


def _gather(
    kind: str,
    seeds: pa.Array,
    pids: pa.Array,
    rows: pa.Array,
    width: int,
    *,
    parameter: float = 0.0,
) -> np.ndarray:
    """Each row's ``width`` values (row ``r`` takes values ``r*width .. r*width+width-1`` of
    its partition's generator), as an (n, width) array."""
    seed = np.asarray(seeds.to_numpy(zero_copy_only=False), dtype=np.int64)
    pid = np.asarray(pids.to_numpy(zero_copy_only=False), dtype=np.int64)
    row = np.asarray(rows.to_numpy(zero_copy_only=False), dtype=np.int64)
    starts = seed + pid  # Java's long addition wraps as numpy's does
    out: np.ndarray | None = None
    for start in np.unique(starts):
        mask = starts == start
        index = row[mask]
        values = sequence(kind, int(start), (int(index.max()) + 1) * width, parameter)
        picked = values[(index[:, None] * width + np.arange(width)).ravel()].reshape(-1, width)
        if out is None:
            out = np.empty((len(row), width), dtype=values.dtype)
        out[mask] = picked
    if out is None:
        return np.empty((0, width), dtype=np.float64)
    return out


def rand(seeds: pa.Array, pids: pa.Array, rows: pa.Array) -> pa.Array:
    """``rand(seed)``: XORShiftRandom's ``nextDouble``."""
    return pa.array(_gather("double", seeds, pids, rows, 1)[:, 0], pa.float64())


def randn(seeds: pa.Array, pids: pa.Array, rows: pa.Array) -> pa.Array:
    """``randn(seed)``: XORShiftRandom's ``nextGaussian``."""
    return pa.array(_gather("gaussian", seeds, pids, rows, 1)[:, 0], pa.float64())


def randstr(seeds: pa.Array, pids: pa.Array, rows: pa.Array, lengths: pa.Array) -> pa.Array:
    """``randstr(length, seed)``: one ``nextInt()`` per character, ``abs(v % 62)`` picking
    from 0-9, a-z, A-Z (``length`` is a constant, as Spark requires)."""
    n = len(rows)
    width = int(lengths[0].as_py() or 0) if n else 0
    if width <= 0:
        return pa.array([""] * n, pa.string())
    ints = _gather("int", seeds, pids, rows, width)
    chars = _POOL[np.abs(np.fmod(ints.astype(np.int64), 62))].astype(np.uint8)
    offsets = np.arange(n + 1, dtype=np.int32) * width
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))


def uuid(seeds: pa.Array, pids: pa.Array, rows: pa.Array) -> pa.Array:
    """``uuid(seed)``: two MersenneTwister ``nextLong`` per row, as version 4 UUID text."""
    n = len(rows)
    longs = _gather("mt_long", seeds, pids, rows, 2)
    msb = (longs[:, 0] & np.uint64(0xFFFFFFFFFFFF0FFF)) | np.uint64(0x4000)
    lsb = (longs[:, 1] | np.uint64(0x8000000000000000)) & np.uint64(0xBFFFFFFFFFFFFFFF)
    raw = np.stack([msb, lsb], axis=1).astype(">u8").view(np.uint8).reshape(n, 16)
    digits = np.empty((n, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 15]
    text = np.insert(digits, [8, 12, 16, 20], ord("-"), axis=1)
    offsets = np.arange(n + 1, dtype=np.int32) * 36
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text.tobytes()))


def _java_random_longs(seed: int, count: int) -> list[int]:
    """``java.util.Random(seed).nextLong()`` ``count`` times (Spark seeds each partition's
    Poisson sampler with one of these)."""
    mask48 = (1 << 48) - 1
    state = (seed ^ 0x5DEECE66D) & mask48

    def next32() -> int:
        nonlocal state
        state = (state * 0x5DEECE66D + 0xB) & mask48
        value = state >> 16
        return value - (1 << 32) if value >= 1 << 31 else value

    out = []
    for _ in range(count):
        value = (next32() << 32) + next32()
        out.append(((value + (1 << 63)) & _MASK64) - (1 << 63))
    return out


def poisson(seeds: pa.Array, pids: pa.Array, rows: pa.Array, means: pa.Array) -> pa.Array:
    """How many times ``sample(withReplacement=True, fraction, seed)`` keeps each row: a
    Poisson draw of mean ``fraction`` from the partition's Well19937c generator, itself seeded
    with the partition's ``nextLong`` of ``java.util.Random(seed)``."""
    n = len(rows)
    if n == 0:
        return pa.array([], pa.int32())
    mean = float(means[0].as_py())
    pid = np.asarray(pids.to_numpy(zero_copy_only=False), dtype=np.int64)
    seed = int(seeds[0].as_py())
    partition_seeds = np.array(_java_random_longs(seed, int(pid.max()) + 1), dtype=np.int64)
    zero = pa.array(np.zeros(n, dtype=np.int64))
    counts = _gather("poisson", pa.array(partition_seeds[pid]), zero, rows, 1, parameter=mean)
    return pa.array(counts[:, 0].astype(np.int32), pa.int32())


FUNCTIONS: dict[str, Callable[..., pa.Array]] = {
    "rand": rand,
    "randn": randn,
    "randstr": randstr,
    "uuid": uuid,
    "poisson": poisson,
}


def first_int_below(seed: int, bound: int) -> int:
    """``new XORShiftRandom(seed).nextInt(bound)``: where Spark's round robin starts."""
    value: int = _extension().xorshift_int_below(seed, bound)
    return value
