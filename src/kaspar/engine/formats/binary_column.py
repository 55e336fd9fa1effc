"""A binary Arrow column as one bytes buffer with offsets, so a decoder reads every value from
one ``BytesIO`` (2-3x faster than one ``BytesIO`` per value), and a builder of binary columns
from appended values."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

SENTINEL = b"\x00"  # after the last value: a read past a value's end is seen as such


def binary_parts(column: pa.Array | pa.ChunkedArray) -> tuple[bytes, list[int], list[bool]]:
    """(data + a sentinel byte, offsets (len + 1), validity) of a binary/string column."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], pa.binary())
    if not pa.types.is_large_binary(column.type):
        column = column.cast(pa.large_binary())
    _, offset_buffer, data_buffer = column.buffers()
    n = len(column)
    offsets = np.frombuffer(offset_buffer, dtype=np.int64)[column.offset : column.offset + n + 1]
    data = b"" if data_buffer is None else data_buffer.to_pybytes()
    valid = column.is_valid().to_numpy(zero_copy_only=False).tolist()
    return data + SENTINEL, offsets.tolist(), valid


def binary_array(values: bytes, offsets: list[int], valid: list[bool]) -> pa.Array:
    """A binary column of ``values`` cut at ``offsets``; NULL where not ``valid``."""
    n = len(valid)
    mask = None if all(valid) else pa.array(valid, pa.bool_())
    array = pa.Array.from_buffers(
        pa.large_binary(),
        n,
        [None, pa.py_buffer(np.asarray(offsets, dtype=np.int64)), pa.py_buffer(values)],
    )
    return array.cast(pa.binary()) if mask is None else _with_nulls(array, mask)


def _with_nulls(array: pa.Array, valid: pa.Array) -> pa.Array:
    import pyarrow.compute as pc

    result: pa.Array = pc.if_else(valid, array, pa.scalar(None, pa.large_binary()))
    return result.cast(pa.binary())
