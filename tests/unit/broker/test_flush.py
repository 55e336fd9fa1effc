"""Group commit and Kafka's flush.messages / flush.ms, on real partition logs in tmp_path."""

from __future__ import annotations

import asyncio
from pathlib import Path

from kaspar.broker.flush import GroupCommit
from kaspar.broker.log import PartitionLog
from kaspar.broker.topic_config import TopicConfig
from kaspar.protocol.records import Record, encode_batch, validate_batches


def _open(tmp_path: Path, name: str, **overrides: str) -> PartitionLog:
    config = TopicConfig.from_overrides(overrides)
    return PartitionLog.open(tmp_path / name, config, clean_shutdown=True)


def _append(log: PartitionLog, count: int = 1) -> None:
    records = [
        Record(offset=i, timestamp=1, key=None, value=b"v", headers=[]) for i in range(count)
    ]
    batch = encode_batch(records)
    log.append(batch, validate_batches(batch, max_message_bytes=1 << 20), now_ms=1)


async def test_sync_returns_once_every_log_is_fsynced(tmp_path: Path) -> None:
    commit = GroupCommit()
    commit.start()
    logs = [_open(tmp_path, f"t-{i}") for i in range(3)]
    for log in logs:
        _append(log, 5)
    assert all(log.flushed_offset == 0 for log in logs)
    await commit.sync(logs)
    assert [log.flushed_offset for log in logs] == [5, 5, 5]
    await commit.close()


async def test_concurrent_syncs_share_fsync_rounds(tmp_path: Path) -> None:
    commit = GroupCommit()
    commit.start()
    logs = [_open(tmp_path, f"t-{i}") for i in range(20)]
    for log in logs:
        _append(log)
    await asyncio.gather(*(commit.sync([log]) for log in logs))
    assert all(log.flushed_offset == 1 for log in logs)
    assert commit.rounds < len(logs)
    await commit.close()


async def test_flush_messages_topic_is_flushed_after_that_many_messages(tmp_path: Path) -> None:
    commit = GroupCommit()
    commit.start()
    log = _open(tmp_path, "counted-0", **{"flush.messages": "3"})
    assert not GroupCommit.uses_group_commit(log)
    _append(log, 2)
    commit.appended(log)
    await asyncio.sleep(0.05)
    assert log.flushed_offset == 0
    _append(log, 1)
    commit.appended(log)
    for _ in range(100):
        if log.flushed_offset == 3:
            break
        await asyncio.sleep(0.01)
    assert log.flushed_offset == 3
    await commit.sync([log])  # acks=all does not wait on such topics
    await commit.close()


async def test_flush_ms_topic_is_flushed_by_time(tmp_path: Path) -> None:
    commit = GroupCommit()
    commit.start()
    log = _open(tmp_path, "timed-0", **{"flush.ms": "50"})
    _append(log, 4)
    commit.appended(log)
    for _ in range(200):
        if log.flushed_offset == 4:
            break
        await asyncio.sleep(0.01)
    assert log.flushed_offset == 4
    await commit.close()
