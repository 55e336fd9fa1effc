"""The columnar Kafka reader (``kaspar.engine.kafka_fetch``) against a real broker on loopback.

Topics are written by confluent-kafka (librdkafka) with every codec, transactions, compaction,
DeleteRecords and added partitions; the columnar reader must return what librdkafka's consumer
returns (``ContinuousReader``, the fallback path, read the same ranges: a differential test),
and the streaming source built on it must keep Spark's options working.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions, NewTopic

from kaspar.broker import Broker
from kaspar.engine.kafka_fetch import ColumnarReader, DataLossError
from kaspar.engine.streaming.sources.kafka_reader import ContinuousReader
from kaspar.errors import StreamingQueryException
from kaspar.protocol.record_columns import decode_columns_py
from kaspar.sql import SparkSession
from kaspar.sql import functions as F

TIMEOUT_S = 30.0
SETTINGS = {
    "log.cleaner.backoff.ms": "100",
    "log.retention.check.interval.ms": "200",
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": "500",
}
COMPACTED = {
    "cleanup.policy": "compact",
    "segment.bytes": "16384",
    "segment.ms": "300",
    "min.cleanable.dirty.ratio": "0.01",
    "delete.retention.ms": "100",
}
DECODERS = {"c": None, "python": decode_columns_py}


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    with Broker(tmp_path_factory.mktemp("columnar"), config=SETTINGS) as running:
        yield running


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


@pytest.fixture
def create_topic(broker: Broker) -> Callable[..., str]:
    admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})

    def create(partitions: int = 1, config: dict[str, str] | None = None) -> str:
        name = f"columnar-{uuid.uuid4().hex[:8]}"
        topic = NewTopic(name, num_partitions=partitions, replication_factor=1, config=config or {})
        admin.create_topics([topic])[name].result(timeout=TIMEOUT_S)
        return name

    return create


def reader(broker: Broker, decoder: str = "c", **options: Any) -> ColumnarReader:
    chosen = DECODERS[decoder]
    extra = {} if chosen is None else {"decoder": chosen}
    options.setdefault("fail_on_data_loss", True)
    return ColumnarReader(broker.bootstrap_servers, poll_timeout_ms=20_000, **extra, **options)


def librdkafka_read(
    broker: Broker, ranges: dict[tuple[str, int], tuple[int, int]], headers: bool, **config: str
) -> pa.Table:
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "group.id": f"g-{uuid.uuid4().hex[:6]}",
            "enable.partition.eof": True,
            "enable.auto.commit": False,
            **config,
        }
    )
    continuous = ContinuousReader(consumer, 20_000)
    try:
        return continuous.read(ranges, headers)
    finally:
        continuous.close()


def read_both(
    broker: Broker, ranges: dict[tuple[str, int], tuple[int, int]], headers: bool, **kw: Any
) -> pa.Table:
    """The columnar read with each decoder, checked equal to librdkafka's read."""
    committed = kw.get("read_committed", False)
    config = {"isolation.level": "read_committed" if committed else "read_uncommitted"}
    expected = librdkafka_read(broker, ranges, headers, **config)
    for decoder in DECODERS:
        columnar = reader(broker, decoder, **kw)
        try:
            got = columnar.read(ranges, headers)
        finally:
            columnar.close()
        assert got.schema == expected.schema
        assert got.to_pylist() == expected.to_pylist(), decoder
    return expected


def produce(broker: Broker, topic: str, count: int, **config: Any) -> None:
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "linger.ms": 5, **config})
    for i in range(count):
        headers = [("n", str(i).encode()), ("empty", None)] if i % 3 == 0 else None
        key = None if i % 7 == 0 else f"k{i % 10}".encode()
        producer.produce(topic, f'{{"i":{i}}}'.encode(), key, headers=headers, timestamp=1000 + i)
    assert producer.flush(TIMEOUT_S) == 0


@pytest.mark.parametrize("codec", ["none", "gzip", "snappy", "lz4", "zstd"])
def test_every_codec_with_headers(
    broker: Broker, create_topic: Callable[..., str], codec: str
) -> None:
    topic = create_topic(partitions=2)
    produce(broker, topic, 3000, **{"compression.type": codec})
    ranges = {(topic, 0): (0, 10_000), (topic, 1): (0, 10_000)}
    ends = {tp: librdkafka_end(broker, tp) for tp in ranges}
    table = read_both(broker, {tp: (0, ends[tp]) for tp in ranges}, headers=True)
    assert table.num_rows == 3000
    # a range starting inside a batch and ending inside another
    read_both(broker, {(topic, 0): (5, ends[(topic, 0)] - 7)}, headers=False)


def librdkafka_end(broker: Broker, tp: tuple[str, int]) -> int:
    consumer = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": "w"})
    try:
        return int(consumer.get_watermark_offsets(KafkaTopicPartition(*tp), TIMEOUT_S)[1])
    finally:
        consumer.close()


