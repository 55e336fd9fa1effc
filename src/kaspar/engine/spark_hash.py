"""Spark's ``hash()``: Murmur3 x86 32-bit with seed 42, chained over the columns.

Spark hashes by type: int-sized values (int, short, byte, boolean, date, float bits) as one
4-byte word, long-sized values (bigint, timestamp micros, double bits) as two words, strings and
binary as their bytes, where the tail bytes are mixed one *signed* byte at a time (Spark's
``hashUnsafeBytes``, which differs from reference Murmur3). NULL leaves the running hash as is.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import pyarrow as pa

_MASK = 0xFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _MASK


def _mix_k1(k1: int) -> int:
    k1 = (k1 * 0xCC9E2D51) & _MASK
    return (_rotl(k1, 15) * 0x1B873593) & _MASK


def _mix_h1(h1: int, k1: int) -> int:
    h1 = _rotl(h1 ^ k1, 13)
    return (h1 * 5 + 0xE6546B64) & _MASK


def _fmix(h1: int, length: int) -> int:
    h1 ^= length
    h1 ^= h1 >> 16
    h1 = (h1 * 0x85EBCA6B) & _MASK
    h1 ^= h1 >> 13
    h1 = (h1 * 0xC2B2AE35) & _MASK
    return h1 ^ (h1 >> 16)


def hash_int(value: int, seed: int) -> int:
    return _fmix(_mix_h1(seed, _mix_k1(value & _MASK)), 4)


def hash_long(value: int, seed: int) -> int:
    h1 = _mix_h1(seed, _mix_k1(value & _MASK))
    h1 = _mix_h1(h1, _mix_k1((value >> 32) & _MASK))
    return _fmix(h1, 8)


def hash_bytes(data: bytes, seed: int) -> int:
    aligned = len(data) - len(data) % 4
    h1 = seed
    for (word,) in struct.iter_unpack("<i", data[:aligned]):
        h1 = _mix_h1(h1, _mix_k1(word & _MASK))
    for byte in data[aligned:]:
        signed = byte - 256 if byte > 127 else byte
        h1 = _mix_h1(h1, _mix_k1(signed & _MASK))
    return _fmix(h1, len(data))


def double_bits(value: float) -> int:
    return int(struct.unpack("<q", struct.pack("<d", 0.0 if value == 0 else value))[0])


def float_bits(value: float) -> int:
    return int(struct.unpack("<i", struct.pack("<f", 0.0 if value == 0 else value))[0])


def _hasher(atype: pa.DataType) -> Callable[[Any, int], int]:
    if pa.types.is_string(atype) or pa.types.is_large_string(atype):
        return lambda v, seed: hash_bytes(v.encode(), seed)
    if pa.types.is_binary(atype):
        return hash_bytes
    if pa.types.is_int64(atype):
        return hash_long
    if pa.types.is_float64(atype):
        return lambda v, seed: hash_long(double_bits(v), seed)
    if pa.types.is_float32(atype):
        return lambda v, seed: hash_int(float_bits(v), seed)
    if pa.types.is_boolean(atype):
        return lambda v, seed: hash_int(int(v), seed)
    if pa.types.is_integer(atype):
        return hash_int
    if pa.types.is_date32(atype):
        return hash_int
    if pa.types.is_timestamp(atype):
        return hash_long
    raise TypeError(f"hash() of {atype} is not supported")


def raw_values(column: pa.Array) -> list[Any]:
    if pa.types.is_date32(column.type):
        return column.cast(pa.int32()).to_pylist()  # type: ignore[no-any-return]
    if pa.types.is_timestamp(column.type):
        return column.cast(pa.timestamp("us", tz=column.type.tz)).cast(pa.int64()).to_pylist()  # type: ignore[no-any-return]
    return column.to_pylist()  # type: ignore[no-any-return]


def spark_hash(*columns: pa.Array) -> pa.Array:
    """``hash(col1, col2, ...)`` over one Arrow batch, as Spark computes it (an int)."""
    length = len(columns[0]) if columns else 1
    hashes = [42] * length
    for column in columns:
        hasher = _hasher(column.type)
        for i, value in enumerate(raw_values(column)):
            if value is not None:
                hashes[i] = hasher(value, hashes[i])
    return pa.array([h - (1 << 32) if h & 0x80000000 else h for h in hashes], type=pa.int32())
