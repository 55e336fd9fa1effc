"""``check_complete``: a Kafka batch holds every record of its ranges, or the query fails."""

from __future__ import annotations

import pyarrow as pa
import pytest

from kaspar.engine.streaming.sources.kafka_completeness import Ranges, check_complete
from kaspar.errors import SparkRuntimeException


def records(*offsets: tuple[int, int]) -> pa.Table:
    """Rows of topic ``t`` as (partition, offset) pairs."""
    return pa.table(
        {
            "topic": pa.array(["t"] * len(offsets), pa.string()),
            "partition": pa.array([p for p, _ in offsets], pa.int32()),
            "offset": pa.array([o for _, o in offsets], pa.int64()),
        }
    )


def never(_: Ranges) -> pa.Table:
    raise AssertionError("a complete batch is not read again")


def test_every_offset_read_is_complete() -> None:
    batch = records((0, 0), (0, 1), (1, 5))
    check_complete(batch, {("t", 0): (0, 2), ("t", 1): (5, 6), ("t", 2): (3, 3)}, never)


def test_genuine_gaps_pass_after_a_second_read() -> None:
    """Offsets no consumer sees (a transaction marker at 2): the second read agrees."""
    batch = records((0, 0), (0, 1), (0, 3))
    asked: list[Ranges] = []

    def again(ranges: Ranges) -> pa.Table:
        asked.append(ranges)
        return records((0, 0), (0, 1), (0, 3))

    check_complete(batch, {("t", 0): (0, 4), ("t", 1): (5, 5)}, again)
    assert asked == [{("t", 0): (0, 4)}]  # only the short partition


def test_records_the_batch_did_not_read_fail_it() -> None:
    with pytest.raises(
        SparkRuntimeException, match=r"did not read t-0: 2 record\(s\) from offset 1"
    ):
        check_complete(
            records((0, 0)), {("t", 0): (0, 3)}, lambda _: records((0, 0), (0, 1), (0, 2))
        )


def test_an_empty_batch_for_a_range_with_records_fails() -> None:
    """The bug this guards against: a batch of nothing for offsets that hold records."""
    with pytest.raises(SparkRuntimeException, match="incomplete"):
        check_complete(records(), {("t", 1): (0, 2)}, lambda _: records((1, 0), (1, 1)))


def test_more_rows_than_offsets_fail() -> None:
    with pytest.raises(SparkRuntimeException, match="more records than offsets in t-0"):
        check_complete(records((0, 0), (0, 0)), {("t", 0): (0, 1)}, never)
