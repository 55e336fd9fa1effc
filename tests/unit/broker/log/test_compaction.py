"""Log compaction: latest record per key, offsets kept, tombstones, lags, crash-safe swaps."""

from __future__ import annotations

from pathlib import Path

from kaspar.broker.log import PartitionLog
from kaspar.broker.log.compaction import (
    CleanTask,
    clean_log,
    cleaned_paths,
    log_to_clean,
    plan_cleaning,
)
from kaspar.broker.log.swap import read_cleaner_checkpoint, swap_cleaned
from kaspar.broker.topic_config import TopicConfig
from kaspar.protocol.records import (
    BatchHeader,
    Record,
    decode_batch,
    encode_batch,
    iter_batches,
    validate_batches,
)

NOW = 1_700_000_000_000
HOUR = 3_600_000


def config(**overrides: str) -> TopicConfig:
    settings = {
        "cleanup.policy": "compact",
        "segment.bytes": "1000",
        "index.interval.bytes": "200",
        "min.cleanable.dirty.ratio": "0.01",
        "delete.retention.ms": str(HOUR),
    }
    settings.update({k.replace("_", "."): v for k, v in overrides.items()})
    return TopicConfig.from_overrides(settings)


def open_log(path: Path, cfg: TopicConfig, clean: bool = True) -> PartitionLog:
    return PartitionLog.open(path, cfg, clean_shutdown=clean, now_ms=NOW)


def append(
    log: PartitionLog, key: bytes, value: bytes | None, ts: int = NOW, producer_id: int = -1
) -> int:
    data = encode_batch(
        [Record(0, ts, key, value)],
        producer_id=producer_id,
        producer_epoch=0 if producer_id >= 0 else -1,
        base_sequence=log.log_end_offset if producer_id >= 0 else -1,
    )
    headers = validate_batches(data, max_message_bytes=1 << 20)
    return log.append(data, headers, now_ms=NOW).base_offset


def fill(
    log: PartitionLog, keys: int, rounds: int, ts: int = NOW
) -> dict[bytes, tuple[int, bytes]]:
    """`rounds` updates of each key; returns key -> (offset, value) of its latest update."""
    latest = {}
    for r in range(rounds):
        for k in range(keys):
            key, value = f"k{k}".encode(), f"v{r}-{k}".encode() * 3
            latest[key] = (append(log, key, value, ts), value)
    return latest


def records(log: PartitionLog) -> list[tuple[BatchHeader, Record]]:
    out: list[tuple[BatchHeader, Record]] = []
    offset = log.log_start_offset
    while offset < log.log_end_offset:
        data = log.read(offset, 1 << 20)
        if not data:
            break
        for pos, header in iter_batches(data):
            out.extend((header, r) for r in decode_batch(data[pos : pos + header.size])[1])
            offset = header.last_offset + 1
    return out


def compact(log: PartitionLog, now_ms: int, checkpoint: int = 0) -> CleanTask:
    target = log_to_clean(log.segments, log.config, checkpoint, now_ms)
    task = plan_cleaning(log.directory, log.segments, log.config, target, now_ms)
    clean_log(task)
    swap_cleaned(log, task)
    return task


def test_keeps_latest_record_per_key_with_original_offsets(tmp_path: Path) -> None:
    log = open_log(tmp_path, config())
    latest = fill(log, keys=5, rounds=20)
    log.roll(NOW)

    task = compact(log, NOW + 1)

    got = {r.key: (r.offset, r.value) for _, r in records(log)}
    assert got == latest
    assert len(records(log)) == 5
    assert read_cleaner_checkpoint(tmp_path) == task.end_offset == log.log_end_offset
    assert not list(tmp_path.glob("*.cleaned")) and not list(tmp_path.glob("*.swap"))


def test_small_cleaned_segments_are_merged(tmp_path: Path) -> None:
    log = open_log(tmp_path, config())
    fill(log, keys=5, rounds=20)
    log.roll(NOW)
    segments_before = len(log.segments)
    task = compact(log, NOW + 1)  # groups by the original sizes: no merge yet
    append(log, b"k0", b"again")
    log.roll(NOW)

    compact(log, NOW + 1, task.end_offset)

    assert len(log.segments) < segments_before // 2
    assert len(records(log)) == 5


