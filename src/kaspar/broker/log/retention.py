"""The retention decision for cleanup.policy=delete, as a pure function over segment metadata."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import NamedTuple

__all__ = ["SegmentMetadata", "deletable_segments"]


class SegmentMetadata(NamedTuple):
    """What retention looks at: base offset, size and largest timestamp (or last modified)."""

    base_offset: int
    size_bytes: int
    largest_timestamp_ms: int


def deletable_segments(
    segments: Sequence[SegmentMetadata],
    *,
    now_ms: int,
    retention_ms: int,
    retention_bytes: int,
    log_start_offset: int,
) -> int:
    """How many of the oldest segments to delete; the last (active) segment is never deleted.

    Walking from the oldest segment, a segment is deletable while any of these holds (as in
    Kafka, the walk stops at the first segment that is not):

    1. it lies wholly below the log start offset (the next segment starts at or before it);
    2. `retention_ms` >= 0 and `now_ms` - its largest timestamp > `retention_ms`;
    3. `retention_bytes` >= 0 and the log without it is still >= `retention_bytes`.
    """
    remaining = sum(s.size_bytes for s in segments)
    count = 0
    for segment, following in itertools.pairwise(segments):
        below_start = following.base_offset <= log_start_offset
        expired = retention_ms >= 0 and now_ms - segment.largest_timestamp_ms > retention_ms
        oversize = retention_bytes >= 0 and remaining - segment.size_bytes >= retention_bytes
        if not (below_start or expired or oversize):
            break
        remaining -= segment.size_bytes
        count += 1
    return count