def test_read_committed_hides_aborted_transactions(
    broker: Broker, create_topic: Callable[..., str]
) -> None:
    topic = create_topic()
    producer = Producer(
        {"bootstrap.servers": broker.bootstrap_servers, "transactional.id": uuid.uuid4().hex}
    )
    producer.init_transactions(TIMEOUT_S)
    plain = Producer({"bootstrap.servers": broker.bootstrap_servers})
    for round_, commit in enumerate([True, False, True, False, True]):
        producer.begin_transaction()
        for i in range(50):
            producer.produce(topic, f"t{round_}-{i}".encode())
            if i % 10 == 0:
                plain.produce(topic, f"plain{round_}-{i}".encode())
                plain.flush(TIMEOUT_S)
        producer.flush(TIMEOUT_S)  # aborted records reach the log (abort purges queued ones)
        (producer.commit_transaction if commit else producer.abort_transaction)(TIMEOUT_S)
    end = librdkafka_end(broker, (topic, 0))
    committed = read_both(broker, {(topic, 0): (0, end)}, False, read_committed=True)
    values = [v.decode() for v in committed["value"].to_pylist()]
    assert not [v for v in values if v.startswith(("t1-", "t3-"))]
    assert len([v for v in values if v.startswith("t")]) == 150
    assert len([v for v in values if v.startswith("plain")]) == 25
    everything = read_both(broker, {(topic, 0): (0, end)}, False)
    assert len([v for v in everything["value"].to_pylist() if v.startswith(b"t")]) == 250


def test_compacted_topic_with_gaps(broker: Broker, create_topic: Callable[..., str]) -> None:
    topic = create_topic(config=COMPACTED)
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, "linger.ms": 5})
    for i in range(3000):
        producer.produce(topic, f"v{i}".encode(), f"k{i % 40}".encode())
    assert producer.flush(TIMEOUT_S) == 0
    deadline = time.monotonic() + TIMEOUT_S
    ranges = {(topic, 0): (0, 3000)}
    before, now = None, librdkafka_read(broker, ranges, False)
    while (now.num_rows > 200 or now != before) and time.monotonic() < deadline:
        time.sleep(0.5)  # until the cleaner is done: the differential reads a still log
        before, now = now, librdkafka_read(broker, ranges, False)
    table = read_both(broker, ranges, False)
    assert table.num_rows < 3000  # gaps in the offsets
    offsets = table["offset"].to_pylist()
    assert offsets == sorted(offsets) and offsets[-1] == 2999
    read_both(broker, {(topic, 0): (offsets[1] + 1, 2990)}, False)  # from inside a gap


def test_offsets_deleted_under_the_reader(broker: Broker, create_topic: Callable[..., str]) -> None:
    topic = create_topic()
    produce(broker, topic, 500)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})
    gone = KafkaTopicPartition(topic, 0, 300)
    admin.delete_records([gone])[gone].result(timeout=TIMEOUT_S)
    strict, lenient = reader(broker), reader(broker, fail_on_data_loss=False)
    try:
        with pytest.raises(DataLossError, match=r"earliest available offset is 300"):
            strict.read({(topic, 0): (100, 500)}, False)
        table = lenient.read({(topic, 0): (100, 500)}, False)
        assert table["offset"].to_pylist() == list(range(300, 500))
    finally:
        strict.close()
        lenient.close()


def test_kept_records_and_prefetch_follow_consecutive_ranges(
    broker: Broker, create_topic: Callable[..., str]
) -> None:
    topic = create_topic()
    produce(broker, topic, 5000)
    columnar = reader(broker)
    try:
        seen = []
        for start in range(0, 5000, 333):
            end = min(5000, start + 333)
            seen += columnar.read({(topic, 0): (start, end)}, False)["offset"].to_pylist()
        assert seen == list(range(5000))
        rewound = columnar.read({(topic, 0): (10, 20)}, False)
        assert rewound["offset"].to_pylist() == list(range(10, 20))
    finally:
        columnar.close()


