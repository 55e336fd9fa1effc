"""Records of RecordBatch v2 bodies decoded column by column, for readers that want Arrow.

A consumer that builds one Python object per record reads a few hundred thousand records/s;
this decodes the records section of many batches in one call into flat buffers (native-endian
int64/int32 arrays, Arrow validity bitmaps, contiguous key and value bytes) that Arrow wraps
without copying. Two implementations behind one :class:`ColumnsDecoder` protocol, as in
aiokafka's ``record/``: the C extension ``kaspar.protocol._record_columns`` (built by setup.py
when a compiler is there) and :func:`decode_columns_py`, the pure-Python reference.
:data:`decode_columns` is the C one when it imported, else the Python one.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from kaspar.protocol.records import CORRUPT_MESSAGE, RecordsError

__all__ = [
    "ACCELERATED",
    "BatchBody",
    "Columns",
    "ColumnsDecoder",
    "decode_columns",
    "decode_columns_py",
]


class BatchBody(NamedTuple):
    """One batch's decompressed records section and the header fields its records need."""

    body: bytes
    records_count: int
    base_offset: int
    base_timestamp: int
    timestamp_type: int  # 0 CreateTime, 1 LogAppendTime
    log_append_time: int  # the batch's maxTimestamp: every record's time under LogAppendTime


class Columns(NamedTuple):
    """The decoded records: ``rows`` entries per column; bitmaps are None when nothing is null.

    Offsets arrays (``*_offsets``) hold ``rows + 1`` int32 positions into their data. Headers are
    an Arrow ``list<struct<key: string, value: binary>>``: ``header_offsets`` index header
    entries, a record without headers is null; all header fields are None unless asked for.
    """

    rows: int
    offsets: bytes  # int64
    timestamps: bytes  # int64 epoch milliseconds
    timestamp_types: bytes  # int32
    key_offsets: bytes
    key_validity: bytes | None
    key_data: bytes
    value_offsets: bytes
    value_validity: bytes | None
    value_data: bytes
    header_offsets: bytes | None
    header_validity: bytes | None
    header_key_offsets: bytes | None
    header_key_data: bytes | None
    header_value_offsets: bytes | None
    header_value_validity: bytes | None
    header_value_data: bytes | None


class ColumnsDecoder(Protocol):
    """Decode ``batches``' records whose offset is in ``[lo, hi)``; ``headers`` or not."""

    def __call__(self, batches: list[BatchBody], lo: int, hi: int, headers: bool, /) -> Columns: ...


def _varint(buf: bytes, pos: int, end: int) -> tuple[int, int]:
    result = shift = 0
    while pos < end and shift <= 63:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7
    raise RecordsError(CORRUPT_MESSAGE, "corrupt record: truncated varint")


class _Binary:
    """An Arrow binary column being built: offsets, validity bits and data."""

    def __init__(self) -> None:
        self.offsets = array("i", [0])
        self.valid: list[bool] = []
        self.data = bytearray()

    def read(self, buf: bytes, pos: int, end: int, nullable: bool = True) -> int:
        length, pos = _varint(buf, pos, end)
        if length >= 0:
            if length > end - pos:
                raise RecordsError(CORRUPT_MESSAGE, "corrupt record: field exceeds the record")
            self.data += buf[pos : pos + length]
            pos += length
        if nullable:
            self.valid.append(length >= 0)
        self.offsets.append(len(self.data))
        return pos

    def validity(self) -> bytes | None:
        return _bitmap(self.valid)


