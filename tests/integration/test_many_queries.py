"""Many queries at once in one SparkSession: four streaming queries (Kafka, Delta,
foreachBatch and memory sinks) started from four threads, a batch job in a fifth, records
produced while they run; every sink ends with every record exactly once.

The workload is ``tests/e2e/many_queries_job.py`` (the crash test runs it in a child process).
On one topic, all four queries read the same DataFrame: this is the case that used to hand one
query an empty batch for offsets it then committed. Every wait is bounded.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition
from deltalake import DeltaTable

from kaspar.errors import StreamingQueryException
from kaspar.sql import SparkSession
from kaspar.sql.streaming import StreamingQuery, StreamingQueryListener
from tests.e2e.many_queries_job import batch_job, writers

BEFORE = 300  # records per topic produced before the queries start
WHILE = 300  # and while they run


@pytest.fixture
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    session.streams.resetTerminated()
    yield session
    for query in session.streams.active:
        query.stop()
    session.streams.resetTerminated()


class Events(StreamingQueryListener):
    def __init__(self) -> None:
        self.kinds: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def _add(self, query_id: Any, kind: str) -> None:
        with self._lock:
            self.kinds.setdefault(str(query_id), []).append(kind)

    def onQueryStarted(self, event: Any) -> None:
        self._add(event.id, "started")

    def onQueryProgress(self, event: Any) -> None:
        self._add(event.progress.id, "progress")

    def onQueryIdle(self, event: Any) -> None:
        self._add(event.id, "idle")

    def onQueryTerminated(self, event: Any) -> None:
        self._add(event.id, "terminated")


def produce(servers: str, topic: str, ids: range, partitions: int = 3) -> None:
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 2})
    for i in ids:
        producer.produce(topic, json.dumps({"id": i}).encode(), partition=i % partitions)
    assert producer.flush(15) == 0


def kafka_ids(servers: str, topic: str, expected: int) -> Counter[int]:
    """Every id in ``topic``, read with ``read_committed`` (what committed batches wrote)."""
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"check-{topic}",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
    )
    consumer.assign([KafkaTopicPartition(topic, 0, 0)])
    seen: Counter[int] = Counter()
    deadline = time.monotonic() + 30
    while sum(seen.values()) < expected and time.monotonic() < deadline:
        for message in consumer.consume(500, 0.5):
            if message.error() is None:
                seen[int(message.value())] += 1
    for message in consumer.consume(500, 0.5):  # anything beyond the expected count
        if message.error() is None:
            seen[int(message.value())] += 1
    consumer.close()
    return seen


def foreach_ids(folder: Path) -> Counter[int]:
    return Counter(i for path in folder.glob("*.json") for i in json.loads(path.read_text()))


def exactly(ids: range) -> Counter[int]:
    return Counter(ids)


def run_workload(
    spark: SparkSession, servers: str, topics: tuple[str, str], out: str, root: Path
) -> dict[str, StreamingQuery]:
    """Start the four queries from four threads while a batch job runs; produce more."""
    topic_a, topic_b = topics
    produce(servers, topic_a, range(BEFORE))
    if topic_b != topic_a:
        produce(servers, topic_b, range(10_000, 10_000 + BEFORE))
    answers: list[Any] = []
    job = threading.Thread(target=lambda: answers.extend(batch_job(spark, 15)))
    job.start()
    prepared = writers(spark, servers, topic_a, topic_b, out, root)
    with ThreadPoolExecutor(len(prepared)) as pool:  # each query started from its own thread
        started = list(pool.map(lambda writer: writer.start(), prepared))
    queries = {q.name or "": q for q in started}
    produce(servers, topic_a, range(BEFORE, BEFORE + WHILE))
    if topic_b != topic_a:
        produce(servers, topic_b, range(10_000 + BEFORE, 10_000 + BEFORE + WHILE))
    job.join(60)
    assert not job.is_alive()
    assert len(answers) == 15 and all(a == answers[0] for a in answers)
    assert answers[0] == [(b, sum(i for i in range(2000) if i % 7 == b)) for b in range(7)]
    for query in queries.values():
        query.processAllAvailable()
        assert query.exception() is None
    return queries


@pytest.mark.timeout(240)
@pytest.mark.parametrize("layout", ["one topic", "two topics"])
def test_four_queries_and_a_batch_job_exactly_once(
    spark: SparkSession,
    kaspar_broker: Any,
    topic_factory: Callable[..., str],
    tmp_path: Path,
    layout: str,
) -> None:
    servers = kaspar_broker.bootstrap_servers
    topic_a = topic_factory(partitions=3)
    topic_b = topic_a if layout == "one topic" else topic_factory(partitions=3)
    out = topic_factory(partitions=1)
    events = Events()
    spark.streams.addListener(events)
    try:
        queries = run_workload(spark, servers, (topic_a, topic_b), out, tmp_path)
        a = range(BEFORE + WHILE)
        b = a if topic_b == topic_a else range(10_000, 10_000 + BEFORE + WHILE)
        both = Counter([*a, *(b if topic_b != topic_a else [])])
        assert sorted(spark.streams.active, key=lambda q: q.name or "") == sorted(
            queries.values(), key=lambda q: q.name or ""
        )
        for query in queries.values():
            assert spark.streams.get(query.id) is query
        assert kafka_ids(servers, out, len(a)) == exactly(a)
        delta = DeltaTable(str(tmp_path / "delta")).to_pyarrow_table()["id"].to_pylist()
        assert Counter(delta) == exactly(b)
        assert foreach_ids(tmp_path / "batches") == both
        memory = [r.id for r in spark.sql("select id from to_memory").collect()]
        assert Counter(memory) == exactly(b)
        for query in queries.values():
            query.stop()
        assert spark.streams.awaitAnyTermination(10) is True
        assert spark.streams.active == []
        assert spark.streams._bus.wait_until_empty(10)
        for query in queries.values():
            kinds = events.kinds[query.id]
            assert kinds[0] == "started" and kinds[-1] == "terminated"
            assert "progress" in kinds
    finally:
        spark.streams.removeListener(events)


@pytest.mark.timeout(120)
def test_one_failing_query_among_many(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    """The others keep running; awaitAnyTermination raises the failure until resetTerminated."""
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory(partitions=3)
    produce(servers, topic, range(100))
    out = topic_factory(partitions=1)
    queries = [writer.start() for writer in writers(spark, servers, topic, topic, out, tmp_path)]

    def fail(frame: Any, batch_id: int) -> None:
        raise ValueError("boom")

    failing = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
        .writeStream.foreachBatch(fail)
        .start()
    )
    with pytest.raises(StreamingQueryException, match="boom"):
        spark.streams.awaitAnyTermination(30)
    assert not failing.isActive and spark.streams.get(failing.id) is None
    for query in queries:
        query.processAllAvailable()
        assert query.isActive and query in spark.streams.active
    spark.streams.resetTerminated()
    assert spark.streams.awaitAnyTermination(0.1) is False
    assert Counter(DeltaTable(str(tmp_path / "delta")).to_pyarrow_table()["id"].to_pylist()) == (
        exactly(range(100))
    )


@pytest.mark.timeout(120)
def test_transaction_markers_and_aborted_records_are_genuine_gaps(
    spark: SparkSession, kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    """Offsets no consumer sees (commit markers, aborted records) pass the completeness check
    (a second read agrees), so the query neither fails nor loses the committed records."""
    servers, topic = kaspar_broker.bootstrap_servers, topic_factory(partitions=1)
    producer = Producer({"bootstrap.servers": servers, "transactional.id": f"gaps-{topic}"})
    producer.init_transactions(15)
    for round_ in range(4):
        producer.begin_transaction()
        for i in range(10):
            producer.produce(topic, json.dumps({"id": round_ * 10 + i}).encode(), partition=0)
        if round_ == 2:
            producer.abort_transaction(15)
        else:
            producer.commit_transaction(15)
    query = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("kafka.isolation.level", "read_committed")
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", "7")
        .load()
        .writeStream.format("memory")
        .queryName("committed_only")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .start()
    )
    query.processAllAvailable()
    assert query.exception() is None
    values = [json.loads(r.value)["id"] for r in spark.table("committed_only").collect()]
    assert Counter(values) == Counter([*range(20), *range(30, 40)])
    query.stop()
