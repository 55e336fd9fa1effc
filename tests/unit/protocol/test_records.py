"""RecordBatch v2: codec round trips, header view, validation errors, patch helpers."""

from __future__ import annotations

import struct

import cramjam
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.records import (
    HEADER_SIZE,
    Record,
    RecordsError,
    crc_of,
    decode_batch,
    encode_batch,
    iter_batches,
    read_batch_header,
    set_base_offset,
    set_log_append_time,
    set_partition_leader_epoch,
    validate_batches,
)

MAX = 1 << 30

optional_bytes = st.one_of(st.none(), st.binary(max_size=64))
headers = st.lists(st.tuples(st.text(max_size=8), optional_bytes), max_size=3)


@st.composite
def record_lists(draw: st.DrawFn) -> list[Record]:
    count = draw(st.integers(1, 8))
    base_ts = draw(st.integers(0, 2**40))
    return [
        Record(
            offset=i,
            timestamp=base_ts + draw(st.integers(-(2**20), 2**20)),
            key=draw(optional_bytes),
            value=draw(optional_bytes),
            headers=draw(headers),
        )
        for i in range(count)
    ]


def sample(count: int = 3, *, base_ts: int = 1_000, **kwargs: int | bool) -> bytes:
    records = [Record(i, base_ts + i, b"k%d" % i, b"v" * 10, []) for i in range(count)]
    return encode_batch(records, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("compression", [0, 1, 2, 3, 4])
@settings(max_examples=40, deadline=None, derandomize=True)
@given(records=record_lists(), base_offset=st.integers(0, 2**40))
def test_encode_decode_round_trip(
    compression: int, records: list[Record], base_offset: int
) -> None:
    for r in records:
        r.offset += base_offset
    buf = encode_batch(records, base_offset=base_offset, compression=compression)
    header, decoded = decode_batch(buf)
    assert decoded == records
    assert header.compression == compression
    assert header.base_offset == base_offset
    assert header.records_count == len(records)
    assert header.last_offset == base_offset + len(records) - 1
    assert header.max_timestamp == max(r.timestamp for r in records)
    assert header.size == len(buf)
    assert validate_batches(buf, max_message_bytes=MAX) == [header]


def test_header_flags() -> None:
    buf = sample(
        producer_id=7, producer_epoch=2, base_sequence=5, is_transactional=True, is_control=True
    )
    header = read_batch_header(buf)
    assert (header.producer_id, header.producer_epoch, header.base_sequence) == (7, 2, 5)
    assert header.is_transactional and header.is_control
    assert header.timestamp_type == 0 and header.magic == 2
    assert crc_of(buf, 0, header) == header.crc


def test_iter_batches_stops_at_incomplete_tail() -> None:
    a, b = sample(2), sample(3, base_offset=2)
    found = list(iter_batches(a + b + b[:-1]))
    assert [(pos, h.records_count) for pos, h in found] == [(0, 2), (len(a), 3)]
    assert list(iter_batches(a[: HEADER_SIZE - 1])) == []


def expect_error(buf: bytes, code: int, max_message_bytes: int = MAX) -> None:
    with pytest.raises(RecordsError) as info:
        validate_batches(buf, max_message_bytes=max_message_bytes)
    assert info.value.error_code == code


def test_validate_multiple_batches() -> None:
    buf = sample(2) + sample(1, compression=4)
    assert [h.records_count for h in validate_batches(buf, max_message_bytes=MAX)] == [2, 1]


def test_validate_empty_and_truncated() -> None:
    buf = sample()
    expect_error(b"", ErrorCode.CORRUPT_MESSAGE)
    expect_error(buf[:10], ErrorCode.CORRUPT_MESSAGE)
    expect_error(buf[:40], ErrorCode.CORRUPT_MESSAGE)
    expect_error(buf[:-1], ErrorCode.CORRUPT_MESSAGE)
    expect_error(buf + buf[:30], ErrorCode.CORRUPT_MESSAGE)


@pytest.mark.parametrize(("magic", "code"), [(0, 43), (1, 43), (3, 2), (255, 2)])
def test_validate_magic(magic: int, code: int) -> None:
    buf = bytearray(sample())
    buf[16] = magic
    expect_error(bytes(buf), code)


def test_validate_crc_corruption_detected_anywhere() -> None:
    buf = sample()
    for position in range(21, len(buf)):
        corrupt = bytearray(buf)
        corrupt[position] ^= 0x40
        expect_error(bytes(corrupt), ErrorCode.CORRUPT_MESSAGE)


def test_validate_bad_batch_length() -> None:
    buf = bytearray(sample())
    struct.pack_into(">i", buf, 8, 10)
    expect_error(bytes(buf), ErrorCode.CORRUPT_MESSAGE)


def test_validate_last_offset_delta_mismatch() -> None:
    records = [Record(0, 1, None, b"a"), Record(2, 1, None, b"b")]  # gap in offsets
    expect_error(encode_batch(records), ErrorCode.INVALID_RECORD)


def test_validate_message_too_large() -> None:
    buf = sample()
    expect_error(buf, ErrorCode.MESSAGE_TOO_LARGE, max_message_bytes=len(buf) - 1)
    assert validate_batches(buf, max_message_bytes=len(buf))


def test_patch_helpers_keep_crc_valid() -> None:
    buf = bytearray(sample())
    set_base_offset(buf, 0, 12345)
    set_partition_leader_epoch(buf, 0, 9)
    header = read_batch_header(buf)
    assert header.base_offset == 12345 and header.partition_leader_epoch == 9
    assert validate_batches(buf, max_message_bytes=MAX)


def test_set_log_append_time() -> None:
    buf = bytearray(sample(base_ts=5))
    before = read_batch_header(buf)
    set_log_append_time(buf, 0, 99_999)
    header = read_batch_header(buf)
    assert header.timestamp_type == 1 and header.max_timestamp == 99_999
    assert header.base_timestamp == before.base_timestamp
    assert header.crc != before.crc
    _, records = decode_batch(buf)
    assert [r.timestamp for r in records] == [5, 6, 7]


def test_decode_xerial_snappy() -> None:
    records = [Record(i, 10, None, bytes([65 + i]) * 40, []) for i in range(3)]
    plain = encode_batch(records)
    body = plain[HEADER_SIZE:]
    xerial = b"\x82SNAPPY\x00" + struct.pack(">ii", 1, 1)
    for chunk in (body[:20], body[20:]):
        compressed = bytes(cramjam.snappy.compress_raw(chunk))
        xerial += struct.pack(">i", len(compressed)) + compressed
    batch = bytearray(plain[:HEADER_SIZE]) + xerial
    struct.pack_into(">i", batch, 8, len(batch) - 12)
    struct.pack_into(">h", batch, 21, 2)  # attributes: snappy
    struct.pack_into(">I", batch, 17, crc_of(batch, 0, read_batch_header(batch)))
    header, decoded = decode_batch(bytes(batch))
    assert decoded == records
    assert header.compression == 2


def test_decode_rejects_corrupt_compressed_payload() -> None:
    buf = bytearray(sample(compression=1))
    buf[HEADER_SIZE:] = b"\x00" * (len(buf) - HEADER_SIZE)
    struct.pack_into(">I", buf, 17, crc_of(buf, 0, read_batch_header(buf)))
    with pytest.raises(RecordsError) as info:
        decode_batch(bytes(buf))
    assert info.value.error_code == ErrorCode.CORRUPT_MESSAGE


def test_decode_truncated() -> None:
    buf = sample()
    with pytest.raises(RecordsError):
        decode_batch(buf[:-3])
    with pytest.raises(RecordsError):
        decode_batch(buf[:20])


def test_encode_rejects_empty() -> None:
    with pytest.raises(ValueError, match="at least one record"):
        encode_batch([])