def test_active_segment_is_untouched(tmp_path: Path) -> None:
    log = open_log(tmp_path, config(segment_bytes="100000"))
    fill(log, keys=3, rounds=10)  # all in the active segment
    before = records(log)

    task = compact(log, NOW + 1)

    assert task.groups == ()
    assert [(r.offset, r.value) for _, r in records(log)] == [
        (r.offset, r.value) for _, r in before
    ]


def test_appends_and_reopen_after_cleaning(tmp_path: Path) -> None:
    log = open_log(tmp_path, config())
    latest = fill(log, keys=4, rounds=15)
    log.roll(NOW)
    compact(log, NOW + 1)
    offset = append(log, b"k0", b"new")
    log.close()

    log = open_log(tmp_path, config())
    latest[b"k0"] = (offset, b"new")
    got = {r.key: (r.offset, r.value) for _, r in records(log)}
    assert got == latest
    assert log.log_end_offset == offset + 1


def test_tombstones_kept_until_delete_retention_then_removed(tmp_path: Path) -> None:
    log = open_log(tmp_path, config())
    fill(log, keys=3, rounds=10)
    tombstone = append(log, b"k1", None)
    log.roll(NOW)

    compact(log, NOW + 1000)
    assert b"k1" in {r.key for _, r in records(log)}
    assert any(r.offset == tombstone and r.value is None for _, r in records(log))

    append(log, b"k2", b"dirty again")
    log.roll(NOW)
    checkpoint = read_cleaner_checkpoint(tmp_path)
    compact(log, NOW + HOUR + 1, checkpoint)
    assert {r.key for _, r in records(log)} == {b"k0", b"k2"}


def test_min_compaction_lag_keeps_recent_segments_dirty(tmp_path: Path) -> None:
    log = open_log(tmp_path, config(min_compaction_lag_ms=str(HOUR)))
    fill(log, keys=3, rounds=10, ts=NOW - 2 * HOUR)
    old_end = log.log_end_offset
    log.roll(NOW)
    fill(log, keys=3, rounds=10, ts=NOW)
    log.roll(NOW)

    task = compact(log, NOW + 1)

    assert task.end_offset <= old_end + 1
    recent = [r for _, r in records(log) if r.offset >= old_end]
    assert len(recent) == 30  # newer than min.compaction.lag.ms: not compacted
    assert len([r for _, r in records(log) if r.offset < old_end]) <= 3


def test_min_cleanable_dirty_ratio(tmp_path: Path) -> None:
    log = open_log(tmp_path, config(min_cleanable_dirty_ratio="0.9"))
    fill(log, keys=3, rounds=10)
    log.roll(NOW)
    compact(log, NOW + 1)
    append(log, b"k0", b"x")
    log.roll(NOW)

    target = log_to_clean(log.segments, log.config, read_cleaner_checkpoint(tmp_path), NOW + 1)

    assert 0 < target.cleanable_ratio < 0.9
    assert not target.is_cleanable(0.9)
    assert target.is_cleanable(0.01)


def test_idempotent_producer_keeps_its_last_batch_empty(tmp_path: Path) -> None:
    log = open_log(tmp_path, config())
    for i in range(20):
        append(log, b"k", f"v{i}".encode(), producer_id=7)
    last = append(log, b"k", b"final")  # supersedes the producer's last batch
    log.roll(NOW)

    compact(log, NOW + 1)

    data = log.read(0, 1 << 20)
    headers = [h for _, h in iter_batches(data)]
    producer = [h for h in headers if h.producer_id == 7]
    assert [(h.base_offset, h.records_count) for h in producer] == [(19, 0)]
    assert producer[0].base_sequence == 19
    assert [r.offset for _, r in records(log)] == [last]


def _prepare_swap(tmp_path: Path) -> tuple[dict[bytes, tuple[int, bytes]], CleanTask]:
    log = open_log(tmp_path, config())
    latest = fill(log, keys=5, rounds=20)
    log.roll(NOW)
    target = log_to_clean(log.segments, log.config, 0, NOW + 1)
    task = plan_cleaning(log.directory, log.segments, log.config, target, NOW + 1)
    clean_log(task)
    log.close()
    return latest, task


