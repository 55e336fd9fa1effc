"""Spark's ``xxhash64()``: XXH64 with seed 42, chained over the columns.

Spark's ``XXH64`` is the reference 64-bit xxHash of a value's little-endian bytes: int-sized
values (int, short, byte, boolean, date, float bits) hash as 4 bytes, long-sized values (bigint,
timestamp micros, double bits) as 8, strings and binary as their bytes. Each column's hash is
the seed of the next one; NULL leaves the running hash as is. Values are Java longs (signed).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa

from kaspar.engine.spark_hash import double_bits, float_bits, raw_values

try:
    from kaspar.engine import _spark_xxh64 as _native
except ImportError:  # the C helper did not build: row by row below
    _native = None  # type: ignore[assignment]

SEED = 42
native_helper: ModuleType | None = _native  # the C helper, None when it did not build

_MASK = (1 << 64) - 1
_P1 = 0x9E3779B185EBCA87
_P2 = 0xC2B2AE3D27D4EB4F
_P3 = 0x165667B19E3779F9
_P4 = 0x85EBCA77C2B2AE63
_P5 = 0x27D4EB2F165667C5
_STRIPE = 32


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _MASK


def _fmix(h: int) -> int:
    h ^= h >> 33
    h = (h * _P2) & _MASK
    h ^= h >> 29
    h = (h * _P3) & _MASK
    return h ^ (h >> 32)


def _round(acc: int, lane: int) -> int:
    acc = (acc + lane * _P2) & _MASK
    return (_rotl(acc, 31) * _P1) & _MASK


def _merge(h: int, v: int) -> int:
    h ^= _round(0, v)
    return (h * _P1 + _P4) & _MASK


def _stripes(data: bytes, seed: int) -> int:
    v1 = (seed + _P1 + _P2) & _MASK
    v2 = (seed + _P2) & _MASK
    v3 = seed
    v4 = (seed - _P1) & _MASK
    end = len(data) - len(data) % _STRIPE
    for a, b, c, d in struct.iter_unpack("<4Q", data[:end]):
        v1, v2, v3, v4 = _round(v1, a), _round(v2, b), _round(v3, c), _round(v4, d)
    h = (_rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)) & _MASK
    for v in (v1, v2, v3, v4):
        h = _merge(h, v)
    return h


def xxh64(data: bytes, seed: int) -> int:
    """XXH64 of ``data`` (an unsigned 64-bit value); ``seed`` is unsigned too."""
    n = len(data)
    h = _stripes(data, seed) if n >= _STRIPE else (seed + _P5) & _MASK
    h = (h + n) & _MASK
    i = n - n % _STRIPE if n >= _STRIPE else 0
    while i + 8 <= n:
        (k,) = struct.unpack_from("<Q", data, i)
        h ^= _round(0, k)
        h = (_rotl(h, 27) * _P1 + _P4) & _MASK
        i += 8
    if i + 4 <= n:
        (k,) = struct.unpack_from("<I", data, i)
        h ^= (k * _P1) & _MASK
        h = (_rotl(h, 23) * _P2 + _P3) & _MASK
        i += 4
    while i < n:
        h ^= (data[i] * _P5) & _MASK
        h = (_rotl(h, 11) * _P1) & _MASK
        i += 1
    return _fmix(h)


def _int(value: int, seed: int) -> int:
    return xxh64(struct.pack("<I", value & 0xFFFFFFFF), seed)


def _long(value: int, seed: int) -> int:
    return xxh64(struct.pack("<Q", value & _MASK), seed)


def _decimal(precision: int, scale: int) -> Callable[[Any, int], int]:
    """Spark hashes a decimal's unscaled value: as a long up to 18 digits, else as the bytes of
    Java's ``BigInteger.toByteArray`` (big-endian two's complement, shortest form)."""

    def hasher(value: Any, seed: int) -> int:
        unscaled = int(value.scaleb(scale))
        if precision <= 18:
            return _long(unscaled, seed)
        size = (unscaled + (unscaled < 0)).bit_length() // 8 + 1
        return xxh64(unscaled.to_bytes(size, "big", signed=True), seed)

    return hasher


def _nested(atype: pa.DataType) -> Callable[[Any, int], int] | None:
    """Arrays, maps and structs, as Spark hashes them: each element (map: key then value,
    struct: each field) in turn, the running hash as the seed, NULLs skipped."""
    if pa.types.is_list(atype) or pa.types.is_large_list(atype):
        element = _hasher(atype.value_type)

        def array(values: Any, seed: int) -> int:
            for value in values:
                seed = seed if value is None else element(value, seed)
            return seed

        return array
    if pa.types.is_map(atype):
        key, item = _hasher(atype.key_type), _hasher(atype.item_type)

        def mapping(pairs: Any, seed: int) -> int:
            for k, v in pairs:
                seed = key(k, seed)
                seed = seed if v is None else item(v, seed)
            return seed

        return mapping
    if pa.types.is_struct(atype):
        fields = [
            (atype.field(i).name, _hasher(atype.field(i).type)) for i in range(atype.num_fields)
        ]

        def struct(row: Any, seed: int) -> int:
            for name, field in fields:
                value = row[name]
                seed = seed if value is None else field(value, seed)
            return seed

        return struct
    return None


def _hasher(atype: pa.DataType) -> Callable[[Any, int], int]:
    nested = _nested(atype)
    if nested is not None:
        return nested
    if pa.types.is_decimal(atype):
        return _decimal(atype.precision, atype.scale)
    if pa.types.is_string(atype) or pa.types.is_large_string(atype):
        return lambda v, seed: xxh64(v.encode(), seed)
    if pa.types.is_binary(atype) or pa.types.is_large_binary(atype):
        return xxh64
    if pa.types.is_int64(atype) or pa.types.is_timestamp(atype):
        return _long
    if pa.types.is_float64(atype):
        return lambda v, seed: _long(double_bits(v), seed)
    if pa.types.is_float32(atype):
        return lambda v, seed: _int(float_bits(v), seed)
    if pa.types.is_boolean(atype):
        return lambda v, seed: _int(int(v), seed)
    if pa.types.is_integer(atype) or pa.types.is_date32(atype):
        return _int
    raise TypeError(f"xxhash64() of {atype} is not supported")


def spark_xxhash64(*columns: pa.Array) -> pa.Array:
    """``xxhash64(col1, col2, ...)`` over one Arrow batch, as Spark computes it (a bigint)."""
    length = len(columns[0]) if columns else 1
    hashes = np.full(length, SEED, dtype=np.uint64)
    for column in columns:
        hashes = hash_column(column, hashes)
    return pa.array(hashes.view(np.int64))


def hash_column(column: pa.Array, seeds: np.ndarray) -> np.ndarray:
    """Each row's XXH64 (uint64) seeded with its entry of ``seeds``; a NULL row keeps its seed.
    In bulk (``_spark_xxh64.c``) for Spark's fixed-width types, strings and binary; row by row
    for decimals, or without the C helper."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if pa.types.is_null(column.type):  # every row NULL
        return np.array(seeds, dtype=np.uint64)
    if _native is not None and not pa.types.is_decimal(column.type):
        hashed = _hash_in_bulk(column, np.ascontiguousarray(seeds, dtype=np.uint64))
        if hashed is not None:
            return hashed
    hasher = _hasher(column.type)
    out = [int(s) for s in seeds]
    for i, value in enumerate(raw_values(column)):
        if value is not None:
            out[i] = hasher(value, out[i])
    return np.array(out, dtype=np.uint64)


