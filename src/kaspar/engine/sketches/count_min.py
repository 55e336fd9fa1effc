"""Spark's ``count_min_sketch``: its own ``CountMinSketchImpl`` (not DataSketches), bytes as
``CountMinSketch.toByteArray`` writes them.

width = ceil(2 / eps) and depth = ceil(-log2(1 - confidence)); row i hashes an integer with the
linear hash ``hashA[i] * x`` folded modulo 2^31 - 1, ``hashA`` drawn from ``java.util.Random
(seed)``. Integers are hashed in bulk with numpy; strings and byte strings take two Murmur3
hashes each (Spark's ``hashUnsafeBytes``, in bulk) and rows ``|h1 + i * h2| mod width``.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from kaspar.engine.sketches.arrow_values import constant, group_values, is_integer
from kaspar.engine.sketches.java_random import JavaRandom
from kaspar.engine.sketches.murmur3_batch import buffers, hash_unsafe_bytes

_VERSION = 1
_PRIME_MODULUS = (1 << 31) - 1


def _shape(eps: float, confidence: float) -> tuple[int, int]:
    width = math.ceil(2 / eps)
    depth = math.ceil(-math.log(1 - confidence) / math.log(2))
    return depth, width


def _int32(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _long_rows(values: pa.Array, hash_a: np.ndarray, width: int) -> np.ndarray:
    items = np.asarray(values.cast(pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    table = np.zeros((len(hash_a), width), dtype=np.int64)
    with np.errstate(over="ignore"):
        for i, a in enumerate(hash_a):
            h = items * a
            h = (h + (h >> 32)) & _PRIME_MODULUS
            table[i] = np.bincount(h % width, minlength=width)
    return table


def _byte_rows(values: pa.Array, depth: int, width: int) -> np.ndarray:
    offsets, data = buffers(values)
    h1 = hash_unsafe_bytes(offsets, data, np.zeros(len(values), np.uint32))
    h2 = hash_unsafe_bytes(offsets, data, h1)
    first, second = h1.astype(np.int32).astype(np.int64), h2.astype(np.int32).astype(np.int64)
    table = np.zeros((depth, width), dtype=np.int64)
    for i in range(depth):
        combined = (first + i * second).astype(np.int32)  # Java's int arithmetic wraps
        table[i] = np.bincount(np.abs(np.fmod(combined, np.int32(width))), minlength=width)
    return table


def _serialize(total: int, hash_a: np.ndarray, table: np.ndarray) -> bytes:
    depth, width = table.shape
    head = np.array([_VERSION], ">i4").tobytes() + np.array([total], ">i8").tobytes()
    shape = np.array([depth, width], ">i4").tobytes()
    return head + shape + hash_a.astype(">i8").tobytes() + table.astype(">i8").tobytes()


def count_min_sketch(
    lists: pa.Array, eps_column: pa.Array, confidence_column: pa.Array, seed_column: pa.Array
) -> pa.Array:
    """One sketch per group: ``count_min_sketch(col, eps, confidence, seed)``."""
    depth, width = _shape(float(constant(eps_column)), float(constant(confidence_column)))
    random = JavaRandom(_int32(int(constant(seed_column))))  # Spark reads the seed as an int
    hash_a = np.array([random.next_int(_PRIME_MODULUS) for _ in range(depth)], dtype=np.int64)
    out = []
    for values in group_values(lists):
        if values is None or len(values) == 0:
            table = np.zeros((depth, width), dtype=np.int64)
        elif is_integer(values.type):
            table = _long_rows(values, hash_a, width)
        else:
            table = _byte_rows(values, depth, width)
        out.append(_serialize(0 if values is None else len(values), hash_a, table))
    return pa.array(out, pa.binary())
