"""RecordBatch v2 (magic 2): header view, validation for Produce, and a non-hot-path codec.

The hot path (Produce -> log append, log read -> Fetch) only touches the 61-byte batch header
through `read_batch_header`, `validate_batches` and the `set_*` patch helpers; records are never
decoded there. `encode_batch` / `decode_batch` are for tests, control batches, ListOffsets by
timestamp and compaction.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import cramjam
import crc32c

from kaspar.protocol.errors import ErrorCode

__all__ = [
    "BATCH_HEADER",
    "HEADER_SIZE",
    "BatchHeader",
    "Record",
    "RecordsError",
    "crc_of",
    "decode_batch",
    "decompress",
    "encode_batch",
    "iter_batches",
    "read_batch_header",
    "set_base_offset",
    "set_log_append_time",
    "set_partition_leader_epoch",
    "validate_batches",
]

CORRUPT_MESSAGE = ErrorCode.CORRUPT_MESSAGE
MESSAGE_TOO_LARGE = ErrorCode.MESSAGE_TOO_LARGE
UNSUPPORTED_FOR_MESSAGE_FORMAT = ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT
INVALID_RECORD = ErrorCode.INVALID_RECORD

BATCH_HEADER = struct.Struct(">qiibIhiqqqhii")
HEADER_SIZE = BATCH_HEADER.size  # 61
LOG_OVERHEAD = 12  # baseOffset + batchLength
CRC_START = 21  # attributes onwards are covered by the CRC
MIN_BATCH_LENGTH = HEADER_SIZE - LOG_OVERHEAD  # 49
_MAGIC_POS = 16
_BASE_OFFSET = struct.Struct(">q")
_INT32 = struct.Struct(">i")
_UINT32 = struct.Struct(">I")
_INT16 = struct.Struct(">h")
_INT64 = struct.Struct(">q")
_LENGTH_AT_8 = struct.Struct(">qi")

COMPRESSION_MASK = 0x07
TIMESTAMP_TYPE_BIT = 0x08
TRANSACTIONAL_BIT = 0x10
CONTROL_BIT = 0x20
XERIAL_MAGIC = b"\x82SNAPPY\x00"


class RecordsError(Exception):
    """A record batch is malformed or violates a limit; `error_code` is the Kafka error code."""

    def __init__(self, error_code: int, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code


class BatchHeader(NamedTuple):
    """The 61-byte RecordBatch v2 header, decoded with one struct call."""

    base_offset: int
    batch_length: int
    partition_leader_epoch: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    base_timestamp: int
    max_timestamp: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    records_count: int

    @property
    def size(self) -> int:
        """Total bytes of the batch on the wire (batchLength + 12)."""
        return self.batch_length + LOG_OVERHEAD

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def compression(self) -> int:
        return self.attributes & COMPRESSION_MASK

    @property
    def timestamp_type(self) -> int:
        return 1 if self.attributes & TIMESTAMP_TYPE_BIT else 0

    @property
    def is_transactional(self) -> bool:
        return bool(self.attributes & TRANSACTIONAL_BIT)

    @property
    def is_control(self) -> bool:
        return bool(self.attributes & CONTROL_BIT)


def read_batch_header(buf: bytes | bytearray | memoryview, pos: int = 0) -> BatchHeader:
    """Decode the batch header at `pos`; raises `RecordsError` if fewer than 61 bytes remain."""
    if len(buf) - pos < HEADER_SIZE:
        raise RecordsError(CORRUPT_MESSAGE, f"truncated batch header at position {pos}")
    return BatchHeader._make(BATCH_HEADER.unpack_from(buf, pos))


def iter_batches(buf: bytes | bytearray | memoryview) -> Iterator[tuple[int, BatchHeader]]:
    """Yield (position, header) of each complete batch; stops at an incomplete trailing batch."""
    pos = 0
    end = len(buf)
    while end - pos >= HEADER_SIZE:
        header = BatchHeader._make(BATCH_HEADER.unpack_from(buf, pos))
        size = header.batch_length + LOG_OVERHEAD
        if header.batch_length < MIN_BATCH_LENGTH or pos + size > end:
            return
        yield pos, header
        pos += size


def crc_of(buf: bytes | bytearray | memoryview, pos: int, header: BatchHeader) -> int:
    """CRC-32C of the batch at `pos` from its attributes to its end."""
    end = pos + header.batch_length + LOG_OVERHEAD
    return int(crc32c.crc32c(memoryview(buf)[pos + CRC_START : end]))


def _check_magic(buf: bytes | bytearray | memoryview, pos: int) -> None:
    if len(buf) - pos <= _MAGIC_POS:
        raise RecordsError(CORRUPT_MESSAGE, f"truncated record batch at position {pos}")
    magic = buf[pos + _MAGIC_POS]
    if magic in (0, 1):
        raise RecordsError(
            UNSUPPORTED_FOR_MESSAGE_FORMAT, f"message format v{magic} is not supported, use v2"
        )
    if magic != 2:
        raise RecordsError(CORRUPT_MESSAGE, f"invalid magic {magic} at position {pos}")


def _check_batch(
    buf: bytes | bytearray | memoryview, pos: int, header: BatchHeader, max_message_bytes: int
) -> None:
    size = header.batch_length + LOG_OVERHEAD
    if header.batch_length < MIN_BATCH_LENGTH or pos + size > len(buf):
        raise RecordsError(
            CORRUPT_MESSAGE, f"invalid batch length {header.batch_length} at position {pos}"
        )
    if size > max_message_bytes:
        raise RecordsError(
            MESSAGE_TOO_LARGE,
            f"record batch of {size} bytes exceeds max.message.bytes={max_message_bytes}",
        )
    if crc_of(buf, pos, header) != header.crc:
        raise RecordsError(CORRUPT_MESSAGE, f"CRC mismatch in record batch at position {pos}")
    if header.records_count <= 0 or header.last_offset_delta != header.records_count - 1:
        raise RecordsError(
            INVALID_RECORD,
            f"record batch has {header.records_count} records but lastOffsetDelta "
            f"{header.last_offset_delta}",
        )


def validate_batches(
    buf: bytes | bytearray | memoryview, *, max_message_bytes: int
) -> list[BatchHeader]:
    """Validate produced record batches without decoding records (hot path).

    Checks: at least one batch, the buffer is consumed exactly, magic 2, a sane batchLength,
    the CRC-32C, lastOffsetDelta == recordsCount - 1, and size <= `max_message_bytes`.
    """
    headers: list[BatchHeader] = []
    pos = 0
    end = len(buf)
    if end == 0:
        raise RecordsError(CORRUPT_MESSAGE, "empty record set")
    while pos < end:
        _check_magic(buf, pos)
        header = read_batch_header(buf, pos)
        _check_batch(buf, pos, header, max_message_bytes)
        headers.append(header)
        pos += header.batch_length + LOG_OVERHEAD
    return headers


def set_base_offset(buf: bytearray | memoryview, pos: int, base_offset: int) -> None:
    """Patch baseOffset of the batch at `pos` (outside the CRC)."""
    _BASE_OFFSET.pack_into(buf, pos, base_offset)


def set_partition_leader_epoch(buf: bytearray | memoryview, pos: int, epoch: int) -> None:
    """Patch partitionLeaderEpoch of the batch at `pos` (outside the CRC)."""
    _INT32.pack_into(buf, pos + 12, epoch)


def set_log_append_time(buf: bytearray | memoryview, pos: int, timestamp_ms: int) -> None:
    """Mark the batch at `pos` LogAppendTime with maxTimestamp = `timestamp_ms`; recompute CRC.

    As in Kafka, baseTimestamp and the records are left untouched: consumers use maxTimestamp
    for every record of a LogAppendTime batch.
    """
    (attributes,) = _INT16.unpack_from(buf, pos + CRC_START)
    _INT16.pack_into(buf, pos + CRC_START, attributes | TIMESTAMP_TYPE_BIT)
    _INT64.pack_into(buf, pos + 35, timestamp_ms)
    _, batch_length = _LENGTH_AT_8.unpack_from(buf, pos)
    end = pos + batch_length + LOG_OVERHEAD
    _UINT32.pack_into(buf, pos + 17, crc32c.crc32c(memoryview(buf)[pos + CRC_START : end]))


# --------------------------------------------------------------------------- codec (not hot)


@dataclass(slots=True)
class Record:
    """One record; `offset` is absolute (baseOffset + offsetDelta)."""

    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)


def _write_varint(out: bytearray, value: int) -> None:
    v = ((value << 1) ^ (value >> 63)) & 0xFFFFFFFFFFFFFFFF
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def _read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    result = 0
    shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise RecordsError(CORRUPT_MESSAGE, "truncated or overlong varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), pos
        shift += 7


def _write_bytes(out: bytearray, data: bytes | None) -> None:
    if data is None:
        _write_varint(out, -1)
    else:
        _write_varint(out, len(data))
        out += data


def _read_bytes(buf: bytes | memoryview, pos: int) -> tuple[bytes | None, int]:
    length, pos = _read_varint(buf, pos)
    if length < 0:
        return None, pos
    if pos + length > len(buf):
        raise RecordsError(CORRUPT_MESSAGE, "record field exceeds batch")
    return bytes(buf[pos : pos + length]), pos + length


def _encode_record(out: bytearray, record: Record, base_offset: int, base_ts: int) -> None:
    body = bytearray(b"\x00")
    _write_varint(body, record.timestamp - base_ts)
    _write_varint(body, record.offset - base_offset)
    _write_bytes(body, record.key)
    _write_bytes(body, record.value)
    _write_varint(body, len(record.headers))
    for name, value in record.headers:
        _write_bytes(body, name.encode())
        _write_bytes(body, value)
    _write_varint(out, len(body))
    out += body


def _decode_record(buf: bytes, pos: int, base_offset: int, base_ts: int) -> tuple[Record, int]:
    length, pos = _read_varint(buf, pos)
    end = pos + length
    if length < 1 or end > len(buf):
        raise RecordsError(CORRUPT_MESSAGE, "record length exceeds batch")
    view = memoryview(buf)[:end]
    ts_delta, p = _read_varint(view, pos + 1)
    offset_delta, p = _read_varint(view, p)
    key, p = _read_bytes(view, p)
    value, p = _read_bytes(view, p)
    count, p = _read_varint(view, p)
    headers: list[tuple[str, bytes | None]] = []
    for _ in range(count):
        name, p = _read_bytes(view, p)
        header_value, p = _read_bytes(view, p)
        headers.append(((name or b"").decode(), header_value))
    if p != end:
        raise RecordsError(CORRUPT_MESSAGE, "record length does not match its fields")
    record = Record(base_offset + offset_delta, base_ts + ts_delta, key, value, headers)
    return record, end


def _compress(data: bytes, compression: int) -> bytes:
    match compression:
        case 0:
            return data
        case 1:
            return bytes(cramjam.gzip.compress(data))
        case 2:
            return bytes(cramjam.snappy.compress_raw(data))
        case 3:
            return bytes(cramjam.lz4.compress(data))
        case 4:
            return bytes(cramjam.zstd.compress(data))
    raise RecordsError(CORRUPT_MESSAGE, f"unknown compression type {compression}")


def _decompress_xerial(data: bytes) -> bytes:
    out = bytearray()
    pos = 16  # magic (8) + version (4) + compatible version (4)
    while pos + 4 <= len(data):
        (length,) = _INT32.unpack_from(data, pos)
        pos += 4
        out += bytes(cramjam.snappy.decompress_raw(data[pos : pos + length]))
        pos += length
    return bytes(out)


def _decompress(data: bytes, compression: int) -> bytes:
    try:
        match compression:
            case 0:
                return data
            case 1:
                return bytes(cramjam.gzip.decompress(data))
            case 2:
                if data.startswith(XERIAL_MAGIC):
                    return _decompress_xerial(data)
                return bytes(cramjam.snappy.decompress_raw(data))
            case 3:
                return bytes(cramjam.lz4.decompress(data))
            case 4:
                return bytes(cramjam.zstd.decompress(data))
    except cramjam.DecompressionError as exc:
        raise RecordsError(CORRUPT_MESSAGE, f"cannot decompress records: {exc}") from exc
    raise RecordsError(CORRUPT_MESSAGE, f"unknown compression type {compression}")


def decompress(data: bytes, compression: int) -> bytes:
    """A batch's records section, uncompressed (``compression``: the attributes' codec bits)."""
    return _decompress(data, compression)


def encode_batch(
    records: Sequence[Record],
    *,
    base_offset: int = 0,
    compression: int = 0,
    producer_id: int = -1,
    producer_epoch: int = -1,
    base_sequence: int = -1,
    is_transactional: bool = False,
    is_control: bool = False,
    timestamp_type: int = 0,
    partition_leader_epoch: int = -1,
) -> bytes:
    """Encode one RecordBatch v2; record offset deltas are `record.offset - base_offset`."""
    if not records:
        raise ValueError("a record batch needs at least one record")
    base_ts = records[0].timestamp
    body = bytearray()
    for record in records:
        _encode_record(body, record, base_offset, base_ts)
    payload = _compress(bytes(body), compression)
    attributes = compression | (TIMESTAMP_TYPE_BIT if timestamp_type else 0)
    attributes |= (TRANSACTIONAL_BIT if is_transactional else 0) | (
        CONTROL_BIT if is_control else 0
    )
    header = BatchHeader(
        base_offset=base_offset,
        batch_length=MIN_BATCH_LENGTH + len(payload),
        partition_leader_epoch=partition_leader_epoch,
        magic=2,
        crc=0,
        attributes=attributes,
        last_offset_delta=max(r.offset for r in records) - base_offset,
        base_timestamp=base_ts,
        max_timestamp=max(r.timestamp for r in records),
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        base_sequence=base_sequence,
        records_count=len(records),
    )
    out = bytearray(BATCH_HEADER.pack(*header)) + payload
    _UINT32.pack_into(out, 17, crc32c.crc32c(memoryview(out)[CRC_START:]))
    return bytes(out)


def decode_batch(buf: bytes | bytearray | memoryview) -> tuple[BatchHeader, list[Record]]:
    """Decode the first batch in `buf` (verifying magic, length and CRC) into its records."""
    _check_magic(buf, 0)
    header = read_batch_header(buf, 0)
    size = header.size
    if header.batch_length < MIN_BATCH_LENGTH or size > len(buf):
        raise RecordsError(CORRUPT_MESSAGE, "truncated record batch")
    if crc_of(buf, 0, header) != header.crc:
        raise RecordsError(CORRUPT_MESSAGE, "CRC mismatch in record batch")
    body = _decompress(bytes(buf[HEADER_SIZE:size]), header.compression)
    records: list[Record] = []
    pos = 0
    for _ in range(header.records_count):
        record, pos = _decode_record(body, pos, header.base_offset, header.base_timestamp)
        records.append(record)
    if pos != len(body):
        raise RecordsError(CORRUPT_MESSAGE, "trailing bytes after the last record")
    return header, records
