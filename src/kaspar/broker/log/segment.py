"""One log segment: `<base_offset:020d>.log` plus its `.index` and `.timeindex`.

The log file is opened once with O_APPEND; appends are one `os.write` of whole batches, reads
are `os.pread`. Index entries are added every `index.interval.bytes` (and always for the first
batch of the segment, so a non-empty segment always has an index entry at position 0).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from kaspar.broker.log.offset_index import OffsetIndex
from kaspar.broker.log.time_index import TimeIndex
from kaspar.protocol.records import BATCH_HEADER, HEADER_SIZE, MIN_BATCH_LENGTH, BatchHeader

__all__ = ["BatchInfo", "Segment", "segment_name"]

_SCAN_CHUNK = 16384
_OFFSET_ENTRY_SIZE = 8


def segment_name(base_offset: int, suffix: str) -> str:
    """Kafka's file name: the base offset zero-padded to 20 digits plus `suffix`."""
    return f"{base_offset:020d}{suffix}"


class BatchInfo(NamedTuple):
    """What a segment needs to know about one appended batch."""

    base_offset: int
    last_offset: int
    position: int  # relative to the start of the appended buffer
    size: int
    max_timestamp: int


class Segment:
    """A segment file and its sparse indexes; `next_offset` is the offset after its last batch."""

    def __init__(
        self,
        directory: Path,
        base_offset: int,
        *,
        index_interval_bytes: int,
        segment_index_bytes: int,
        created_ms: int | None = None,
    ) -> None:
        self.base_offset = base_offset
        self.log_path = directory / segment_name(base_offset, ".log")
        self.fd = os.open(self.log_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        stat = os.fstat(self.fd)
        self.size = stat.st_size
        self.created_ms = stat.st_mtime_ns // 1_000_000 if created_ms is None else created_ms
        self.index_interval_bytes = index_interval_bytes
        max_entries = segment_index_bytes // _OFFSET_ENTRY_SIZE
        self.offset_index = OffsetIndex(
            directory / segment_name(base_offset, ".index"), base_offset, max_entries
        )
        self.time_index = TimeIndex(
            directory / segment_name(base_offset, ".timeindex"), base_offset, max_entries
        )
        self.next_offset = base_offset
        self.max_timestamp = -1
        self.offset_of_max_timestamp = base_offset
        self._bytes_since_index = index_interval_bytes

    def __repr__(self) -> str:
        return f"Segment(base_offset={self.base_offset}, size={self.size})"

    @property
    def largest_timestamp(self) -> int:
        return self.max_timestamp

    @property
    def last_modified(self) -> int:
        """Last modification time of the log file, in ms."""
        return os.fstat(self.fd).st_mtime_ns // 1_000_000

    def append(self, data: bytes | bytearray, batches: Sequence[BatchInfo]) -> None:
        """Append whole batches with one write, then index them."""
        start = self.size
        written = os.write(self.fd, data)
        if written != len(data):
            os.ftruncate(self.fd, start)
            raise OSError(errno.ENOSPC, f"short write to {self.log_path}")
        self.size = start + written
        for batch in batches:
            self.track_batch(batch, start + batch.position)

    def track_batch(self, batch: BatchInfo, position: int) -> None:
        """Account for a batch stored at `position` (indexes, max timestamp, next offset)."""
        if batch.max_timestamp > self.max_timestamp:
            self.max_timestamp = batch.max_timestamp
            self.offset_of_max_timestamp = batch.base_offset
        if self._bytes_since_index >= self.index_interval_bytes:
            self.offset_index.append(batch.base_offset, position)
            self.time_index.maybe_append(self.max_timestamp, self.offset_of_max_timestamp)
            self._bytes_since_index = 0
        self._bytes_since_index += batch.size
        self.next_offset = batch.last_offset + 1

    @property
    def is_full(self) -> bool:
        return self.offset_index.is_full or self.time_index.is_full

    def read_from(self, position: int, max_bytes: int) -> bytes:
        """Up to `max_bytes` bytes of the log from `position` (never beyond `size`)."""
        length = min(max_bytes, self.size - position)
        return os.pread(self.fd, length, position) if length > 0 else b""

    def batches(self, position: int = 0) -> Iterator[tuple[int, BatchHeader]]:
        """Headers of the batches from `position` on (reads headers only, in chunks)."""
        end = self.size
        while end - position >= HEADER_SIZE:
            chunk = os.pread(self.fd, min(_SCAN_CHUNK, end - position), position)
            rel = 0
            while len(chunk) - rel >= HEADER_SIZE:
                header = BatchHeader._make(BATCH_HEADER.unpack_from(chunk, rel))
                if header.batch_length < MIN_BATCH_LENGTH:
                    return
                yield position + rel, header
                rel += header.batch_length + 12
            position += rel

    def find_position(self, offset: int) -> tuple[int, BatchHeader] | None:
        """Position and header of the batch containing `offset` (or the first batch after it)."""
        _, start = self.offset_index.lookup(offset)
        for position, header in self.batches(start):
            if header.base_offset + header.last_offset_delta >= offset:
                return position, header
        return None

    def load_tail(self) -> bool:
        """Scan headers from the last index entry; False unless they end exactly at `size`."""
        start = self.offset_index.last_position
        self.max_timestamp = self.time_index.last_timestamp
        self.offset_of_max_timestamp = self.time_index.last_offset
        self.next_offset = self.base_offset
        end = start
        for position, header in self.batches(start):
            if position + header.size > self.size:
                return False
            if header.max_timestamp > self.max_timestamp:
                self.max_timestamp = header.max_timestamp
                self.offset_of_max_timestamp = header.base_offset
            self.next_offset = header.last_offset + 1
            end = position + header.size
        self._bytes_since_index = end - start if self.size else self.index_interval_bytes
        return end == self.size

    def reset_indexes(self) -> None:
        """Forget all index entries (before a full rebuild by recovery)."""
        self.offset_index.reset()
        self.time_index.reset()
        self.next_offset = self.base_offset
        self.max_timestamp = -1
        self.offset_of_max_timestamp = self.base_offset
        self._bytes_since_index = self.index_interval_bytes

    def truncate_to(self, position: int) -> None:
        """Cut the log file at `position` (index entries at or after it are dropped)."""
        os.ftruncate(self.fd, position)
        self.size = position
        self.offset_index.truncate_to_position(position)

    def seal(self) -> None:
        """Called when the segment stops being active: add the final time index entry."""
        if self.max_timestamp >= 0:
            self.time_index.maybe_append(self.max_timestamp, self.offset_of_max_timestamp)

    def flush(self) -> None:
        os.fsync(self.fd)

    def flush_indexes(self) -> None:
        self.offset_index.flush()
        self.time_index.flush()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        self.offset_index.close()
        self.time_index.close()

    def delete(self) -> None:
        self.close()
        self.log_path.unlink(missing_ok=True)
        self.offset_index.delete()
        self.time_index.delete()
