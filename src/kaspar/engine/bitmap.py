"""Spark's bitmap functions over Arrow arrays, in bulk with numpy.

A Spark bitmap is a 4096-byte BINARY holding 32768 bits: bit position ``p`` is bit ``p % 8``
(least significant first) of byte ``p // 8``. The aggregates are called on ``list(col)``, so one
call receives every group of a batch, and each writes all its groups' bitmaps into one numpy
buffer (``ufunc.reduceat`` folds a byte's bits, or a group's bitmaps):

* ``bitmap_construct_agg``: the bits at the group's positions (0 to 32767; anything else raises
  ``INVALID_BITMAP_POSITION``); NULLs are skipped, no value gives 4096 zero bytes.
* ``bitmap_or_agg``: the OR of the group's binaries; ``bitmap_and_agg`` their AND. A binary
  shorter than 4096 bytes counts as zero-padded, a longer one as cut at 4096; NULLs are
  skipped; with no binary at all, OR gives zeros and AND gives 4096 bytes of ``0xFF``.
* ``bitmap_count``: the number of bits set in a binary (all of its bytes).

The binary functions take the call's and the operand's Spark names last, for the type error
Spark raises at analysis on anything but BINARY (kaspar raises it when the function runs).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaspar.engine import types as T
from kaspar.engine.deferred_errors import defer
from kaspar.engine.sketches.arrow_values import check_value_type, constant, spark_type_name
from kaspar.engine.sketches.errors import unexpected_input_type
from kaspar.engine.udf import PythonUDF, register
from kaspar.errors import ArrayIndexOutOfBoundsException

BYTES = 4096
BITS = BYTES * 8
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)


def _groups(lists: pa.Array) -> tuple[np.ndarray[Any, Any], pa.Array]:
    """Each flattened value's group (row) number, and the flattened values."""
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    filled = lists.fill_null([]) if lists.null_count else lists
    lengths = pc.list_value_length(filled).to_numpy(zero_copy_only=False)
    rows = np.repeat(np.arange(len(filled), dtype=np.int64), lengths)
    return rows, pc.list_flatten(filled)


def _binary_result(buffer: np.ndarray[Any, Any], groups: int) -> pa.Array:
    offsets = np.arange(groups + 1, dtype=np.int64) * BYTES
    kind = pa.binary() if offsets[-1] < 2**31 else pa.large_binary()
    width = np.int32 if kind == pa.binary() else np.int64
    return pa.Array.from_buffers(
        kind, groups, [None, pa.py_buffer(offsets.astype(width)), pa.py_buffer(buffer)]
    )


def bitmap_construct_agg(lists: pa.Array) -> pa.Array:
    rows, values = _groups(lists)
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    positions = values.fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    rows, positions = rows[valid], positions[valid]
    outside = (positions < 0) | (positions >= BITS)
    if outside.any():
        bad = int(positions[outside][0])
        raise defer(
            ArrayIndexOutOfBoundsException(
                f"The 0-indexed bitmap position {bad} is out of bounds. The bitmap has {BITS} "
                f"bits ({BYTES} bytes).",
                "INVALID_BITMAP_POSITION",
            )
        )
    bits = np.unique(rows * BITS + positions)  # sorted: a byte's bits are adjacent
    byte = bits // 8
    first = np.flatnonzero(np.r_[True, byte[1:] != byte[:-1]]) if len(bits) else bits
    buffer = np.zeros(len(lists) * BYTES, dtype=np.uint8)
    if len(bits):
        flags = np.left_shift(1, bits % 8).astype(np.uint8)
        buffer[byte[first]] = np.bitwise_or.reduceat(flags, first)
    return _binary_result(buffer, len(lists))


def _bytes(values: pa.Array) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Each binary's start offset in the data and its byte length (0 for NULL)."""
    if values.type != pa.binary():
        values = values.cast(pa.binary())
    raw = np.frombuffer(values.buffers()[1] or b"", dtype=np.int32)
    offsets = raw[values.offset : values.offset + len(values) + 1].astype(np.int64)
    if len(offsets) == 0:
        offsets = np.zeros(1, dtype=np.int64)
    lengths = np.diff(offsets)
    lengths[~values.is_valid().to_numpy(zero_copy_only=False)] = 0
    return offsets[:-1], lengths


def _scatter(lists: pa.Array, initial: int, combine: np.ufunc) -> np.ndarray[Any, Any]:
    """The groups' bitmaps: each non-NULL binary, zero-padded or cut to 4096 bytes, is a row of
    one matrix (rows of a group are adjacent), and ``combine.reduceat`` folds each group's
    rows; a group without any keeps ``initial``."""
    rows, values = _groups(lists)
    starts, lengths = _bytes(values)
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    rows, starts, kept = rows[valid], starts[valid], np.minimum(lengths[valid], BYTES)
    data = np.append(np.frombuffer(values.buffers()[2] or b"", dtype=np.uint8), np.uint8(0))
    column = np.arange(BYTES, dtype=np.int64)[None, :]
    inside = column < kept[:, None]
    matrix = np.where(inside, data[np.where(inside, starts[:, None] + column, -1)], 0)
    buffer = np.full((len(lists), BYTES), initial, dtype=np.uint8)
    if len(rows):
        first = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        buffer[rows[first]] = combine.reduceat(matrix, first, axis=0)
    return buffer.reshape(-1)


def _binary(atype: pa.DataType) -> bool:
    return atype in (pa.binary(), pa.large_binary(), pa.binary_view(), pa.null())


def bitmap_or_agg(lists: pa.Array, *spark: pa.Array) -> pa.Array:
    check_value_type(lists, _binary, '"BINARY"', list(spark))
    return _binary_result(_scatter(lists, 0, np.bitwise_or), len(lists))


def bitmap_and_agg(lists: pa.Array, *spark: pa.Array) -> pa.Array:
    check_value_type(lists, _binary, '"BINARY"', list(spark))
    return _binary_result(_scatter(lists, 0xFF, np.bitwise_and), len(lists))


def bitmap_count(bitmaps: pa.Array, *spark: pa.Array) -> pa.Array:
    if isinstance(bitmaps, pa.ChunkedArray):
        bitmaps = bitmaps.combine_chunks()
    if not _binary(bitmaps.type):
        call, operand = (constant(c) for c in spark)
        given = spark_type_name(bitmaps.type)
        raise unexpected_input_type(call, '"BINARY"', operand, given)
    if bitmaps.type == pa.null():
        return pa.nulls(len(bitmaps), pa.int64())
    starts, lengths = _bytes(bitmaps)
    data = np.frombuffer(bitmaps.buffers()[2] or b"", dtype=np.uint8)
    running = np.concatenate([[0], np.cumsum(_POPCOUNT[data])])
    counts = running[starts + lengths] - running[starts]
    return pa.array(counts, pa.int64(), mask=~bitmaps.is_valid().to_numpy(zero_copy_only=False))


BITMAP_FUNCTIONS: dict[str, str] = {
    name: register(PythonUDF(func, rtype, name=name, arrow=True))
    for name, func, rtype in (
        ("bitmap_construct_agg", bitmap_construct_agg, T.BinaryType()),
        ("bitmap_or_agg", bitmap_or_agg, T.BinaryType()),
        ("bitmap_and_agg", bitmap_and_agg, T.BinaryType()),
        ("bitmap_count", bitmap_count, T.LongType()),
    )
}