@pytest.mark.parametrize("response_bytes", [3000, 1500])
def test_pipelined_fetches_with_small_fetch_sizes(
    broker: Broker, create_topic: Callable[..., str], response_bytes: int
) -> None:
    """Many fetch rounds per read, each asked before the previous answer is decoded: every
    record once, in order, over ranges that end inside fetched batches, after which the
    reader is still in step with its connection (no unread answer left behind). With a
    response limit below the partitions' sum, some partitions come back empty and are asked
    again beside the requests sent ahead (two Fetches in flight to one broker)."""
    from kaspar.engine.kafka_fetch.fetch_request import FetchSizes

    topic = create_topic(partitions=3)
    produce(broker, topic, 6000, **{"batch.num.messages": 10})
    ends = {p: librdkafka_end(broker, (topic, p)) for p in range(3)}
    sizes = FetchSizes(response_bytes=response_bytes, partition_bytes=1000)
    columnar = reader(broker, sizes=sizes)
    try:
        first = columnar.read({(topic, p): (0, ends[p] // 2) for p in range(3)}, False)
        rest = columnar.read({(topic, p): (ends[p] // 2, ends[p]) for p in range(3)}, False)
        again = columnar.read({(topic, 1): (3, 9)}, False)
    finally:
        columnar.close()
    for p in range(3):
        offsets = [
            o
            for t in (first, rest)
            for o, q in zip(t["offset"].to_pylist(), t["partition"].to_pylist(), strict=True)
            if q == p
        ]
        assert offsets == list(range(ends[p]))
    assert sum(ends.values()) == 6000
    assert again["offset"].to_pylist() == list(range(3, 9))


# --------------------------------------------------------------------- the streaming source


def stream(spark: SparkSession, broker: Broker, topic: str, **options: str) -> Any:
    source = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", broker.bootstrap_servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
    )
    for key, value in options.items():
        source = source.option(key, value)
    return source.load().select(F.col("value").cast("string").alias("v"), "partition", "offset")


def test_query_over_aborted_transactions(
    spark: SparkSession, broker: Broker, create_topic: Callable[..., str], tmp_path: Path
) -> None:
    topic = create_topic()
    producer = Producer(
        {"bootstrap.servers": broker.bootstrap_servers, "transactional.id": uuid.uuid4().hex}
    )
    producer.init_transactions(TIMEOUT_S)
    for round_ in range(4):
        producer.begin_transaction()
        for i in range(20):
            producer.produce(topic, f"r{round_}-{i}".encode())
        producer.flush(TIMEOUT_S)
        (producer.commit_transaction if round_ % 2 else producer.abort_transaction)(TIMEOUT_S)
    frame = stream(spark, broker, topic, **{"kafka.isolation.level": "read_committed"})
    query = (
        frame.writeStream.format("memory")
        .queryName("committed_only")
        .option("checkpointLocation", str(tmp_path / "ck"))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination(TIMEOUT_S)
    values = sorted(r.v for r in spark.sql("select v from committed_only").collect())
    assert values == sorted(f"r{r}-{i}" for r in (1, 3) for i in range(20))


@pytest.mark.parametrize("fail_on_data_loss", [True, False])
def test_query_with_records_deleted_under_it(
    spark: SparkSession,
    broker: Broker,
    create_topic: Callable[..., str],
    tmp_path: Path,
    fail_on_data_loss: bool,
) -> None:
    topic = create_topic()
    produce(broker, topic, 100)
    frame = stream(spark, broker, topic, failOnDataLoss=str(fail_on_data_loss).lower())
    name = f"loss_{fail_on_data_loss}".lower()
    query = (
        frame.writeStream.format("memory")
        .queryName(name)
        .option("checkpointLocation", str(tmp_path / "ck"))
        .start()
    )
    try:
        query.processAllAvailable()
        query.stop()
        produce(broker, topic, 100)  # offsets 100-199; delete up to 150, then go on
        admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})
        gone = KafkaTopicPartition(topic, 0, 150)
        admin.delete_records([gone])[gone].result(timeout=TIMEOUT_S)
        query = (
            frame.writeStream.format("memory")
            .queryName(name)
            .option("checkpointLocation", str(tmp_path / "ck"))
            .start()
        )
        if fail_on_data_loss:
            with pytest.raises(StreamingQueryException, match="failOnDataLoss"):
                query.processAllAvailable()
            return
        query.processAllAvailable()
        offsets = sorted(r.offset for r in spark.sql(f"select offset from {name}").collect())
        assert offsets == list(range(150, 200))
    finally:
        query.stop()


def test_partition_added_while_the_query_runs(
    spark: SparkSession, broker: Broker, create_topic: Callable[..., str], tmp_path: Path
) -> None:
    topic = create_topic(partitions=1)
    produce(broker, topic, 50)
    query = (
        stream(spark, broker, topic)
        .writeStream.format("memory")
        .queryName("added_partition")
        .option("checkpointLocation", str(tmp_path / "ck"))
        .start()
    )
    try:
        query.processAllAvailable()
        admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})
        admin.create_partitions([NewPartitions(topic, 3)])[topic].result(timeout=TIMEOUT_S)
        producer = Producer({"bootstrap.servers": broker.bootstrap_servers})
        for i in range(30):
            producer.produce(topic, f"new{i}".encode(), partition=1 + i % 2)
        assert producer.flush(TIMEOUT_S) == 0
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            query.processAllAvailable()
            rows = spark.sql("select partition from added_partition").collect()
            if len(rows) == 80:
                break
            time.sleep(0.3)
        assert sorted({r.partition for r in rows}) == [0, 1, 2] and len(rows) == 80
    finally:
        query.stop()
