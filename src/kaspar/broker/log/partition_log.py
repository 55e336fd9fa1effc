"""A partition's log: a directory of segments with Kafka's on-disk layout.

Threading: every method runs on the event loop thread except `flush`, which may run in a worker
thread. `_lock` guards the set of unflushed segments and their file descriptors (flush dups
them under the lock, then fsyncs without holding it), so appends never wait for an fsync.
"""

from __future__ import annotations

import shutil
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kaspar.broker.log.checkpoint import read_log_start_offset, write_log_start_offset
from kaspar.broker.log.errors import (
    InvalidTimestampError,
    KafkaStorageError,
    OffsetOutOfRangeError,
)
from kaspar.broker.log.flush_state import FlushState
from kaspar.broker.log.reader import read_batches, timestamp_lookup
from kaspar.broker.log.recovery import recover_log
from kaspar.broker.log.retention import SegmentMetadata, deletable_segments
from kaspar.broker.log.segment import BatchInfo, Segment
from kaspar.broker.topic_config import TopicConfig
from kaspar.protocol.records import (
    BatchHeader,
    set_base_offset,
    set_log_append_time,
    set_partition_leader_epoch,
)

__all__ = ["AppendInfo", "PartitionLog"]

INT32_MAX = 2**31 - 1
LONG_MAX = 2**63 - 1
LEADER_EPOCH = 0


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, slots=True)
class AppendInfo:
    """Result of an append: offsets assigned and the timestamps to report to the producer."""

    base_offset: int
    last_offset: int
    log_append_time_ms: int
    max_timestamp: int


