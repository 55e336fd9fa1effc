"""Kafka's primitive serializers over Arrow arrays: IntegerSerializer, LongSerializer and
DoubleSerializer (4 or 8 big-endian bytes: two's complement, IEEE 754), in both directions.

ksqlDB's ``KAFKA`` format writes keys and values with them; Spark SQL has no way to turn a
double into its bytes, so these run as built-in Arrow functions (``kaspar.engine.builtins``)
inside the query: numpy reinterprets whole batches, no value passes through Python. A value of
the wrong length decodes to NULL. Java writes NaN as ``7ff8000000000000``; so does numpy's NaN.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_WIDTHS = {"int32": 4, "int64": 8, "float64": 8}


def _whole(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _encode(column: pa.Array, dtype: str) -> pa.Array:
    width = _WIDTHS[dtype]
    column = _whole(column)
    values = column.fill_null(0).to_numpy(zero_copy_only=False).astype(f">{dtype[0]}{width}")
    validity = None if column.null_count == 0 else pc.is_valid(column).buffers()[1]
    fixed = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), len(column), [validity, pa.py_buffer(values.tobytes())]
    )
    return fixed.cast(pa.binary())


def _decode(column: pa.Array, dtype: str) -> pa.Array:
    width = _WIDTHS[dtype]
    column = _whole(column)
    if len(column) == 0:
        return pa.array([], type=pa.from_numpy_dtype(np.dtype(dtype)))
    fits = pc.equal(pc.binary_length(column), width)
    padded = pc.if_else(fits, column, pa.scalar(b"\x00" * width, pa.binary()))
    fixed = padded.cast(pa.binary(width))
    data = fixed.buffers()[1]
    big_endian = np.dtype(f">{dtype[0]}{width}")
    values = np.frombuffer(data, dtype=big_endian, count=len(fixed), offset=fixed.offset * width)
    keep = pc.fill_null(fits, False).to_numpy(zero_copy_only=False)
    return pa.array(values.astype(dtype), mask=~keep)


encode_int32 = partial(_encode, dtype="int32")
encode_int64 = partial(_encode, dtype="int64")
encode_float64 = partial(_encode, dtype="float64")
decode_int32 = partial(_decode, dtype="int32")
decode_int64 = partial(_decode, dtype="int64")
decode_float64 = partial(_decode, dtype="float64")