def _bitmap(valid: Sequence[bool]) -> bytes | None:
    if all(valid):
        return None
    out = bytearray((len(valid) + 7) // 8)
    for i, ok in enumerate(valid):
        if ok:
            out[i >> 3] |= 1 << (i & 7)
    return bytes(out)


class _Builder:
    def __init__(self, headers: bool) -> None:
        self.headers = headers
        self.offsets, self.timestamps, self.types = array("q"), array("q"), array("i")
        self.keys, self.values = _Binary(), _Binary()
        self.header_offsets = array("i", [0])
        self.header_valid: list[bool] = []
        self.header_keys, self.header_values = _Binary(), _Binary()

    def record(self, buf: bytes, pos: int, end: int, batch: BatchBody, bounds: range) -> None:
        ts_delta, pos = _varint(buf, pos + 1, end)  # after the attributes byte
        offset_delta, pos = _varint(buf, pos, end)
        offset = batch.base_offset + offset_delta
        if offset not in bounds:
            return
        self.offsets.append(offset)
        stamp = batch.log_append_time if batch.timestamp_type else batch.base_timestamp + ts_delta
        self.timestamps.append(stamp)
        self.types.append(batch.timestamp_type)
        pos = self.keys.read(buf, pos, end)
        pos = self.values.read(buf, pos, end)
        count, pos = _varint(buf, pos, end)
        if count < 0 or count > end - pos:
            raise RecordsError(CORRUPT_MESSAGE, "corrupt record: bad header count")
        for _ in range(count):
            if self.headers:
                pos = self.header_keys.read(buf, pos, end, nullable=False)
                pos = self.header_values.read(buf, pos, end)
            else:
                pos = _Binary().read(buf, _Binary().read(buf, pos, end), end)
        if self.headers:
            self.header_valid.append(count > 0)
            self.header_offsets.append(len(self.header_values.valid))
        if pos != end:
            raise RecordsError(CORRUPT_MESSAGE, "corrupt record: length does not match fields")

    def columns(self) -> Columns:
        h = self.headers
        return Columns(
            len(self.offsets),
            self.offsets.tobytes(),
            self.timestamps.tobytes(),
            self.types.tobytes(),
            self.keys.offsets.tobytes(),
            self.keys.validity(),
            bytes(self.keys.data),
            self.values.offsets.tobytes(),
            self.values.validity(),
            bytes(self.values.data),
            self.header_offsets.tobytes() if h else None,
            _bitmap(self.header_valid) if h else None,
            self.header_keys.offsets.tobytes() if h else None,
            bytes(self.header_keys.data) if h else None,
            self.header_values.offsets.tobytes() if h else None,
            self.header_values.validity() if h else None,
            bytes(self.header_values.data) if h else None,
        )


def decode_columns_py(batches: list[BatchBody], lo: int, hi: int, headers: bool, /) -> Columns:
    """The pure-Python :class:`ColumnsDecoder` (the reference for the C extension)."""
    builder = _Builder(headers)
    bounds = range(lo, hi)
    for batch in batches:
        buf, pos, end = batch.body, 0, len(batch.body)
        if batch.records_count < 0 or batch.records_count > end:
            raise RecordsError(CORRUPT_MESSAGE, "corrupt record: count exceeds the batch")
        for _ in range(batch.records_count):
            length, pos = _varint(buf, pos, end)
            if length < 1 or length > end - pos:
                raise RecordsError(CORRUPT_MESSAGE, "corrupt record: length exceeds the batch")
            builder.record(buf, pos, pos + length, batch, bounds)
            pos += length
        if pos != end:
            raise RecordsError(CORRUPT_MESSAGE, "corrupt record: trailing bytes after records")
    return builder.columns()


def _decode_columns_c(batches: list[BatchBody], lo: int, hi: int, headers: bool, /) -> Columns:
    """The C :class:`ColumnsDecoder`; its ValueError on corrupt input becomes RecordsError."""
    try:
        return Columns._make(_accelerated(batches, lo, hi, headers))
    except (ValueError, OverflowError) as e:
        raise RecordsError(CORRUPT_MESSAGE, str(e)) from None


decode_columns: ColumnsDecoder
try:
    from kaspar.protocol._record_columns import (  # type: ignore[import-not-found,unused-ignore]
        decode_columns as _accelerated,
    )
except ImportError:  # the optional extension was not built
    ACCELERATED = False
    decode_columns = decode_columns_py
else:
    ACCELERATED = True
    decode_columns = _decode_columns_c
