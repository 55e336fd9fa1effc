"""Stream-stream joins over Kafka into Delta, stopped and restarted from the checkpoint.

Impressions and clicks go to two topics; the query joins them with watermarks and an
event-time range, in batches (``maxOffsetsPerTrigger``). Half the events are produced, the
query drains them and stops; the rest are produced and the query resumes from its checkpoint.
Clicks of the second half match impressions of the first, so they only join if the state was
restored; every joined row (and, for the left outer join, every unmatched impression, padded
with nulls once the watermark passed) must be in the table exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer

from kaspar.sql import SparkSession
from kaspar.sql import functions as F

BASE = dt.datetime(2024, 1, 1, 10, 0, tzinfo=dt.UTC)
N = 200
FLUSH = N + 1001  # an event far ahead: its watermark evicts every real row


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


def _impression(i: int) -> dict[str, Any]:
    return {"ad": f"ad{i}", "it": (BASE + dt.timedelta(seconds=10 * i)).isoformat()}


def _click(i: int) -> dict[str, Any] | None:
    """Two clicks in three impressions, 0-80 s after it (80 s: outside the 1 minute range)."""
    if i % 3 == 0:
        return None
    delay = 0 if i == FLUSH else 20 * (i % 5)
    return {"cad": f"ad{i}", "ct": (BASE + dt.timedelta(seconds=10 * i + delay)).isoformat()}


def _produce(servers: str, topic: str, rows: list[dict[str, Any]]) -> None:
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 2})
    for row in rows:
        producer.produce(topic, json.dumps(row).encode(), key=str(next(iter(row.values()))))
    assert producer.flush(15) == 0


def _stream(spark: SparkSession, servers: str, topic: str, schema: str) -> Any:
    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", "40")
        .load()
        .select(F.from_json(F.col("value").cast("string"), schema).alias("e"))
        .select("e.*")
    )


def _expected(how: str) -> Counter[tuple[Any, ...]]:
    """The joined rows (naive UTC times, as the table returns them)."""
    rows: Counter[tuple[Any, ...]] = Counter()
    for i in range(N):
        click = _click(i)
        it = BASE.replace(tzinfo=None) + dt.timedelta(seconds=10 * i)
        if click is not None and 20 * (i % 5) <= 60:
            rows[(f"ad{i}", it, f"ad{i}", it + dt.timedelta(seconds=20 * (i % 5)))] += 1
        elif how == "left":
            rows[(f"ad{i}", it, None, None)] += 1
    return rows


@pytest.mark.parametrize("how", ["inner", "left"])
def test_kafka_join_to_delta_restarts_exactly_once(
    spark: SparkSession,
    kaspar_broker: Any,
    topic_factory: Callable[..., str],
    tmp_path: Path,
    how: str,
) -> None:
    servers = kaspar_broker.bootstrap_servers
    impressions_topic, clicks_topic = topic_factory(partitions=2), topic_factory(partitions=2)
    table, checkpoint = str(tmp_path / "joined"), str(tmp_path / "ckpt")

    def run() -> Any:
        impressions = _stream(spark, servers, impressions_topic, "ad string, it timestamp")
        clicks = _stream(spark, servers, clicks_topic, "cad string, ct timestamp")
        joined = impressions.withWatermark("it", "5 minutes").join(
            clicks.withWatermark("ct", "5 minutes"),
            F.expr("ad = cad AND ct >= it AND ct <= it + interval 1 minute"),
            how,
        )
        query = (
            joined.writeStream.format("delta")
            .option("checkpointLocation", checkpoint)
            .trigger(availableNow=True)
            .start(table)
        )
        assert query.awaitTermination(60)
        assert query.exception() is None
        return query

    halves = [range(N // 2), range(N // 2, N)]
    for number, half in enumerate(halves):
        _produce(servers, impressions_topic, [_impression(i) for i in half])
        clicks = [c for c in (_click(i) for i in half) if c is not None]
        if number == 0:  # clicks lag: the last 20 clicks of the first half come after the restart
            clicks, late = clicks[:-14], clicks[-14:]
        else:
            clicks = late + clicks + [_click(FLUSH)]
        _produce(servers, clicks_topic, clicks)
        if number == 1:
            _produce(servers, impressions_topic, [_impression(FLUSH)])
        query = run()
    got = Counter(
        (r.ad, r.it, r.cad, r.ct)
        for r in spark.read.format("delta").load(table).collect()
        if r.ad != f"ad{FLUSH}"
    )
    assert got == _expected(how)
    (state,) = query.lastProgress["stateOperators"]
    assert state["operatorName"] == "symmetricHashJoin"
    assert state["numRowsTotal"] < 10  # evicted by the watermark: only the flush rows remain


def test_batch_failing_after_the_join_reruns_from_the_previous_state(
    spark: SparkSession, tmp_path: Path
) -> None:
    """The sink fails on batch 2 after the join committed its state; the restarted query
    loads the state before it from the checkpoint and re-runs batch 2: each row once."""
    from kaspar.errors import StreamingQueryException
    from kaspar.sql.streaming import MemoryStream

    impressions = MemoryStream(spark, "ad string, it timestamp")
    clicks = MemoryStream(spark, "cad string, ct timestamp")
    batches: dict[int, list[tuple[Any, ...]]] = {}
    fail = {"batch": 2}  # 1 is the no-data batch the watermark of batch 0 asks for

    def sink(df: Any, batch_id: int) -> None:
        if batch_id == fail["batch"]:
            fail["batch"] = -1
            raise RuntimeError("sink down")
        batches[batch_id] = sorted((r.ad, r.cad) for r in df.collect())

    def start() -> Any:
        joined = (
            impressions.toDF()
            .withWatermark("it", "1 minute")
            .join(
                clicks.toDF().withWatermark("ct", "1 minute"),
                F.expr("ad = cad AND ct >= it AND ct <= it + interval 1 minute"),
                "left",
            )
        )
        writer = joined.writeStream.foreachBatch(sink)
        return writer.option("checkpointLocation", str(tmp_path)).start()

    at = BASE.replace(tzinfo=None)
    impressions.addData([("a", at), ("b", at), ("c", at)])
    clicks.addData([("a", at + dt.timedelta(seconds=5))])
    query = start()
    query.processAllAvailable()
    clicks.addData([("b", at + dt.timedelta(seconds=30)), ("z", at + dt.timedelta(hours=1))])
    impressions.addData([("z", at + dt.timedelta(hours=1))])
    with pytest.raises(StreamingQueryException, match="sink down"):
        query.awaitTermination(10)
    spark.streams.resetTerminated()
    query = start()  # batch 2 again, from the state of version 2
    query.processAllAvailable()
    query.processAllAvailable()
    query.stop()
    rows = Counter(row for batch in batches.values() for row in batch)
    assert rows == Counter({("a", "a"): 1, ("b", "b"): 1, ("c", None): 1, ("z", "z"): 1})
