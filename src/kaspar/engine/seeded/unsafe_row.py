"""The hash of a row in Spark's binary row format (``UnsafeRow.hashCode``), in bulk.

Before a round-robin ``repartition(n)``, Spark sorts each input partition by this hash
(``spark.sql.execution.sortBeforeRepartition``), so that the rows are dealt out the same way
however the partition was computed. The hash is Murmur3 (x86, 32-bit, seed 42) over the row's
bytes read as little-endian 32-bit words:

1. the null bits, one 64-bit word per 64 fields;
2. one 8-byte slot per field: a fixed-width value in its low bytes (the rest zero), a string or
   binary value's ``offset << 32 | size``, zero for NULL;
3. each string or binary value's bytes, padded with zeros to 8 bytes, in field order.

Fixed-width types (integers, booleans, floats, dates, timestamps, decimals up to 18 digits),
strings and binaries are supported; a row with another type hashes to NULL (no sort).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaspar.engine.sketches.murmur3_batch import fmix, mix

_NAN64 = np.uint64(0x7FF8000000000000)
_NAN32 = np.uint64(0x7FC00000)


def _mix_words(h: np.ndarray, words: np.ndarray) -> np.ndarray:
    """``h`` mixed with each row's 64-bit ``words`` (low half first)."""
    low = (words & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    high = (words >> np.uint64(32)).astype(np.uint32)
    return mix(mix(h, low), high)


def _fixed_slot(column: pa.Array) -> np.ndarray | None:
    """The 8-byte slot of each value of a fixed-width column (NULLs as zero)."""
    t = column.type
    if pa.types.is_boolean(t):
        values = pc.fill_null(column, False).to_numpy(zero_copy_only=False).astype(np.uint64)
    elif pa.types.is_integer(t) or pa.types.is_date32(t) or pa.types.is_timestamp(t):
        width = 8 if pa.types.is_timestamp(t) else t.bit_width
        signed = pa.int64() if width == 8 else pa.from_numpy_dtype(np.dtype(f"int{width}"))
        raw = pc.fill_null(column.cast(signed), 0).to_numpy(zero_copy_only=False)
        values = raw.view(np.dtype(f"uint{width}")).astype(np.uint64)
    elif pa.types.is_float64(t):
        raw = pc.fill_null(column, 0.0).to_numpy(zero_copy_only=False).astype(np.float64)
        values = np.where(np.isnan(raw), _NAN64, raw.view(np.uint64))
    elif pa.types.is_float32(t):
        raw = pc.fill_null(column, 0.0).to_numpy(zero_copy_only=False).astype(np.float32)
        values = np.where(np.isnan(raw), _NAN32, raw.view(np.uint32).astype(np.uint64))
    elif pa.types.is_decimal(t) and t.precision <= 18:
        unscaled = [0 if v is None else int(v.scaleb(t.scale)) for v in column.to_pylist()]
        values = np.array(unscaled, dtype=np.int64).view(np.uint64)
    else:
        return None
    return np.asarray(values, dtype=np.uint64)


def _padded_bytes(column: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Each value's bytes in a zero-padded matrix whose width is a multiple of 8, and each
    value's size (0 for NULL)."""
    binary = column.cast(pa.large_binary())
    sizes = pc.fill_null(pc.binary_length(binary), 0).to_numpy(zero_copy_only=False)
    sizes = sizes.astype(np.int64)
    width = int(-(-sizes.max() // 8) * 8) if len(sizes) else 0
    matrix = np.zeros((len(sizes), max(width, 8)), dtype=np.uint8)
    buffer = _values_buffer(binary)
    rows = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.cumsum(sizes) - sizes
    positions = np.arange(int(sizes.sum())) - np.repeat(starts, sizes)
    matrix[rows, positions] = buffer[: int(sizes.sum())]
    return matrix, sizes


def _values_buffer(binary: pa.Array) -> np.ndarray:
    """The bytes of every non-NULL value of a large_binary array, concatenated in order."""
    compact = binary.combine_chunks() if isinstance(binary, pa.ChunkedArray) else binary
    compact = pa.concat_arrays([compact]) if compact.offset else compact
    offsets = np.frombuffer(compact.buffers()[1], np.int64)[: len(compact) + 1]
    data = np.frombuffer(compact.buffers()[2] or b"", np.uint8)
    return data[int(offsets[0]) : int(offsets[-1])]


def _is_variable(t: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
        or pa.types.is_string_view(t)
        or pa.types.is_binary_view(t)
    )


def unsafe_row_hash(*arguments: pa.Array) -> pa.Array:
    """``UnsafeRow.hashCode`` of each row of the columns; the last argument lists the
    positions of the columns in the row ("*": all)."""
    *values, kept = (c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in arguments)
    n = len(kept)
    chosen = str(kept[0].as_py()) if n else "*"
    positions = range(len(values)) if chosen == "*" else [int(i) for i in chosen.split(",") if i]
    return _row_hash([values[i] for i in positions], n)


def _row_hash(columns: list[pa.Array], n: int) -> pa.Array:
    fields = len(columns)
    null_words = (fields + 63) // 64
    bits = np.zeros((n, null_words), dtype=np.uint64)
    slots: list[np.ndarray] = []
    variable: list[tuple[int, np.ndarray, np.ndarray]] = []
    base = 8 * (null_words + fields)
    offset = np.full(n, base, dtype=np.int64)
    for i, column in enumerate(columns):
        valid = ~np.asarray(pc.is_null(column).to_numpy(zero_copy_only=False), dtype=bool)
        bits[~valid, i // 64] |= np.uint64(1) << np.uint64(i % 64)
        slot = _fixed_slot(column)
        if slot is None:
            if not _is_variable(column.type):
                return pa.nulls(n, pa.int32())
            matrix, sizes = _padded_bytes(column)
            slot = np.where(
                valid,
                (offset.astype(np.uint64) << np.uint64(32)) | sizes.astype(np.uint64),
                np.uint64(0),
            )
            offset = offset + np.where(valid, -(-sizes // 8) * 8, 0)
            variable.append((i, matrix, sizes))
        slots.append(np.where(valid, slot, np.uint64(0)))
    h = np.full(n, 42, dtype=np.uint32)
    for w in range(null_words):
        h = _mix_words(h, bits[:, w])
    for slot in slots:
        h = _mix_words(h, slot)
    for _, matrix, sizes in variable:
        words = matrix.view("<u8")
        padded = -(-sizes // 8)
        for w in range(words.shape[1]):
            active = padded > w
            mixed = _mix_words(h, words[:, w])
            h = np.where(active, mixed, h)
    hashed = fmix(h, offset).view(np.int32)
    return pa.array(hashed, pa.int32())