def _hash_in_bulk(column: pa.Array, seeds: np.ndarray) -> np.ndarray | None:
    assert _native is not None
    valid = np.ascontiguousarray(column.is_valid(), dtype=np.uint8)
    kind = column.type
    if pa.types.is_string(kind) or pa.types.is_binary(kind):
        return _variable(column, seeds, valid, 4)
    if pa.types.is_large_string(kind) or pa.types.is_large_binary(kind):
        return _variable(column, seeds, valid, 8)
    values = _fixed_values(column)
    if values is None:
        return None
    hashed = _native.xxh64_fixed(np.ascontiguousarray(values), values.itemsize, seeds, valid)
    return np.frombuffer(hashed, np.uint64)


def _variable(column: pa.Array, seeds: np.ndarray, valid: np.ndarray, width: int) -> np.ndarray:
    _, offsets, data = column.buffers()
    kind = np.int32 if width == 4 else np.int64
    positions = np.frombuffer(offsets, kind)[column.offset : column.offset + len(column) + 1]
    content = b"" if data is None else data
    assert _native is not None
    hashed = _native.xxh64_var(content, np.ascontiguousarray(positions), width, seeds, valid)
    return np.frombuffer(hashed, np.uint64)


def _fixed_values(column: pa.Array) -> np.ndarray | None:
    """The rows as Spark hashes them: 4-byte ints (int, short, byte, boolean, date, float
    bits) or 8-byte longs (bigint, timestamp micros, double bits), -0.0 as 0.0 and NaN as
    Java's one NaN; NULL rows as 0 (they keep their seed)."""
    kind = column.type
    if pa.types.is_floating(kind):
        values = column.fill_null(0).to_numpy(zero_copy_only=False)
        wide = values.dtype == np.float64 or pa.types.is_float16(kind)
        values = values.astype(np.float64 if wide else np.float32)
        values = np.where(values == 0, values.dtype.type(0), values)
        values = np.where(np.isnan(values), values.dtype.type(np.nan), values)
        bits: np.ndarray = values.view(np.int64 if wide else np.int32)
        return bits
    if pa.types.is_timestamp(kind):
        column = column.cast(pa.timestamp("us", tz=kind.tz)).cast(pa.int64())
    elif pa.types.is_date32(kind) or pa.types.is_boolean(kind):
        column = column.cast(pa.int32())
    elif pa.types.is_int64(kind) or pa.types.is_uint64(kind):
        column = column.cast(pa.int64(), safe=False)
    elif pa.types.is_integer(kind):
        column = column.cast(pa.int32())
    else:
        return None
    result: np.ndarray = column.fill_null(0).to_numpy(zero_copy_only=False)
    return result