def test_crash_before_the_swap_commits_keeps_the_old_segments(tmp_path: Path) -> None:
    latest, _ = _prepare_swap(tmp_path)
    before = sorted(p.name for p in tmp_path.glob("*.log"))

    log = open_log(tmp_path, config(), clean=False)

    assert sorted(p.name for p in tmp_path.glob("*.log")) == before
    assert not list(tmp_path.glob("*.cleaned"))
    got = {r.key: (r.offset, r.value) for _, r in records(log)}
    assert got == latest
    assert len(records(log)) == 100


def test_crash_after_the_swap_commits_completes_it(tmp_path: Path) -> None:
    latest, task = _prepare_swap(tmp_path)
    group = task.groups[0]
    for path in cleaned_paths(tmp_path, group[0].base_offset):  # step 2, then crash in step 3
        path.replace(path.with_name(path.name.replace(".cleaned", ".swap")))
    group[0].path.unlink()
    (tmp_path / group[0].path.name.replace(".log", ".index")).unlink()

    log = open_log(tmp_path, config(), clean=False)

    assert not list(tmp_path.glob("*.swap"))
    got = {r.key: (r.offset, r.value) for _, r in records(log)}
    assert got == latest
    offsets = [r.offset for _, r in records(log)]
    assert offsets == sorted(set(offsets))
    assert append(log, b"k9", b"after") == latest[b"k4"][0] + 1


def test_compressed_batches_are_reencoded_with_their_codec(tmp_path: Path) -> None:
    log = open_log(tmp_path, config(segment_bytes="4000"))
    for r in range(10):
        batch = [Record(k, NOW, f"k{k}".encode(), f"v{r}".encode() * 20) for k in range(5)]
        batch.append(Record(5, NOW, b"gone", None if r == 9 else b"x"))
        data = encode_batch(batch, compression=1)
        log.append(data, validate_batches(data, max_message_bytes=1 << 20), now_ms=NOW)
    log.roll(NOW)

    compact(log, NOW + HOUR + 1)

    data = log.read(0, 1 << 20)
    assert {h.compression for _, h in iter_batches(data)} == {1}
    got = {r.key: (r.offset, r.value) for _, r in records(log)}
    assert got == {f"k{k}".encode(): (54 + k, b"v9" * 20) for k in range(5)}


def _append_transactional(log: PartitionLog, key: bytes, value: bytes, producer_id: int) -> int:
    data = encode_batch(
        [Record(0, NOW, key, value)],
        producer_id=producer_id,
        producer_epoch=0,
        base_sequence=0,
        is_transactional=True,
    )
    return log.append(
        data, validate_batches(data, max_message_bytes=1 << 20), now_ms=NOW
    ).base_offset


def test_aborted_transaction_never_supersedes_a_committed_value(tmp_path: Path) -> None:
    log = open_log(tmp_path, config())
    committed = append(log, b"k", b"committed")
    aborted_offset = _append_transactional(log, b"k", b"aborted", producer_id=7)
    fill(log, keys=3, rounds=5)
    log.roll(NOW)
    target = log_to_clean(log.segments, log.config, 0, NOW + 1)
    task = plan_cleaning(
        log.directory,
        log.segments,
        log.config,
        target,
        NOW + 1,
        aborted=[(7, aborted_offset, aborted_offset)],
    )
    clean_log(task)
    swap_cleaned(log, task)

    kept = {r.offset: r.value for _, r in records(log) if r.key == b"k"}
    assert kept == {committed: b"committed"}


def test_nothing_at_or_above_the_last_stable_offset_is_cleaned(tmp_path: Path) -> None:
    log = open_log(tmp_path, config())
    fill(log, keys=5, rounds=20)
    log.roll(NOW)
    stable = log.segments[1].base_offset

    target = log_to_clean(log.segments, log.config, 0, NOW + 1, stable_offset=stable)

    assert target.first_uncleanable_offset <= stable
