"""Reading whole batches out of segments: Fetch reads and ListOffsets timestamp lookups."""

from __future__ import annotations

from collections.abc import Sequence

from kaspar.broker.log.segment import Segment
from kaspar.protocol.records import BatchHeader, decode_batch

__all__ = ["read_batches", "timestamp_lookup"]


def _whole_batches_end(segment: Segment, start: int, limit: int, max_offset: int | None) -> int:
    """Position after the last complete batch that ends by `limit` (and lies below `max_offset`).

    `start` is a batch boundary known (from the offset index) to end complete batches, so only
    the headers of the last index interval are read, never every batch of a large read.
    """
    end = start
    for position, header in segment.batches(start):
        if position + header.size > limit:
            break
        if max_offset is not None and header.last_offset >= max_offset:
            break
        end = position + header.size
    return end


def read_batches(
    segments: Sequence[Segment], index: int, offset: int, max_bytes: int, max_offset: int | None
) -> bytes:
    """Whole batches from the one holding `offset` in segments[index:], at least one (KIP-74)."""
    for segment in segments[index:]:
        found = segment.find_position(offset)
        if found is None:
            continue
        position, first = found
        if max_offset is not None and first.last_offset >= max_offset:
            return b""
        if first.size >= max_bytes:
            return segment.read_from(position, first.size)
        # The batches' end is found from their headers first, so the read is exactly them:
        # no trimming copy of a large read (fetch responses are megabytes).
        limit = min(position + max_bytes, segment.size)
        boundary = max(position, segment.offset_index.floor_position(limit, max_offset))
        end = _whole_batches_end(segment, boundary, limit, max_offset)
        return segment.read_from(position, end - position)
    return b""


def _first_record_at(
    segment: Segment, position: int, header: BatchHeader, ts: int
) -> tuple[int, int] | None:
    if header.timestamp_type == 1:  # LogAppendTime: every record has maxTimestamp
        return header.base_offset, header.max_timestamp
    _, records = decode_batch(segment.read_from(position, header.size))
    for record in records:
        if record.timestamp >= ts:
            return record.offset, record.timestamp
    return None


def timestamp_lookup(
    segments: Sequence[Segment], timestamp: int, log_start_offset: int, start: int = 0
) -> tuple[int, int] | None:
    """(offset, timestamp) of the first record with timestamp >= `timestamp`, or None.

    1. Skip segments whose largest timestamp is below `timestamp`.
    2. In the first other segment, the time index gives a batch from which to scan.
    3. Scan batch headers for the first batch whose maxTimestamp >= `timestamp`.
    4. Decode that one batch to find the record (LogAppendTime batches: the first record).
    """
    for segment in segments[start:]:
        if segment.max_timestamp < timestamp:
            continue
        found = segment.find_position(segment.time_index.lookup(timestamp))
        begin = found[0] if found is not None else 0
        for position, header in segment.batches(begin):
            if header.max_timestamp < timestamp:
                continue
            hit = _first_record_at(segment, position, header, timestamp)
            if hit is not None:
                return max(hit[0], log_start_offset), hit[1]
    return None
