"""Recovery: torn tails, CRC corruption, missing indexes, clean reopen."""

from __future__ import annotations

import os
from pathlib import Path

from kaspar.broker.log import PartitionLog
from kaspar.broker.topic_config import TopicConfig
from kaspar.protocol.records import Record, encode_batch, iter_batches, validate_batches

NOW = 1_700_000_000_000
CONFIG = TopicConfig.from_overrides({"segment.bytes": "2000", "index.interval.bytes": "250"})


def batch(count: int = 2, ts: int = NOW) -> bytes:
    return encode_batch([Record(i, ts + i, b"k", b"value" * 10, []) for i in range(count)])


def fill(directory: Path, batches: int) -> list[int]:
    log = PartitionLog.open(directory, CONFIG, clean_shutdown=True, now_ms=NOW)
    for i in range(batches):
        data = batch(ts=NOW + i)
        log.append(data, validate_batches(data, max_message_bytes=1 << 20), now_ms=NOW)
    bases = [s.base_offset for s in log.segments]
    log.close()
    return bases


def reopen(directory: Path, clean: bool = False) -> PartitionLog:
    return PartitionLog.open(directory, CONFIG, clean_shutdown=clean, now_ms=NOW)


def all_offsets(log: PartitionLog) -> list[int]:
    offsets: list[int] = []
    offset = log.log_start_offset
    while offset < log.log_end_offset:
        data = log.read(offset, 1 << 20)
        for _, header in iter_batches(data):
            offsets.extend(range(header.base_offset, header.last_offset + 1))
        offset = offsets[-1] + 1
    return offsets


def last_log_file(directory: Path) -> Path:
    return sorted(directory.glob("*.log"))[-1]


def check_continues(log: PartitionLog, expected_end: int) -> None:
    assert log.log_end_offset == expected_end
    assert all_offsets(log) == list(range(expected_end))
    data = batch()
    info = log.append(data, validate_batches(data, max_message_bytes=1 << 20), now_ms=NOW)
    assert info.base_offset == expected_end
    assert all_offsets(log) == list(range(expected_end + 2))


def test_clean_reopen_loads_indexes(tmp_path: Path) -> None:
    bases = fill(tmp_path, 40)
    log = reopen(tmp_path, clean=True)
    assert [s.base_offset for s in log.segments] == bases
    assert log.segments[0].largest_timestamp == NOW + bases[1] // 2 - 1 + 1
    check_continues(log, 80)


def test_torn_tail_mid_batch(tmp_path: Path) -> None:
    fill(tmp_path, 40)
    path = last_log_file(tmp_path)
    size = path.stat().st_size
    os.truncate(path, size - 7)
    check_continues(reopen(tmp_path), 78)


def test_garbage_tail(tmp_path: Path) -> None:
    fill(tmp_path, 40)
    with last_log_file(tmp_path).open("ab") as f:
        f.write(b"\x00\x01garbage" * 20)
    check_continues(reopen(tmp_path), 80)


def test_crc_corrupt_tail(tmp_path: Path) -> None:
    fill(tmp_path, 40)
    path = last_log_file(tmp_path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    check_continues(reopen(tmp_path), 78)


def test_clean_flag_with_torn_tail_still_recovers(tmp_path: Path) -> None:
    fill(tmp_path, 40)
    path = last_log_file(tmp_path)
    os.truncate(path, path.stat().st_size - 7)
    check_continues(reopen(tmp_path, clean=True), 78)


def test_missing_and_corrupt_indexes_rebuilt(tmp_path: Path) -> None:
    bases = fill(tmp_path, 40)
    (tmp_path / f"{bases[0]:020d}.index").unlink()
    (tmp_path / f"{bases[1]:020d}.timeindex").write_bytes(b"\x01" * 13)
    (tmp_path / f"{bases[2]:020d}.index").write_bytes(b"\x00" * 16)
    log = reopen(tmp_path)
    assert [s.base_offset for s in log.segments] == bases
    assert len(log.segments[0].offset_index) > 1
    assert all(s.largest_timestamp > 0 for s in log.segments)
    check_continues(log, 80)


def test_truncated_middle_segment_drops_later_segments(tmp_path: Path) -> None:
    bases = fill(tmp_path, 40)
    middle = tmp_path / f"{bases[1]:020d}.log"
    os.truncate(middle, middle.stat().st_size - 5)
    log = reopen(tmp_path)
    assert [s.base_offset for s in log.segments] == bases[:2]
    assert log.log_end_offset == bases[2] - 2


def test_leftovers_removed(tmp_path: Path) -> None:
    fill(tmp_path, 3)
    (tmp_path / "00000000000000000099.index").write_bytes(b"")
    (tmp_path / "00000000000000000000.log.deleted").write_bytes(b"x")
    reopen(tmp_path).close()
    assert not (tmp_path / "00000000000000000099.index").exists()
    assert not (tmp_path / "00000000000000000000.log.deleted").exists()


def test_empty_directory(tmp_path: Path) -> None:
    log = reopen(tmp_path / "new-0")
    assert (log.log_start_offset, log.log_end_offset) == (0, 0)
    assert (tmp_path / "new-0" / "00000000000000000000.log").exists()
