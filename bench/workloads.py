"""What the broker benchmark measures, with confluent-kafka as the client (its I/O runs in
librdkafka's C threads, so this Python process does not slow the broker, which runs in another).

* `produce`: N records of a fixed size, acks=all, linger.ms=5; records/s and MB/s.
* `consume`: the same records from earliest (manual assign, no group); records/s and MB/s.
* `latency`: end-to-end latency at a fixed rate; the producer puts time.time_ns() in the value,
  the consumer computes now - ts. p50/p99/p999 in ms.
"""

from __future__ import annotations

import os
import struct
import threading
import time
import uuid
from dataclasses import dataclass

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

TIMESTAMP = struct.Struct(">q")
MB = 1_000_000


class WorkloadTimeout(RuntimeError):
    """A workload did not finish within its time limit."""


@dataclass(frozen=True)
class Workload:
    record_size: int
    partitions: int
    records: int


def create_topic(bootstrap_servers: str, partitions: int) -> str:
    name = f"bench-{uuid.uuid4().hex[:12]}"
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    new_topic = NewTopic(name, num_partitions=partitions, replication_factor=1)
    admin.create_topics([new_topic], operation_timeout=10)[name].result(timeout=30)
    deadline = time.monotonic() + 30
    while len(admin.list_topics(name, timeout=5).topics[name].partitions) != partitions:
        if time.monotonic() > deadline:
            raise WorkloadTimeout(f"topic {name} never showed {partitions} partitions")
        time.sleep(0.1)
    return name


def make_producer(bootstrap_servers: str) -> Producer:
    return Producer(
        {
            "bootstrap.servers": bootstrap_servers,
            "acks": "all",
            "linger.ms": 5,
            "queue.buffering.max.messages": 1_000_000,
            "queue.buffering.max.kbytes": 1_048_576,
        }
    )


def make_consumer(bootstrap_servers: str, topic: str, partitions: int) -> Consumer:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": "kaspar-bench",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 5,
        }
    )
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    return consumer


def throughput(records: int, size: int, seconds: float) -> dict[str, float]:
    return {
        "records_per_s": records / seconds,
        "mb_per_s": records * size / MB / seconds,
        "seconds": seconds,
    }


def produce(
    bootstrap_servers: str, topic: str, workload: Workload, time_limit_s: float
) -> dict[str, float]:
    """Produce `workload.records` records round-robin over the partitions; wait for every ack."""
    producer = make_producer(bootstrap_servers)
    value = os.urandom(workload.record_size)
    failures = 0

    def on_delivery(err: object, _msg: object) -> None:
        nonlocal failures
        failures += err is not None

    start = time.perf_counter()
    for i in range(workload.records):
        while True:
            try:
                producer.produce(
                    topic, value, partition=i % workload.partitions, on_delivery=on_delivery
                )
                break
            except BufferError as exc:
                if time.perf_counter() - start > time_limit_s:
                    producer.purge()
                    raise WorkloadTimeout(f"queue still full after {time_limit_s} s") from exc
                producer.poll(0.01)
        producer.poll(0)
    if producer.flush(max(0.0, time_limit_s - (time.perf_counter() - start))) != 0:
        producer.purge()
        raise WorkloadTimeout(f"produce did not finish in {time_limit_s} s")
    if failures:
        raise RuntimeError(f"{failures} records failed to deliver")
    return throughput(workload.records, workload.record_size, time.perf_counter() - start)


def consume(
    bootstrap_servers: str, topic: str, workload: Workload, time_limit_s: float
) -> dict[str, float]:
    """Read `workload.records` records from the start of every partition."""
    start = time.perf_counter()
    consumer = make_consumer(bootstrap_servers, topic, workload.partitions)
    count = 0
    try:
        while count < workload.records:
            if time.perf_counter() - start > time_limit_s:
                raise WorkloadTimeout(f"consumed {count}/{workload.records} in {time_limit_s} s")
            count += sum(m.error() is None for m in consumer.consume(10_000, timeout=0.5))
    finally:
        consumer.close()
    return throughput(count, workload.record_size, time.perf_counter() - start)


def percentile(sorted_values: list[float], fraction: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def collect_latencies(
    consumer: Consumer,
    expected: int,
    stop: threading.Event,
    ready: threading.Event,
    latencies_ms: list[float],
) -> None:
    """Consumer thread: set `ready` on the warm-up record (timestamp 0), then record
    now - embedded timestamp for every message."""
    # poll() returns as soon as one record is there; consume(n) would wait for n records
    while len(latencies_ms) < expected and not stop.is_set():
        msg = consumer.poll(0.1)
        if msg is None or msg.error() is not None:
            continue
        sent_ns = TIMESTAMP.unpack_from(msg.value())[0]
        if sent_ns == 0:
            ready.set()
        else:
            latencies_ms.append((time.time_ns() - sent_ns) / 1e6)


def produce_at_rate(producer: Producer, topic: str, workload: Workload, rate: int) -> None:
    """Produce `workload.records` records at `rate` records/s, each stamped with time.time_ns()."""
    padding = bytes(workload.record_size - TIMESTAMP.size)
    start = time.perf_counter()
    for i in range(workload.records):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        producer.produce(
            topic, TIMESTAMP.pack(time.time_ns()) + padding, partition=i % workload.partitions
        )
        producer.poll(0)


def latency(
    bootstrap_servers: str, topic: str, workload: Workload, rate: int, time_limit_s: float
) -> dict[str, float]:
    """End-to-end latency of `workload.records` records produced at `rate` records/s.

    1. Start the consumer thread, assigned to every partition from earliest.
    2. Produce one warm-up record (timestamp 0) and wait until the consumer has seen it.
    3. Produce the records at the fixed rate; the consumer records now - ts for each.
    """
    consumer = make_consumer(bootstrap_servers, topic, workload.partitions)
    latencies_ms: list[float] = []
    stop, ready = threading.Event(), threading.Event()
    reader = threading.Thread(
        target=collect_latencies, args=(consumer, workload.records, stop, ready, latencies_ms)
    )
    reader.start()
    producer = make_producer(bootstrap_servers)
    try:
        producer.produce(topic, bytes(workload.record_size), partition=0)
        producer.flush(time_limit_s)
        if not ready.wait(time_limit_s):
            raise WorkloadTimeout("the consumer never saw the warm-up record")
        produce_at_rate(producer, topic, workload, rate)
        producer.flush(time_limit_s)
        reader.join(timeout=time_limit_s)
    finally:
        stop.set()
        reader.join()
        consumer.close()
    if len(latencies_ms) < workload.records:
        raise WorkloadTimeout(f"received {len(latencies_ms)}/{workload.records} records")
    ordered = sorted(latencies_ms)
    return {
        "p50_ms": percentile(ordered, 0.50),
        "p99_ms": percentile(ordered, 0.99),
        "p999_ms": percentile(ordered, 0.999),
        "max_ms": ordered[-1],
    }
