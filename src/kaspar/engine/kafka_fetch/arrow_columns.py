"""Decoded record columns -> an Arrow record batch with Spark's Kafka schema, without copies.

The decoder's buffers become Arrow arrays through ``pa.Array.from_buffers``; the constant
``topic`` and ``partition`` columns are built with numpy, never from Python lists.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from kaspar.protocol.record_columns import Columns

HEADERS_TYPE = pa.list_(pa.struct([("key", pa.string()), ("value", pa.binary())]))
_TIMESTAMP_US = pa.timestamp("us", tz="UTC")


def kafka_schema(include_headers: bool) -> pa.Schema:
    """Spark's Kafka source schema."""
    fields = [
        ("key", pa.binary()),
        ("value", pa.binary()),
        ("topic", pa.string()),
        ("partition", pa.int32()),
        ("offset", pa.int64()),
        ("timestamp", _TIMESTAMP_US),
        ("timestampType", pa.int32()),
    ]
    return pa.schema([*fields, ("headers", HEADERS_TYPE)] if include_headers else fields)


def _buffer(data: bytes | None) -> pa.Buffer | None:
    return None if data is None else pa.py_buffer(data)


def _binary(
    kind: pa.DataType, rows: int, validity: bytes | None, offsets: bytes, data: bytes
) -> pa.Array:
    return pa.Array.from_buffers(kind, rows, [_buffer(validity), _buffer(offsets), _buffer(data)])


def _fixed(kind: pa.DataType, rows: int, data: bytes) -> pa.Array:
    return pa.Array.from_buffers(kind, rows, [None, pa.py_buffer(data)])


def _topic_column(topic: str, rows: int) -> pa.Array:
    name = topic.encode()
    offsets = np.arange(rows + 1, dtype=np.int32) * len(name)
    return pa.Array.from_buffers(
        pa.string(), rows, [None, pa.py_buffer(offsets), pa.py_buffer(name * rows)]
    )


def _headers(columns: Columns) -> pa.Array:
    rows = columns.rows
    assert columns.header_offsets is not None and columns.header_key_offsets is not None
    entries = (len(columns.header_offsets) // 4) and int(
        np.frombuffer(columns.header_offsets, np.int32)[-1]
    )
    keys = _binary(
        pa.string(), entries, None, columns.header_key_offsets, columns.header_key_data or b""
    )
    values = _binary(
        pa.binary(),
        entries,
        columns.header_value_validity,
        columns.header_value_offsets or b"",
        columns.header_value_data or b"",
    )
    structs = pa.StructArray.from_arrays([keys, values], fields=list(HEADERS_TYPE.value_type))
    return pa.Array.from_buffers(
        HEADERS_TYPE,
        rows,
        [_buffer(columns.header_validity), pa.py_buffer(columns.header_offsets)],
        children=[structs],
    )


def record_batch(
    topic: str, partition: int, columns: Columns, include_headers: bool
) -> pa.RecordBatch:
    """The rows of one partition's read, in offset order."""
    rows = columns.rows
    micros = np.frombuffer(columns.timestamps, dtype=np.int64) * 1000
    stamps = pa.Array.from_buffers(_TIMESTAMP_US, rows, [None, pa.py_buffer(micros)])
    arrays = [
        _binary(pa.binary(), rows, columns.key_validity, columns.key_offsets, columns.key_data),
        _binary(
            pa.binary(), rows, columns.value_validity, columns.value_offsets, columns.value_data
        ),
        _topic_column(topic, rows),
        pa.array(np.full(rows, partition, dtype=np.int32)),
        _fixed(pa.int64(), rows, columns.offsets),
        stamps,
        _fixed(pa.int32(), rows, columns.timestamp_types),
    ]
    names = ["key", "value", "topic", "partition", "offset", "timestamp", "timestampType"]
    if include_headers:
        arrays.append(_headers(columns))
        names.append("headers")
    return pa.RecordBatch.from_arrays(arrays, names=names)
