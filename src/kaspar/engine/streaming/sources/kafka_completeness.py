"""A Kafka batch holds every record of its offset ranges, or the query fails.

The offsets log fixes a batch's ranges before it runs, and the commit after the sink says they
were processed. A batch that read fewer records than its ranges hold, committed, would lose
them for good: the next batch starts at the end offsets. So before the sink sees the batch,
``check_complete`` accounts for every offset of every range:

1. Count the batch's records per partition. A partition with ``end - start`` records (every
   offset, the usual case) is complete.
2. A partition with fewer records may have genuine gaps, which no consumer ever sees:
   transaction markers, aborted transactional records (``read_committed``), records removed
   by compaction. Re-read its range with a new consumer of the same configuration (``again``)
   and compare offsets: the gaps are genuine if that read finds no record the batch lacks.
3. Otherwise raise: the query fails with the partitions and offsets it missed, and the batch is
   never committed (a restart re-runs it from the offsets log).

Step 2 costs a second read of a partition's range, only for ranges with gaps (a topic written
by transactional producers, or compacted).
"""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from kaspar.engine.sources.kafka_options import TopicPartition
from kaspar.errors import SparkRuntimeException

Ranges = dict[TopicPartition, tuple[int, int]]


def check_complete(batch: pa.Table, ranges: Ranges, again: Callable[[Ranges], pa.Table]) -> None:
    """Raise ``SparkRuntimeException`` if ``batch`` lacks records of ``ranges`` (steps 1-3)."""
    counts = _counts(batch)
    short = {tp: r for tp, r in ranges.items() if counts.get(tp, 0) < r[1] - r[0]}
    over = {tp: n for tp, n in counts.items() if n > _size(ranges.get(tp))}
    if over:
        raise _incomplete(f"more records than offsets in {_names(over)}")
    if not short:
        return
    reread = again(short)
    missing: dict[TopicPartition, list[int]] = {}
    for tp in short:
        have = set(_offsets(batch, tp))
        lacking = [o for o in _offsets(reread, tp) if o not in have]
        if lacking:
            missing[tp] = lacking
    if missing:
        detail = "; ".join(
            f"{t}-{p}: {len(offsets)} record(s) from offset {offsets[0]}"
            for (t, p), offsets in sorted(missing.items())
        )
        raise _incomplete(f"the batch did not read {detail}")


def _size(bounds: tuple[int, int] | None) -> int:
    return 0 if bounds is None else max(0, bounds[1] - bounds[0])


def _counts(batch: pa.Table) -> dict[TopicPartition, int]:
    if batch.num_rows == 0:
        return {}
    by_chunk = _counts_by_chunk(batch)
    if by_chunk is not None:
        return by_chunk
    grouped = batch.group_by(["topic", "partition"]).aggregate([("offset", "count")])
    return {
        (t, p): n
        for t, p, n in zip(
            grouped["topic"].to_pylist(),
            grouped["partition"].to_pylist(),
            grouped["offset_count"].to_pylist(),
            strict=True,
        )
    }


def _counts_by_chunk(batch: pa.Table) -> dict[TopicPartition, int] | None:
    """Counts without grouping when every chunk holds one partition (the columnar reader
    builds one chunk per partition and fetch); None if a chunk mixes partitions."""
    counts: dict[TopicPartition, int] = {}
    topics, partitions = batch["topic"], batch["partition"]
    if topics.num_chunks != partitions.num_chunks:
        return None
    for topic_chunk, partition_chunk in zip(topics.chunks, partitions.chunks, strict=True):
        rows = len(topic_chunk)
        if rows == 0:
            continue
        bounds = pc.min_max(partition_chunk)
        low, high = bounds["min"].as_py(), bounds["max"].as_py()
        first, last = topic_chunk[0].as_py(), topic_chunk[rows - 1].as_py()
        same_topic = first == last and pc.all(pc.equal(topic_chunk, first)).as_py()
        if low != high or not same_topic:
            return None
        tp = (first, low)
        counts[tp] = counts.get(tp, 0) + rows
    return counts


def _offsets(table: pa.Table, tp: TopicPartition) -> list[int]:
    if table.num_rows == 0:
        return []
    mask = pc.and_(pc.equal(table["topic"], tp[0]), pc.equal(table["partition"], tp[1]))
    return [int(o) for o in table.filter(mask)["offset"].to_pylist()]


def _names(partitions: dict[TopicPartition, int]) -> str:
    return ", ".join(f"{t}-{p}" for t, p in sorted(partitions))


def _incomplete(reason: str) -> SparkRuntimeException:
    return SparkRuntimeException(
        f"A Kafka micro-batch is incomplete: {reason}. The batch is not committed; the "
        "query stops so that no record is skipped (a restart re-runs the batch)."
    )
