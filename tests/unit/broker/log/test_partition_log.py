"""PartitionLog: offsets, reads (KIP-74), segment rolls, timestamps, deletion, retention."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kaspar.broker.log import (
    InvalidTimestampError,
    OffsetOutOfRangeError,
    PartitionLog,
)
from kaspar.broker.topic_config import TopicConfig
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.records import (
    Record,
    decode_batch,
    encode_batch,
    iter_batches,
    validate_batches,
)

NOW = 1_700_000_000_000


def batch(
    count: int = 1, *, ts: int = NOW, value: bytes = b"v" * 50, compression: int = 0
) -> bytes:
    records = [Record(i, ts + i, b"key", value, [("h", b"1")]) for i in range(count)]
    return encode_batch(records, compression=compression)


def config(**overrides: str) -> TopicConfig:
    return TopicConfig.from_overrides({k.replace("_", "."): v for k, v in overrides.items()})


def open_log(path: Path, cfg: TopicConfig | None = None, clean: bool = True) -> PartitionLog:
    return PartitionLog.open(path, cfg or config(), clean_shutdown=clean, now_ms=NOW)


def append(log: PartitionLog, data: bytes, now_ms: int = NOW) -> tuple[int, int]:
    info = log.append(data, validate_batches(data, max_message_bytes=1 << 30), now_ms=now_ms)
    return info.base_offset, info.last_offset


def read_offsets(log: PartitionLog, offset: int, max_bytes: int = 1 << 30) -> list[int]:
    return [r.offset for _, r in read_records(log.read(offset, max_bytes))]


def read_records(data: bytes) -> list[tuple[int, Record]]:
    out = []
    for pos, header in iter_batches(data):
        _, records = decode_batch(data[pos : pos + header.size])
        out.extend((header.base_offset, r) for r in records)
    return out


def test_append_assigns_offsets_and_reads_back(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    assert (log.log_start_offset, log.log_end_offset) == (0, 0)
    assert append(log, batch(3)) == (0, 2)
    assert append(log, batch(2) + batch(4, compression=3)) == (3, 8)
    assert log.log_end_offset == log.high_watermark == 9
    assert read_offsets(log, 0) == list(range(9))
    assert read_offsets(log, 4)[0] == 3  # whole batch containing offset 4
    header = next(iter_batches(log.read(5, 1 << 20)))[1]
    assert (header.base_offset, header.partition_leader_epoch) == (5, 0)
    assert log.read(9, 1000) == b""
    assert log.unflushed_messages == 9
    log.close()


def test_read_out_of_range(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    append(log, batch(2))
    for offset in (-1, 3):
        with pytest.raises(OffsetOutOfRangeError) as info:
            log.read(offset, 100)
        assert info.value.error_code == ErrorCode.OFFSET_OUT_OF_RANGE


def test_kip74_first_batch_larger_than_max_bytes(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    big, small = batch(5, value=b"x" * 1000), batch(1)
    append(log, big)
    append(log, small)
    assert log.read(0, 10) == log.read(0, len(big)) == log.read(0, len(big) + len(small) - 1)
    assert len(log.read(0, 10)) == len(big)
    assert len(log.read(0, len(big) + len(small))) == len(big) + len(small)


def test_read_max_offset(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    for _ in range(3):
        append(log, batch(2))
    assert read_offsets(log, 0, 1 << 20) == list(range(6))
    assert [r.offset for _, r in read_records(log.read(0, 1 << 20, max_offset=4))] == [0, 1, 2, 3]
    assert log.read(4, 1 << 20, max_offset=4) == b""


def test_roll_by_bytes_and_sparse_index(tmp_path: Path) -> None:
    cfg = config(segment_bytes="3000", index_interval_bytes="300")
    log = open_log(tmp_path / "t-0", cfg)
    for _ in range(100):
        append(log, batch(2))
    segments = log.segments
    assert len(segments) > 5
    assert all(s.size <= 3000 for s in segments)
    assert [s.base_offset for s in segments] == sorted({s.base_offset for s in segments})
    assert 1 < len(segments[0].offset_index) < 30
    for offset in range(200):
        first = read_records(log.read(offset, 1))
        assert first[0][0] == offset - offset % 2
    assert (tmp_path / "t-0" / f"{segments[1].base_offset:020d}.log").exists()


def test_roll_by_time(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", config(segment_ms="1000"))
    append(log, batch(), now_ms=NOW)
    append(log, batch(), now_ms=NOW + 1000)
    assert len(log.segments) == 1
    append(log, batch(), now_ms=NOW + 1001)
    assert [s.base_offset for s in log.segments] == [0, 2]
    assert read_offsets(log, 0) == [0, 1]  # reads stop at the segment end
    assert read_offsets(log, 2) == [2]


def test_log_append_time(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", config(message_timestamp_type="LogAppendTime"))
    data = batch(3, ts=5)
    info = log.append(data, validate_batches(data, max_message_bytes=1 << 20), now_ms=NOW)
    assert info.log_append_time_ms == NOW and info.max_timestamp == NOW
    header, records = decode_batch(log.read(0, 1 << 20))
    assert header.timestamp_type == 1 and header.max_timestamp == NOW
    assert [r.timestamp for r in records] == [5, 6, 7]
    assert log.offset_for_timestamp(NOW) == (0, NOW)


def test_create_time_bounds(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", config(message_timestamp_before_max_ms="1000",
                                             message_timestamp_after_max_ms="10"))  # fmt: skip
    append(log, batch(ts=NOW - 1000))
    for ts in (NOW - 1001, NOW + 11):
        with pytest.raises(InvalidTimestampError) as info:
            append(log, batch(ts=ts))
        assert info.value.error_code == ErrorCode.INVALID_TIMESTAMP
    assert log.log_end_offset == 1


def test_offset_for_timestamp(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", config(segment_bytes="2000", index_interval_bytes="200"))
    for i in range(60):
        append(log, batch(3, ts=NOW + 10 * i))  # records at NOW+10i, +1, +2
    assert len(log.segments) > 3
    assert log.offset_for_timestamp(0) == (0, NOW)
    assert log.offset_for_timestamp(NOW + 1) == (1, NOW + 1)
    assert log.offset_for_timestamp(NOW + 3) == (3, NOW + 10)
    assert log.offset_for_timestamp(NOW + 301) == (91, NOW + 301)
    assert log.offset_for_timestamp(NOW + 592) == (179, NOW + 592)
    assert log.offset_for_timestamp(NOW + 593) is None
    assert log.latest_timestamp() == (179, NOW + 592)


def test_latest_timestamp_empty(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    assert log.latest_timestamp() is None and log.offset_for_timestamp(0) is None


def test_delete_records_before(tmp_path: Path) -> None:
    directory = tmp_path / "t-0"
    log = open_log(directory, config(segment_bytes="1000"))
    for _ in range(30):
        append(log, batch(2))
    first_bases = [s.base_offset for s in log.segments]
    assert log.delete_records_before(first_bases[2] + 1) == first_bases[2] + 1
    assert log.segments[0].base_offset == first_bases[2]
    with pytest.raises(OffsetOutOfRangeError):
        log.read(first_bases[2], 100)
    assert read_offsets(log, first_bases[2] + 1)[0] == first_bases[2]
    with pytest.raises(OffsetOutOfRangeError):
        log.delete_records_before(61)
    log.close()
    log = open_log(directory)
    assert log.log_start_offset == first_bases[2] + 1
    assert log.delete_records_before(-1) == 60
    assert [s.base_offset for s in log.segments] == [60]
    assert log.read(60, 100) == b""
    assert append(log, batch()) == (60, 60)


def test_retention_by_time_and_bytes(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", config(segment_bytes="1000", retention_ms="1000"))
    for i in range(20):
        append(log, batch(2, ts=NOW + 100 * i), now_ms=NOW + 100 * i)
    count = len(log.segments)
    assert log.apply_retention(NOW + 1000) == 0
    deleted = log.apply_retention(NOW + 2500)
    assert 0 < deleted < count
    assert all(s.largest_timestamp >= NOW + 1500 for s in log.segments[:-1])
    assert log.log_start_offset == log.segments[0].base_offset
    log.update_config(config(segment_bytes="1000", retention_bytes="1500"))
    log.apply_retention(NOW)
    assert 1500 <= log.size_bytes or len(log.segments) == 1
    assert log.size_bytes - log.segments[0].size < 1500
    log.update_config(config(segment_bytes="1000", retention_bytes="0", cleanup_policy="compact"))
    assert log.apply_retention(NOW + 10**9) == 0


def test_flush_from_worker_thread(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", config(segment_bytes="500"))
    errors: list[BaseException] = []

    def flusher() -> None:
        try:
            for _ in range(50):
                log.flush(NOW)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=flusher)
    thread.start()
    for _ in range(200):
        append(log, batch())
    thread.join()
    log.flush(NOW + 5)
    assert not errors
    assert log.unflushed_messages == 0 and log.flushed_offset == 200
    assert log.last_flush_ms == NOW + 5


def test_delete(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0")
    append(log, batch())
    log.delete()
    assert not (tmp_path / "t-0").exists()


def test_reads_end_on_batch_boundaries_for_every_offset_and_limit(tmp_path: Path) -> None:
    log = open_log(tmp_path / "t-0", config(index_interval_bytes="150"))
    sizes = []
    for i in range(40):
        data = batch(1 + i % 3, value=b"x" * (i * 7 % 60))
        sizes.append(len(data))
        append(log, data)
    for offset in range(0, log.log_end_offset, 3):
        for max_bytes in (1, 500, 1500, 5000):
            for max_offset in (None, offset + 5, offset + 30):
                data = log.read(offset, max_bytes, max_offset=max_offset)
                records = read_records(data)
                assert sum(h.size for _, h in iter_batches(data)) == len(data)
                if max_offset is not None:
                    assert all(r.offset < max_offset for _, r in records) or len(records) == 0
                if records:
                    assert records[0][0] <= offset <= records[-1][1].offset
