"""The low-latency triggers' Kafka read (``kafka_fetch/live_poll.py``) against a real broker:
what a long-poll returns, and where it leaves each partition."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa
import pytest
from confluent_kafka import Producer

from kaspar.engine.kafka_fetch import ColumnarReader
from kaspar.engine.kafka_fetch.fetch_request import FetchSizes
from kaspar.engine.kafka_fetch.live_poll import LivePoll

Positions = dict[tuple[str, int], int]


@pytest.fixture
def live(kaspar_broker: Any) -> Iterator[Callable[..., LivePoll]]:
    opened: list[LivePoll] = []

    def open_poll(**options: Any) -> LivePoll:
        reader = ColumnarReader(
            kaspar_broker.bootstrap_servers,
            poll_timeout_ms=10_000,
            fail_on_data_loss=True,
            prefetch=False,
            **options,
        )
        opened.append(LivePoll(reader, max_wait_ms=20))
        return opened[-1]

    yield open_poll
    for poll in opened:
        poll.close()
        poll.reader.close()


def _poll_until(poll: LivePoll, positions: Positions, rows: int) -> tuple[pa.Table, Positions]:
    """Poll on from ``positions`` until ``rows`` records came back (or 200 polls)."""
    tables = []
    for _ in range(200):
        table, positions = poll.poll(positions, include_headers=False)
        tables.append(table)
        if sum(t.num_rows for t in tables) >= rows:
            break
    return pa.concat_tables(tables), positions


def test_nothing_there_gives_no_rows_and_the_same_positions(
    live: Callable[..., LivePoll], topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory(partitions=2)
    start = {(topic, 0): 0, (topic, 1): 0}
    table, positions = live().poll(start, include_headers=False)
    assert table.num_rows == 0
    assert positions == start


def test_records_come_back_in_order_and_positions_follow(
    live: Callable[..., LivePoll], kaspar_broker: Any, topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory(partitions=2)
    poll = live()
    positions = {(topic, 0): 0, (topic, 1): 0}
    poll.poll(positions, include_headers=False)  # a Fetch is now waiting ahead
    producer = Producer({"bootstrap.servers": kaspar_broker.bootstrap_servers, "linger.ms": 0})
    for i in range(40):
        producer.produce(topic, str(i).encode(), partition=i % 2)
        producer.flush(10)
    table, positions = _poll_until(poll, positions, 40)
    assert positions == {(topic, 0): 20, (topic, 1): 20}
    for partition in (0, 1):
        rows = table.filter(pa.compute.equal(table["partition"], partition))
        assert rows["offset"].to_pylist() == list(range(20))
        assert [int(v) for v in rows["value"].to_pylist()] == list(range(partition, 40, 2))


@pytest.fixture
def descriptors_past_1024() -> Iterator[None]:
    """A process with over 1,024 files open: its next sockets get descriptors select() refuses."""
    import os
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200 <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1200, hard))
    elif soft < 1200:
        pytest.skip(f"the open-files limit ({hard}) is too low for over 1,024 descriptors")
    anchor = os.open(os.devnull, os.O_RDONLY)
    opened = [os.dup(anchor) for _ in range(max(0, 1060 - anchor))]
    try:
        yield
    finally:
        for fd in [anchor, *opened]:
            os.close(fd)
        if soft < 1200:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_process_with_many_open_files_still_polls(
    descriptors_past_1024: None,
    live: Callable[..., LivePoll],
    kaspar_broker: Any,
    topic_factory: Callable[..., str],
) -> None:
    """The reader waits with poll(), not select(), which fails on descriptors >= 1024."""
    topic = topic_factory()
    poll = live()
    positions = {(topic, 0): 0}
    poll.poll(positions, include_headers=False)  # a Fetch is now waiting ahead
    producer = Producer({"bootstrap.servers": kaspar_broker.bootstrap_servers, "linger.ms": 0})
    for i in range(10):
        producer.produce(topic, str(i).encode())
    producer.flush(10)
    table, positions = _poll_until(poll, positions, 10)
    assert positions == {(topic, 0): 10}
    assert [int(v) for v in table["value"].to_pylist()] == list(range(10))


def test_batches_larger_than_the_fetch_size_are_kept_and_read_on(
    live: Callable[..., LivePoll], kaspar_broker: Any, topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory()
    producer = Producer({"bootstrap.servers": kaspar_broker.bootstrap_servers, "linger.ms": 50})
    for i in range(30):
        producer.produce(topic, bytes([i]) * 500)
    assert producer.flush(10) == 0
    poll = live(sizes=FetchSizes(response_bytes=2048, partition_bytes=2048))
    table, positions = _poll_until(poll, {(topic, 0): 0}, 30)
    assert positions == {(topic, 0): 30}
    assert table["offset"].to_pylist() == list(range(30))
    assert [v[0] for v in table["value"].to_pylist()] == list(range(30))


def test_read_committed_skips_aborted_records_and_markers(
    live: Callable[..., LivePoll], kaspar_broker: Any, topic_factory: Callable[..., str]
) -> None:
    topic, servers = topic_factory(), kaspar_broker.bootstrap_servers
    producer = Producer({"bootstrap.servers": servers, "transactional.id": f"tx-{topic}"})
    producer.init_transactions(10)
    for outcome in ("abort", "commit"):
        producer.begin_transaction()
        for i in range(3):
            producer.produce(topic, f"{outcome}-{i}".encode())
        producer.flush(10)  # in the log before the abort (it would purge unsent records)
        getattr(producer, f"{outcome}_transaction")(10)
    table, positions = _poll_until(live(read_committed=True), {(topic, 0): 0}, 3)
    assert [v.decode() for v in table["value"].to_pylist()] == ["commit-0", "commit-1", "commit-2"]
    assert table["offset"].to_pylist() == [4, 5, 6]  # 0-2 aborted, 3 its marker
    assert positions == {(topic, 0): 8}  # past the commit marker (7) too


def test_records_appended_after_the_fetch_ahead_was_answered_join_the_same_chunk(
    live: Callable[..., LivePoll], kaspar_broker: Any, topic_factory: Callable[..., str]
) -> None:
    """The Fetch sent ahead is answered at the first record appended (while the caller still
    processes its chunk); the next poll then also reads what was appended since, at once."""
    topic = topic_factory(partitions=1)
    poll = live()
    positions = {(topic, 0): 0}
    poll.poll(positions, include_headers=False)  # a Fetch is now waiting ahead
    producer = Producer({"bootstrap.servers": kaspar_broker.bootstrap_servers, "linger.ms": 0})
    producer.produce(topic, b"first", partition=0)
    producer.flush(10)
    flights = list(poll._flights.values())
    for _ in range(5000):  # the broker answered the Fetch ahead with the first record
        if all(f.connection.readable() for f in flights):
            break
        time.sleep(0.001)
    producer.produce(topic, b"second", partition=0)
    producer.flush(10)
    table, moved = poll.poll(positions, include_headers=False)
    assert table["value"].to_pylist() == [b"first", b"second"]
    assert moved == {(topic, 0): 2}
