"""Opening a partition directory: load or rebuild segments, truncating torn tails.

`recover_log` protocol:

1. Complete committed compaction swaps: a `<base>.log.swap` file (a cleaned segment renamed
   from `.cleaned`, see `swap.py`) replaces every segment whose base offset lies in
   [base, its next offset): those are deleted, the swap's indexes are dropped (rebuilt in
   step 3) and it is renamed to `<base>.log`. Then remove leftovers: `*.deleted` / `*.tmp` /
   `*.cleaned` / other `*.swap` files and index files whose `.log` is gone.
2. Open one `Segment` per `.log` file, in base-offset order.
3. For every segment but the last: load `.index` and `.timeindex` from their files and check
   them (entry size, monotonic, positions inside the log, first entry at position 0), then
   scan batch headers from the last index entry to the end of the file. If any check fails,
   recover the segment fully with `recover_segment`.
4. The last (active) segment: after a clean shutdown, the same cheap load as step 3; after an
   unclean shutdown (kill -9, power loss), always `recover_segment` it fully.
5. If recovering a segment truncated bytes, every later segment is deleted: the log ends at the
   first invalid byte, as in Kafka.

`recover_segment` protocol:

1. Forget the segment's index entries (truncate `.index` and `.timeindex` to empty).
2. Read the log from position 0 in large chunks; a batch at position p is valid if its 61-byte
   header is present, magic == 2, batchLength >= 49, the batch fits in the file, its CRC-32C
   matches and its baseOffset is not below the end of the previous batch.
3. Feed every valid batch to `Segment.track_batch`, the same indexing rule as appends use.
4. At the first invalid byte, stop and truncate the log file there.
5. Return the number of bytes truncated.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from kaspar.broker.log.segment import BatchInfo, Segment, segment_name
from kaspar.broker.topic_config import TopicConfig
from kaspar.protocol.records import (
    BATCH_HEADER,
    HEADER_SIZE,
    MIN_BATCH_LENGTH,
    BatchHeader,
    crc_of,
)

__all__ = ["open_segment", "recover_log", "recover_segment"]

log = logging.getLogger(__name__)

_READ_CHUNK = 1 << 20
_LEFTOVER_SUFFIXES = (".deleted", ".tmp", ".cleaned", ".swap")


def _valid_batches(segment: Segment) -> int:
    """Steps 2-3 of `recover_segment`: track valid batches, return the valid length."""
    position = 0
    next_offset = segment.base_offset
    file_size = os.fstat(segment.fd).st_size
    while file_size - position >= HEADER_SIZE:
        chunk = os.pread(segment.fd, min(_READ_CHUNK, file_size - position), position)
        rel = 0
        while len(chunk) - rel >= HEADER_SIZE:
            header = BatchHeader._make(BATCH_HEADER.unpack_from(chunk, rel))
            size = header.batch_length + 12
            if header.magic != 2 or header.batch_length < MIN_BATCH_LENGTH:
                return position + rel
            if position + rel + size > file_size:
                return position + rel
            if rel + size > len(chunk):
                if rel == 0:  # batch bigger than the chunk: read it whole
                    chunk = os.pread(segment.fd, size, position)
                    continue
                break
            if crc_of(chunk, rel, header) != header.crc or header.base_offset < next_offset:
                return position + rel
            info = BatchInfo(
                header.base_offset, header.last_offset, rel, size, header.max_timestamp
            )
            segment.track_batch(info, position + rel)
            next_offset = header.last_offset + 1
            rel += size
        position += rel
    return position


def recover_segment(segment: Segment) -> int:
    """Rebuild a segment's indexes from its log, truncating at the first invalid byte."""
    segment.reset_indexes()  # step 1
    file_size = os.fstat(segment.fd).st_size
    valid = _valid_batches(segment)  # steps 2-3
    truncated = file_size - valid
    if truncated:  # step 4
        log.warning(
            "truncating %s at position %d (%d invalid bytes)", segment.log_path, valid, truncated
        )
    segment.truncate_to(valid)
    return truncated  # step 5


def _load_segment(segment: Segment) -> int:
    """Step 3 of `recover_log`: cheap load, falling back to `recover_segment`."""
    if (
        segment.offset_index.load(segment.size)
        and segment.time_index.load()
        and segment.load_tail()
    ):
        return 0
    log.warning("rebuilding the indexes of %s", segment.log_path)
    return recover_segment(segment)


def _swap_next_offset(path: Path) -> int | None:
    """The offset after the last complete batch of a `.log.swap` file (None if it has none)."""
    next_offset = None
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        position = 0
        while size - position >= HEADER_SIZE:
            header = BatchHeader._make(BATCH_HEADER.unpack(os.pread(fd, HEADER_SIZE, position)))
            if header.batch_length < MIN_BATCH_LENGTH or position + header.size > size:
                break
            next_offset = header.last_offset + 1
            position += header.size
    finally:
        os.close(fd)
    return next_offset


def _complete_swaps(directory: Path) -> None:
    """Step 1, first half: finish every committed compaction swap."""
    for swap in sorted(directory.glob("*.log.swap")):
        stem = swap.name.removesuffix(".log.swap")
        if not stem.isdigit():
            continue
        base = int(stem)
        end = max(base + 1, _swap_next_offset(swap) or base)
        for log_file in directory.glob("*.log"):
            if log_file.stem.isdigit() and base <= int(log_file.stem) < end:
                log_file.unlink()
                for suffix in (".index", ".timeindex"):
                    log_file.with_suffix(suffix).unlink(missing_ok=True)
        for suffix in (".index", ".timeindex", ".index.swap", ".timeindex.swap"):
            (directory / segment_name(base, suffix)).unlink(missing_ok=True)
        log.warning("completing the interrupted compaction swap of %s", swap)
        swap.replace(directory / segment_name(base, ".log"))


def open_segment(directory: Path, base_offset: int, config: TopicConfig) -> Segment:
    """Open one existing sealed segment as step 3 does (cheap load, else a rebuild)."""
    segment = Segment(
        directory,
        base_offset,
        index_interval_bytes=config.index_interval_bytes,
        segment_index_bytes=config.segment_index_bytes,
    )
    _load_segment(segment)
    return segment


def _remove_leftovers(directory: Path) -> list[int]:
    """Step 1: complete swaps, delete leftovers; return the base offsets of the `.log` files."""
    _complete_swaps(directory)
    bases = []
    for path in directory.iterdir():
        if path.suffix in _LEFTOVER_SUFFIXES:
            path.unlink(missing_ok=True)
        elif path.suffix in (".index", ".timeindex"):
            if not path.with_suffix(".log").exists():
                path.unlink(missing_ok=True)
        elif path.suffix == ".log" and path.stem.isdigit():
            bases.append(int(path.stem))
    return sorted(bases)


def recover_log(directory: Path, config: TopicConfig, *, clean_shutdown: bool) -> list[Segment]:
    """Open the segments of a partition directory, following the module docstring's steps."""
    bases = _remove_leftovers(directory)
    segments = [
        Segment(
            directory,
            base,
            index_interval_bytes=config.index_interval_bytes,
            segment_index_bytes=config.segment_index_bytes,
        )
        for base in bases
    ]  # step 2
    for i, segment in enumerate(segments):
        is_last = i == len(segments) - 1
        if is_last and not clean_shutdown:
            truncated = recover_segment(segment)  # step 4
        else:
            truncated = _load_segment(segment)  # steps 3-4
        if truncated and not is_last:  # step 5
            for later in segments[i + 1 :]:
                log.warning("deleting %s after a truncated segment", later.log_path)
                later.delete()
            del segments[i + 1 :]
            break
    return segments
