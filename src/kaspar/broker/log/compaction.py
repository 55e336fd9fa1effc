"""Log compaction (cleanup.policy=compact): keep the latest record of every key.

`log_to_clean` (event loop thread, segment metadata only) says how dirty a log is and what may
be cleaned; `plan_cleaning` snapshots that into a `CleanTask`; `clean_log` (the cleaner's worker
thread) writes cleaned copies of the segments as `<base>.log.cleaned` plus indexes, reading the
segment files through its own file descriptors, never touching a live `Segment`; `swap.py` then
installs them on the event loop thread.

The cleanable part of a log is [log start, first uncleanable offset): the active segment and
every segment from the first one holding a record newer than min.compaction.lag.ms on are never
cleaned. Below the cleaner checkpoint (the first dirty offset) the log is already compacted.

`clean_log` protocol (worker thread):

1. Build the offset map: decode every batch of the dirty section [first dirty, end) and map
   each key to its latest offset.
2. Note the last batch of every producer id in [log start, end) (headers only).
3. For each group of consecutive segments (merged while they fit in segment.bytes), write
   `<base>.log.cleaned`. A record is kept iff it has a key, the map holds no later offset for
   that key, and it is not a tombstone (null value) whose batch is older than
   delete.retention.ms. Control batches are kept as they are. A batch keeping all its records
   is copied byte for byte; one keeping some is rebuilt with its original base offset,
   lastOffsetDelta, producer id/epoch, base sequence and attributes (`cleaned_batch.py`:
   uncompressed records are copied as they are, compressed ones re-encoded). A producer's last batch
   that keeps no record stays as an empty batch (as in Kafka: idempotence state is rebuilt
   from batch headers after a restart); other empty batches are dropped.
4. Write the group's `.index.cleaned` and `.timeindex.cleaned` with the indexing rule of
   `Segment.track_batch`, and fsync all three files.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from kaspar.broker.log.cleaned_batch import (
    empty_batch,
    rebuild_batch,
    reencode_batch,
    scan_records,
)
from kaspar.broker.log.offset_index import OffsetIndex
from kaspar.broker.log.segment import Segment, segment_name
from kaspar.broker.log.time_index import TimeIndex
from kaspar.broker.topic_config import TopicConfig
from kaspar.protocol.records import (
    HEADER_SIZE,
    MIN_BATCH_LENGTH,
    BatchHeader,
    decode_batch,
    iter_batches,
    read_batch_header,
)

__all__ = [
    "CleanResult",
    "CleanTask",
    "CleaningAbortedError",
    "LogToClean",
    "SegmentFile",
    "clean_log",
    "log_to_clean",
    "plan_cleaning",
]

INT32_MAX = 2**31 - 1
LONG_MAX = 2**63 - 1
CLEANED = ".cleaned"
_READ_CHUNK = 1 << 20
_COMPRESSION_MASK = 0x07
_LOG_APPEND_TIME_BIT = 0x08
_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")
_INT64 = struct.Struct(">q")
_UINT32 = struct.Struct(">I")


class CleaningAbortedError(Exception):
    """The cleaner was stopped while cleaning; the partial `.cleaned` files are removed."""


def _largest_timestamp(segment: Segment) -> int:
    return segment.max_timestamp if segment.max_timestamp >= 0 else segment.last_modified


@dataclass(frozen=True, slots=True)
class LogToClean:
    """How dirty a compacted log is (Kafka's `LogToClean`)."""

    first_dirty_offset: int
    first_uncleanable_offset: int
    clean_bytes: int
    dirty_bytes: int
    must_clean: bool  # the oldest dirty record is older than max.compaction.lag.ms

    @property
    def cleanable_ratio(self) -> float:
        total = self.clean_bytes + self.dirty_bytes
        return self.dirty_bytes / total if total else 0.0

    def is_cleanable(self, min_cleanable_dirty_ratio: float) -> bool:
        if self.dirty_bytes == 0:
            return False
        return self.must_clean or self.cleanable_ratio > min_cleanable_dirty_ratio


def log_to_clean(
    segments: Sequence[Segment],
    config: TopicConfig,
    checkpoint: int,
    now_ms: int,
    stable_offset: int | None = None,
) -> LogToClean:
    """The cleanable part of a log given its cleaner checkpoint (segment metadata only).

    Segments holding offsets at or above ``stable_offset`` (the last stable offset: an open
    transaction's records may still be aborted) are not cleanable yet.
    """
    first_uncleanable = segments[-1].base_offset
    start = segments[0].base_offset
    first_dirty = checkpoint if start <= checkpoint <= first_uncleanable else start
    clean_bytes = dirty_bytes = 0
    first_dirty_ts = LONG_MAX
    for segment in segments[:-1]:
        if segment.base_offset < first_dirty:
            clean_bytes += segment.size
            continue
        if now_ms - _largest_timestamp(segment) <= config.min_compaction_lag_ms or (
            stable_offset is not None and segment.next_offset > stable_offset
        ):
            first_uncleanable = segment.base_offset
            break
        if first_dirty_ts == LONG_MAX:
            keys = segment.time_index.keys
            first_dirty_ts = keys[0] if keys else _largest_timestamp(segment)
        dirty_bytes += segment.size
    max_lag = config.max_compaction_lag_ms
    must_clean = max_lag < LONG_MAX and now_ms - first_dirty_ts > max_lag
    return LogToClean(first_dirty, first_uncleanable, clean_bytes, dirty_bytes, must_clean)


@dataclass(frozen=True, slots=True)
class SegmentFile:
    """A snapshot of a sealed segment for the worker: its log file and size."""

    base_offset: int
    path: Path
    size: int
    next_offset: int


@dataclass(frozen=True, slots=True)
class CleanTask:
    """Everything `clean_log` needs, captured on the event loop thread."""

    directory: Path
    groups: tuple[tuple[SegmentFile, ...], ...]
    first_dirty_offset: int
    end_offset: int
    now_ms: int
    delete_retention_ms: int
    index_interval_bytes: int
    aborted: tuple[tuple[int, int, int], ...] = ()
    """(producer id, first offset, last offset) of each aborted transaction in the range."""


@dataclass(frozen=True, slots=True)
class CleanResult:
    """What `clean_log` wrote: per group, the `.log.cleaned` file; and its statistics."""

    cleaned: tuple[Path, ...]
    bytes_read: int
    bytes_written: int
    records_removed: int


def _group(segments: Sequence[Segment], config: TopicConfig) -> list[list[Segment]]:
    """Consecutive segments merged while they fit one segment (bytes, offsets, index)."""
    max_entries = max(1, config.segment_index_bytes // OffsetIndex.entry.size)
    groups: list[list[Segment]] = []
    size = entries = 0
    for segment in segments:
        current = groups[-1] if groups else []
        if (
            not current
            or size + segment.size > config.segment_bytes
            or segment.next_offset - current[0].base_offset > INT32_MAX
            or entries + len(segment.offset_index) > max_entries
        ):
            groups.append([segment])
            size = entries = 0
        else:
            current.append(segment)
        size += segment.size
        entries += len(segment.offset_index)
    return groups


def plan_cleaning(
    directory: Path,
    segments: Sequence[Segment],
    config: TopicConfig,
    target: LogToClean,
    now_ms: int,
    *,
    aborted: Sequence[tuple[int, int, int]] = (),
) -> CleanTask:
    """Snapshot the segments below the first uncleanable offset, grouped, for `clean_log`."""
    cleanable = [s for s in segments[:-1] if s.base_offset < target.first_uncleanable_offset]
    groups = tuple(
        tuple(SegmentFile(s.base_offset, s.log_path, s.size, s.next_offset) for s in group)
        for group in _group(cleanable, config)
    )
    return CleanTask(
        directory,
        groups,
        target.first_dirty_offset,
        target.first_uncleanable_offset,
        now_ms,
        config.delete_retention_ms,
        config.index_interval_bytes,
        tuple(aborted),
    )


# ------------------------------------------------------------------------ worker thread


def _read_batches(source: SegmentFile) -> Iterator[tuple[BatchHeader, bytes]]:
    """Every batch of a sealed segment file, read through a file descriptor of our own."""
    fd = os.open(source.path, os.O_RDONLY)
    try:
        position = 0
        while source.size - position >= HEADER_SIZE:
            chunk = os.pread(fd, min(_READ_CHUNK, source.size - position), position)
            end = 0
            for rel, header in iter_batches(chunk):
                end = rel + header.size
                yield header, chunk[rel:end]
            if end == 0:  # a batch larger than the chunk (or a torn tail)
                header = read_batch_header(chunk)
                if header.batch_length < MIN_BATCH_LENGTH or position + header.size > source.size:
                    return
                end = header.size
                yield header, os.pread(fd, end, position)
            position += end
    finally:
        os.close(fd)


class _Cleaner:
    """One `clean_log` run: the offset map, producers' last batches, statistics."""

    def __init__(self, task: CleanTask, abort: threading.Event) -> None:
        self.task = task
        self.abort = abort
        self.offset_map: dict[bytes, int] = {}
        self.last_batch_of: dict[int, int] = {}
        self.bytes_read = self.bytes_written = self.records_removed = 0
        self.aborted: dict[int, list[tuple[int, int]]] = {}
        for producer_id, first, last in task.aborted:
            self.aborted.setdefault(producer_id, []).append((first, last))

    def is_aborted(self, header: BatchHeader) -> bool:
        """A data batch of an aborted transaction: never supersedes a value, never kept."""
        if not header.is_transactional or header.is_control:
            return False
        ranges = self.aborted.get(header.producer_id, ())
        return any(first <= header.base_offset <= last for first, last in ranges)

    def _batches(self, source: SegmentFile) -> Iterator[tuple[BatchHeader, bytes]]:
        for header, data in _read_batches(source):
            if self.abort.is_set():
                raise CleaningAbortedError(f"cleaning {self.task.directory} was stopped")
            yield header, data

    def build_offset_map(self) -> None:
        """Steps 1-2: latest offset per key in the dirty section; last batch per producer."""
        offset_map = self.offset_map
        for group in self.task.groups:
            for source in group:
                dirty = source.base_offset >= self.task.first_dirty_offset
                for header, data in self._batches(source):
                    if header.is_control:
                        continue
                    if header.producer_id >= 0:
                        self.last_batch_of[header.producer_id] = header.base_offset
                    if not dirty or self.is_aborted(header):
                        continue
                    if header.compression == 0:
                        pairs = [(v.key, v.offset) for v in scan_records(data, header)]
                    else:
                        pairs = [(r.key, r.offset) for r in decode_batch(data)[1]]
                    for key, offset in pairs:
                        if key is not None:
                            offset_map[key] = offset

    def _retain(self, key: bytes | None, offset: int, tombstone: bool, expired: bool) -> bool:
        if key is None or offset < self.offset_map.get(key, -1):
            return False
        return not (tombstone and expired)

    def filter_batch(self, header: BatchHeader, data: bytes) -> bytes:
        """Step 3 for one batch: the bytes to write for it (b"" to drop it)."""
        if header.is_control:
            return data
        if self.is_aborted(header):
            self.records_removed += header.records_count
            if self.last_batch_of.get(header.producer_id) == header.base_offset:
                return empty_batch(header)
            return b""
        expired = self.task.now_ms - header.max_timestamp > self.task.delete_retention_ms
        retain = self._retain
        if header.compression == 0:
            views = scan_records(data, header)
            kept_views = [v for v in views if retain(v.key, v.offset, v.is_tombstone, expired)]
            removed, kept_any = len(views) - len(kept_views), bool(kept_views)
            rebuilt = (lambda: rebuild_batch(data, header, kept_views)) if removed else None
        else:
            records = decode_batch(data)[1]
            kept = [r for r in records if retain(r.key, r.offset, r.value is None, expired)]
            removed, kept_any = len(records) - len(kept), bool(kept)
            rebuilt = (lambda: reencode_batch(header, kept)) if removed else None
        self.records_removed += removed
        if rebuilt is None:
            return data
        if kept_any:
            return rebuilt()
        if self.last_batch_of.get(header.producer_id) == header.base_offset:
            return empty_batch(header)
        return b""

    def write_group(self, group: Sequence[SegmentFile]) -> Path:
        """Steps 3-4 for one group: `<base>.log.cleaned` and its indexes, fsynced."""
        base = group[0].base_offset
        path = self.task.directory / (segment_name(base, ".log") + CLEANED)
        index = _IndexBuilder(base, self.task.index_interval_bytes)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            out = bytearray()
            position = 0
            for source in group:
                self.bytes_read += source.size
                for header, data in self._batches(source):
                    kept = self.filter_batch(header, data)
                    if kept:
                        index.track(read_batch_header(kept), position + len(out))
                        out += kept
                    if len(out) >= _READ_CHUNK:
                        position += os.write(fd, out)
                        out.clear()
            position += os.write(fd, out)
            self.bytes_written += position
            os.fsync(fd)
        finally:
            os.close(fd)
        index.write(self.task.directory)
        return path


def clean_log(task: CleanTask, abort: threading.Event | None = None) -> CleanResult:
    """Write cleaned copies of the task's segment groups (worker thread; module steps)."""
    cleaner = _Cleaner(task, abort or threading.Event())
    written: list[Path] = []
    try:
        cleaner.build_offset_map()  # steps 1-2
        for group in task.groups:  # steps 3-4
            written.append(cleaner.write_group(group))
    except BaseException:
        for group in task.groups:
            for path in cleaned_paths(task.directory, group[0].base_offset):
                path.unlink(missing_ok=True)
        raise
    return CleanResult(
        tuple(written), cleaner.bytes_read, cleaner.bytes_written, cleaner.records_removed
    )


def cleaned_paths(directory: Path, base_offset: int) -> tuple[Path, Path, Path]:
    """The `.index`, `.timeindex` and `.log` files of a cleaned segment, suffixed `.cleaned`."""
    return tuple(  # type: ignore[return-value]
        directory / (segment_name(base_offset, suffix) + CLEANED)
        for suffix in (".index", ".timeindex", ".log")
    )


class _IndexBuilder:
    """Index entries of a cleaned segment, by `Segment.track_batch`'s rule (step 4).

    The first entry is always (0, 0), as in a segment written by appends, even when the
    cleaned segment's first batch starts after its base offset (lookups stay correct: the
    batch at position 0 is the first one holding an offset >= base).
    """

    def __init__(self, base_offset: int, interval: int) -> None:
        self.base_offset = base_offset
        self.interval = interval
        self.offsets: list[tuple[int, int]] = []
        self.times: list[tuple[int, int]] = []
        self.max_timestamp = -1
        self.offset_of_max = base_offset
        self.since_index = interval

    def _time_entry(self) -> None:
        if not self.times or self.max_timestamp > self.times[-1][0]:
            self.times.append((self.max_timestamp, self.offset_of_max - self.base_offset))

    def track(self, header: BatchHeader, position: int) -> None:
        if header.max_timestamp > self.max_timestamp:
            self.max_timestamp = header.max_timestamp
            self.offset_of_max = header.base_offset
        if self.since_index >= self.interval:
            relative = header.base_offset - self.base_offset if self.offsets else 0
            self.offsets.append((relative, position))
            self._time_entry()
            self.since_index = 0
        self.since_index += header.size

    def write(self, directory: Path) -> None:
        if self.max_timestamp >= 0:
            self._time_entry()  # what `Segment.seal` adds
        index_path, time_path, _ = cleaned_paths(directory, self.base_offset)
        for path, entry, entries in (
            (index_path, OffsetIndex.entry, self.offsets),
            (time_path, TimeIndex.entry, self.times),
        ):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, b"".join(entry.pack(*e) for e in entries))
                os.fsync(fd)
            finally:
                os.close(fd)