class PartitionLog:
    """Segments of one partition; offsets are assigned here (single node: HW == LEO)."""

    def __init__(
        self, directory: Path, config: TopicConfig, segments: list[Segment], log_start_offset: int
    ) -> None:
        self.directory = directory
        self._config = config
        self._segments = segments
        self._bases = [s.base_offset for s in segments]
        self._log_start_offset = max(log_start_offset, segments[0].base_offset)
        self._log_end_offset = segments[-1].next_offset
        self._flush = FlushState(self._log_end_offset)

    @classmethod
    def open(
        cls,
        directory: Path,
        config: TopicConfig,
        *,
        clean_shutdown: bool,
        now_ms: int | None = None,
    ) -> PartitionLog:
        """Open (creating if needed) a partition directory, recovering it as `recovery` says."""
        directory.mkdir(parents=True, exist_ok=True)
        segments = recover_log(directory, config, clean_shutdown=clean_shutdown)
        log_start_offset = read_log_start_offset(directory)
        if not segments:
            segments = [cls._new_segment(directory, config, log_start_offset, now_ms)]
        return cls(directory, config, segments, log_start_offset)

    @staticmethod
    def _new_segment(
        directory: Path, config: TopicConfig, base_offset: int, now_ms: int | None
    ) -> Segment:
        return Segment(
            directory,
            base_offset,
            index_interval_bytes=config.index_interval_bytes,
            segment_index_bytes=config.segment_index_bytes,
            created_ms=_wall_clock_ms() if now_ms is None else now_ms,
        )

    # ------------------------------------------------------------------ properties

    @property
    def config(self) -> TopicConfig:
        return self._config

    @property
    def log_start_offset(self) -> int:
        return self._log_start_offset

    @property
    def log_end_offset(self) -> int:
        return self._log_end_offset

    @property
    def high_watermark(self) -> int:
        return self._log_end_offset

    @property
    def size_bytes(self) -> int:
        return sum(s.size for s in self._segments)

    @property
    def segments(self) -> tuple[Segment, ...]:
        return tuple(self._segments)

    @property
    def unflushed_messages(self) -> int:
        return self._flush.unflushed_messages

    @property
    def last_flush_ms(self) -> int:
        return self._flush.last_flush_ms

    @property
    def flushed_offset(self) -> int:
        """Every offset below this is known to be fsynced."""
        return self._flush.flushed_offset

    # ------------------------------------------------------------------ append

    def append(
        self, records: bytes | bytearray, headers: list[BatchHeader], *, now_ms: int
    ) -> AppendInfo:
        """Assign offsets to validated batches and write them with one `os.write`.

        `headers` must be `validate_batches(records)`; no record is decoded or re-encoded.
        """
        log_append_time = self._config.log_append_time
        if not log_append_time:
            self._check_timestamps(headers, now_ms)
        buf = bytearray(records)
        base_offset = offset = self._log_end_offset
        batches: list[BatchInfo] = []
        position = messages = 0
        max_timestamp = -1
        for header in headers:
            set_base_offset(buf, position, offset)
            set_partition_leader_epoch(buf, position, LEADER_EPOCH)
            timestamp = header.max_timestamp
            if log_append_time:
                set_log_append_time(buf, position, now_ms)
                timestamp = now_ms
            last_offset = offset + header.last_offset_delta
            batches.append(BatchInfo(offset, last_offset, position, header.size, timestamp))
            max_timestamp = max(max_timestamp, timestamp)
            offset = last_offset + 1
            position += header.size
            messages += header.records_count
        if position != len(buf):
            raise ValueError("headers do not describe the record batches exactly")
        segment = self._segment_for_append(len(buf), offset - 1, now_ms)
        try:
            segment.append(buf, batches)
        except OSError as exc:
            raise KafkaStorageError(f"cannot append to {segment.log_path}: {exc}") from exc
        self._log_end_offset = offset
        self._flush.mark_dirty(segment, messages, offset)
        append_time = now_ms if log_append_time else -1
        return AppendInfo(base_offset, offset - 1, append_time, max_timestamp)

    def _check_timestamps(self, headers: list[BatchHeader], now_ms: int) -> None:
        before = self._config.message_timestamp_before_max_ms
        after = self._config.message_timestamp_after_max_ms
        if before == LONG_MAX and after == LONG_MAX:
            return
        for header in headers:
            for timestamp in (header.base_timestamp, header.max_timestamp):
                if now_ms - timestamp > before or timestamp - now_ms > after:
                    raise InvalidTimestampError(
                        f"timestamp {timestamp} is out of range for broker time {now_ms} "
                        f"(message.timestamp.before.max.ms={before}, "
                        f"message.timestamp.after.max.ms={after})"
                    )

    def _segment_for_append(self, size: int, last_offset: int, now_ms: int) -> Segment:
        """Roll before appending if the active segment is full, old, or offsets would overflow."""
        active = self._segments[-1]
        config = self._config
        if active.size > 0 and (
            active.size + size > config.segment_bytes
            or now_ms - active.created_ms > config.segment_ms
            or last_offset - active.base_offset > INT32_MAX
            or active.is_full
        ):
            return self.roll(now_ms)
        return active

    def roll(self, now_ms: int | None = None) -> Segment:
        """Start a new active segment at the log end offset."""
        active = self._segments[-1]
        if active.size == 0:
            return active
        active.seal()
        segment = self._new_segment(self.directory, self._config, self._log_end_offset, now_ms)
        self._segments.append(segment)
        self._bases.append(segment.base_offset)
        self._flush.directory_changed(self.directory)
        return segment

    # ------------------------------------------------------------------ read

    def read(self, offset: int, max_bytes: int, *, max_offset: int | None = None) -> bytes:
        """Whole batches from the one containing `offset`, at least one batch (KIP-74).

        Raises `OffsetOutOfRangeError` outside [log_start_offset, log_end_offset]; returns
        b"" at the log end. `max_offset` keeps only batches whose last offset < max_offset.
        """
        if offset < self._log_start_offset or offset > self._log_end_offset:
            raise OffsetOutOfRangeError(
                f"offset {offset} is outside [{self._log_start_offset}, {self._log_end_offset}]"
            )
        if offset == self._log_end_offset:
            return b""
        index = self.segment_index(offset)
        return read_batches(self._segments, index, offset, max_bytes, max_offset)

    def segment_index(self, offset: int) -> int:
        """Index in `segments` of the segment that would hold `offset`."""
        return max(0, bisect_right(self._bases, offset) - 1)

    def offset_for_timestamp(self, timestamp: int) -> tuple[int, int] | None:
        """(offset, timestamp) of the first record with timestamp >= `timestamp`, or None."""
        return timestamp_lookup(self._segments, timestamp, self._log_start_offset)

    def latest_timestamp(self) -> tuple[int, int] | None:
        """(offset, timestamp) of the record with the largest timestamp (ListOffsets -3)."""
        best = max(range(len(self._segments)), key=lambda i: self._segments[i].max_timestamp)
        largest = self._segments[best].max_timestamp
        if largest < 0:
            return None
        return timestamp_lookup(self._segments, largest, self._log_start_offset, best)

    # ------------------------------------------------------------------ deletion

    def delete_records_before(self, offset: int, *, now_ms: int | None = None) -> int:
        """Move the log start offset to `offset` (-1 = high watermark); return the new one."""
        if offset == -1:
            offset = self._log_end_offset
        if offset < 0 or offset > self._log_end_offset:
            raise OffsetOutOfRangeError(
                f"offset {offset} is outside [0, {self._log_end_offset}] for DeleteRecords"
            )
        if offset <= self._log_start_offset:
            return self._log_start_offset
        self._log_start_offset = offset
        write_log_start_offset(self.directory, offset)
        if offset == self._log_end_offset:
            self.roll(now_ms)
        self._delete_oldest(self._count_below_start())
        return offset

    def _count_below_start(self) -> int:
        return sum(1 for base in self._bases[1:] if base <= self._log_start_offset)

    def apply_retention(self, now_ms: int) -> int:
        """Delete old segments per retention.ms / retention.bytes; return how many."""
        if not self._config.deletes:
            count = self._count_below_start()
        else:
            metadata = [
                SegmentMetadata(
                    s.base_offset,
                    s.size,
                    s.max_timestamp if s.max_timestamp >= 0 else s.last_modified,
                )
                for s in self._segments
            ]
            count = deletable_segments(
                metadata,
                now_ms=now_ms,
                retention_ms=self._config.retention_ms,
                retention_bytes=self._config.retention_bytes,
                log_start_offset=self._log_start_offset,
            )
        self._delete_oldest(count)
        new_start = self._segments[0].base_offset
        if new_start > self._log_start_offset:
            self._log_start_offset = new_start
            write_log_start_offset(self.directory, new_start)
        return count

    def holds_inactive(self, old: Sequence[Segment]) -> int | None:
        """Index of `old` if it is a run of consecutive inactive segments of this log, else None."""
        for i, segment in enumerate(self._segments[:-1]):
            if segment is old[0]:
                run = self._segments[i : i + len(old)]
                if i + len(old) < len(self._segments) and all(
                    a is b for a, b in zip(run, old, strict=True)
                ):
                    return i
                return None
        return None

    def replace_segments(self, old: Sequence[Segment], open_new: Callable[[], Segment]) -> None:
        """Log compaction's swap: delete `old` (see `holds_inactive`), put `open_new()` there."""
        first = self.holds_inactive(old)
        if first is None:
            raise ValueError("segments to replace are not consecutive inactive segments")
        for segment in old:
            self._flush.forget(segment)
            segment.delete()
        new = open_new()
        self._segments[first : first + len(old)] = [new]
        self._bases[first : first + len(old)] = [new.base_offset]

    def _delete_oldest(self, count: int) -> None:
        doomed = self._segments[:count]
        del self._segments[:count]
        del self._bases[:count]
        for segment in doomed:
            self._flush.forget(segment)
            segment.delete()

    # ------------------------------------------------------------------ lifecycle

    def flush(self, now_ms: int | None = None) -> None:
        """fsync every segment written since the last flush (safe from a worker thread)."""
        self._flush.flush(_wall_clock_ms() if now_ms is None else now_ms)

    def update_config(self, config: TopicConfig) -> None:
        """Apply new topic configs (index settings apply to new segments)."""
        self._config = config

    def close(self) -> None:
        """Flush everything, seal the active segment's time index and close all files."""
        self.flush()
        self._segments[-1].seal()
        for segment in self._segments:
            segment.flush_indexes()
            self._flush.forget(segment)
            segment.close()

    def delete(self) -> None:
        """Close and remove the whole partition directory."""
        for segment in self._segments:
            self._flush.forget(segment)
            segment.close()
        shutil.rmtree(self.directory, ignore_errors=True)
