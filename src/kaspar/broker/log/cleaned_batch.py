"""Record batches as the log cleaner rewrites them: the retained records of one batch.

Every rewritten batch keeps the original batch's base offset, lastOffsetDelta, producer
id/epoch, base sequence, partition leader epoch and attributes, so offsets, idempotence state
and timestamp types survive cleaning. Uncompressed batches take a fast path: records are
scanned for their offset, key and null value only, and retained records are copied byte for
byte (their offset and timestamp deltas stay valid since base offset and base timestamp do
not change). Compressed batches are decoded and re-encoded with `encode_batch`.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

import crc32c

from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.records import (
    BATCH_HEADER,
    HEADER_SIZE,
    MIN_BATCH_LENGTH,
    BatchHeader,
    Record,
    RecordsError,
    encode_batch,
)

__all__ = ["RecordView", "empty_batch", "rebuild_batch", "reencode_batch", "scan_records"]

_COMPRESSION_MASK = 0x07
_INT32 = struct.Struct(">i")
_INT64 = struct.Struct(">q")
_UINT32 = struct.Struct(">I")


class RecordView(NamedTuple):
    """Where one record of an uncompressed batch lies, and what the cleaner needs of it."""

    offset: int
    timestamp_delta: int
    key: bytes | None
    is_tombstone: bool
    start: int
    end: int


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    b = buf[pos]
    if b < 0x80:
        return (b >> 1) ^ -(b & 1), pos + 1
    result, shift = b & 0x7F, 7
    while True:
        pos += 1
        b = buf[pos]
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return (result >> 1) ^ -(result & 1), pos + 1
        shift += 7


def scan_records(data: bytes, header: BatchHeader) -> list[RecordView]:
    """The records of an uncompressed batch without decoding values or headers.

    Single-byte varints (most attributes, deltas and key lengths) are decoded inline.
    """
    views = []
    pos = HEADER_SIZE
    base_offset = header.base_offset
    varint = _varint
    make = RecordView._make
    try:
        for _ in range(header.records_count):
            length, p = varint(data, pos)
            end = p + length
            b = data[p + 1]  # skip the attributes byte
            ts_delta, p = ((b >> 1) ^ -(b & 1), p + 2) if b < 0x80 else varint(data, p + 1)
            b = data[p]
            offset_delta, p = ((b >> 1) ^ -(b & 1), p + 1) if b < 0x80 else varint(data, p)
            b = data[p]
            key_length, p = ((b >> 1) ^ -(b & 1), p + 1) if b < 0x80 else varint(data, p)
            if key_length >= 0:
                key: bytes | None = data[p : p + key_length]
                p += key_length
            else:
                key = None
            views.append(make((base_offset + offset_delta, ts_delta, key, data[p] == 1, pos, end)))
            pos = end
    except IndexError:
        pos = -1
    if pos != len(data):
        msg = f"malformed records in the batch at offset {base_offset}"
        raise RecordsError(ErrorCode.CORRUPT_MESSAGE, msg)
    return views


def _with_crc(buf: bytearray) -> bytes:
    _UINT32.pack_into(buf, 17, crc32c.crc32c(memoryview(buf)[21:]))
    return bytes(buf)


def rebuild_batch(data: bytes, header: BatchHeader, kept: list[RecordView]) -> bytes:
    """An uncompressed batch of the `kept` records of `data`, copied byte for byte."""
    body = b"".join(data[view.start : view.end] for view in kept)
    max_timestamp = header.max_timestamp
    if header.timestamp_type == 0:
        max_timestamp = header.base_timestamp + max(view.timestamp_delta for view in kept)
    rebuilt = header._replace(
        batch_length=MIN_BATCH_LENGTH + len(body),
        crc=0,
        max_timestamp=max_timestamp,
        records_count=len(kept),
    )
    return _with_crc(bytearray(BATCH_HEADER.pack(*rebuilt)) + body)


def reencode_batch(header: BatchHeader, kept: list[Record]) -> bytes:
    """A batch of the `kept` decoded records keeping the original header fields."""
    buf = bytearray(
        encode_batch(
            kept,
            base_offset=header.base_offset,
            compression=header.compression,
            producer_id=header.producer_id,
            producer_epoch=header.producer_epoch,
            base_sequence=header.base_sequence,
            is_transactional=header.is_transactional,
            timestamp_type=header.timestamp_type,
            partition_leader_epoch=header.partition_leader_epoch,
        )
    )
    _INT32.pack_into(buf, 23, header.last_offset_delta)
    if header.timestamp_type == 1:  # LogAppendTime: every record has the batch's maxTimestamp
        _INT64.pack_into(buf, 35, header.max_timestamp)
    return _with_crc(buf)


def empty_batch(header: BatchHeader) -> bytes:
    """The header of `header`'s batch with no records (Kafka keeps these for producers)."""
    empty = header._replace(
        batch_length=MIN_BATCH_LENGTH,
        crc=0,
        attributes=header.attributes & ~_COMPRESSION_MASK,
        records_count=0,
    )
    return _with_crc(bytearray(BATCH_HEADER.pack(*empty)))
