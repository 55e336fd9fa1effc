"""The pure retention decision."""

from __future__ import annotations

from kaspar.broker.log.retention import SegmentMetadata, deletable_segments

SEGMENTS = [SegmentMetadata(base, 100, ts) for base, ts in ((0, 10), (10, 20), (20, 30), (30, 40))]


def decide(**kwargs: int) -> int:
    args = {"now_ms": 0, "retention_ms": -1, "retention_bytes": -1, "log_start_offset": 0}
    args.update(kwargs)
    return deletable_segments(SEGMENTS, **args)


def test_unlimited_keeps_everything() -> None:
    assert decide(now_ms=10**12) == 0


def test_by_time_never_the_active_segment() -> None:
    assert decide(now_ms=25, retention_ms=0) == 2
    assert decide(now_ms=10**6, retention_ms=0) == 3


def test_by_time_stops_at_first_young_segment() -> None:
    segments = [SegmentMetadata(0, 1, 50), SegmentMetadata(1, 1, 0), SegmentMetadata(2, 1, 0)]
    assert (
        deletable_segments(
            segments, now_ms=40, retention_ms=10, retention_bytes=-1, log_start_offset=0
        )
        == 0
    )


def test_by_bytes() -> None:
    assert decide(retention_bytes=250) == 1
    assert decide(retention_bytes=200) == 2
    assert decide(retention_bytes=0) == 3


def test_below_log_start_offset() -> None:
    assert decide(log_start_offset=19) == 1
    assert decide(log_start_offset=20) == 2
