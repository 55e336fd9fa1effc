"""Consumer groups through the real clients: every record consumed exactly once while members
join and leave, and the group resumes from its committed offsets after a broker restart.

These need a broker they can restart, so they run on kaspar only (a Broker of their own, with
``group.initial.rebalance.delay.ms=0``); the ``[kaspar]`` id keeps them in ``-k kaspar`` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from kaspar.broker import Broker

TIMEOUT_S = 60.0
PARTITIONS = 6
PROCESSING_S = 0.02
CONFIG = {"group.initial.rebalance.delay.ms": "0"}
KASPAR_ONLY = pytest.mark.parametrize("broker_name", ["kaspar"])
# ILLEGAL_GENERATION: with cooperative-sticky a member keeps consuming while it rejoins, so a
# commit sent just before its new generation arrives is refused; the retry (with the new
# generation) is safe because a partition is only handed over after the owner's next poll().
RETRIABLE_COMMIT = {
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.ILLEGAL_GENERATION,
    KafkaError._TRANSPORT,
    KafkaError._WAIT_COORD,
    KafkaError.COORDINATOR_NOT_AVAILABLE,
    KafkaError.NOT_COORDINATOR,
    KafkaError._TIMED_OUT,
}


class RestartableBroker:
    """A kaspar broker on a fixed data directory that can be restarted on the same port."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.broker = Broker(data_dir, config=CONFIG).start()

    @property
    def bootstrap_servers(self) -> str:
        return self.broker.bootstrap_servers

    def restart(self) -> None:
        port = self.broker.port
        self.broker.stop()
        self.broker = Broker(self.data_dir, port=port, config=CONFIG).start()

    def create_topic(self, name: str, partitions: int = PARTITIONS) -> str:
        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers})
        admin.create_topics([NewTopic(name, partitions, 1)])[name].result(timeout=15)
        return name

    def produce(self, topic: str, values: range) -> None:
        producer = Producer({"bootstrap.servers": self.bootstrap_servers, "linger.ms": 5})
        for value in values:
            producer.produce(topic, str(value).encode(), partition=value % PARTITIONS)
        assert producer.flush(TIMEOUT_S) == 0


@pytest.fixture
def restartable(tmp_path: Path) -> Iterator[RestartableBroker]:
    broker = RestartableBroker(tmp_path / "data")
    yield broker
    broker.broker.stop()


@pytest.fixture
def closing(restartable: RestartableBroker) -> Iterator[Callable[[Any], Any]]:
    """Register confluent consumers to be closed (before the broker stops) even on failure."""
    consumers: list[Any] = []

    def register(consumer: Any) -> Any:
        consumers.append(consumer)
        return consumer

    yield register
    for consumer in consumers:
        with contextlib.suppress(RuntimeError):
            consumer.close()


# -- confluent-kafka ------------------------------------------------------------------------
def confluent_consumer(broker: RestartableBroker, group: str, topic: str, assignor: str) -> Any:
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "partition.assignment.strategy": assignor,
            "session.timeout.ms": 10_000,
            "heartbeat.interval.ms": 500,
        }
    )
    consumer.subscribe([topic])
    return consumer


def commit_sync(consumer: Any) -> None:
    """Commit the positions after processing; retry while the group is between generations."""
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        try:
            consumer.commit(asynchronous=False)
            return
        except KafkaException as exc:
            if exc.args[0].code() not in RETRIABLE_COMMIT or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class GroupMember(threading.Thread):
    """One confluent consumer on its own thread, as in an application: consume a small batch,
    record it, commit synchronously, repeat; ``leave()`` closes it (LeaveGroup)."""

    def __init__(self, make: Callable[[], Any], seen: list[bytes], lock: threading.Lock) -> None:
        super().__init__(daemon=True)
        self._make, self._seen, self._lock = make, seen, lock
        self.stopping = threading.Event()
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            consumer = self._make()
            try:
                while not self.stopping.is_set():
                    messages = consumer.consume(10, 0.05)
                    values = [m.value() for m in messages if m.error() is None]
                    if values:
                        time.sleep(PROCESSING_S)  # so that members change while records remain
                        with self._lock:
                            self._seen.extend(values)
                        commit_sync(consumer)
            finally:
                consumer.close()
        except BaseException as exc:
            self.error = exc

    def leave(self) -> None:
        self.stopping.set()
        self.join(TIMEOUT_S)
        assert not self.is_alive(), "consumer did not close"
        if self.error is not None:
            raise self.error


@pytest.fixture
def group_members() -> Iterator[list[GroupMember]]:
    """Members to stop at the end of the test, whatever happens."""
    members: list[GroupMember] = []
    yield members
    for member in members:
        member.stopping.set()
    for member in members:
        member.join(TIMEOUT_S)


def wait_for(seen: list[bytes], total: int, members: list[GroupMember]) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while len(seen) < total:
        assert time.monotonic() < deadline, f"only {len(seen)} of {total} records consumed"
        assert not [m.error for m in members if m.error], [m.error for m in members]
        time.sleep(0.02)


def assert_exactly_once(seen: list[bytes], values: range) -> None:
    counts = Counter(seen)
    duplicates = {value: n for value, n in counts.items() if n > 1}
    assert not duplicates, f"consumed more than once: {sorted(duplicates)[:10]}"
    assert sorted(int(v) for v in counts) == list(values)


@KASPAR_ONLY
@pytest.mark.parametrize("assignor", ["cooperative-sticky", "range"])
def test_confluent_group_exactly_once_across_membership_changes_and_restart(
    restartable: RestartableBroker,
    group_members: list[GroupMember],
    broker_name: str,
    assignor: str,
) -> None:
    topic = restartable.create_topic(f"group-{assignor}")
    restartable.produce(topic, range(600))
    seen: list[bytes] = []
    lock = threading.Lock()

    def join() -> GroupMember:
        make = lambda: confluent_consumer(restartable, "g", topic, assignor)  # noqa: E731
        group_members.append(GroupMember(make, seen, lock))
        return group_members[-1]

    first = join()
    wait_for(seen, 100, group_members)
    second, _ = join(), join()  # two members join
    wait_for(seen, 300, group_members)
    second.leave()  # one leaves
    wait_for(seen, 450, group_members)
    join()  # and another joins
    wait_for(seen, 600, group_members)
    restartable.produce(topic, range(600, 900))
    wait_for(seen, 750, group_members)
    for member in group_members:
        member.leave()
    assert first.error is None
    group_members.clear()

    restartable.restart()
    for _ in range(3):
        join()
    wait_for(seen, 900, group_members)
    for member in group_members:
        member.leave()
    assert_exactly_once(seen, range(900))


@KASPAR_ONLY
def test_confluent_static_member_restart_keeps_assignment(
    restartable: RestartableBroker, closing: Any, broker_name: str
) -> None:
    topic = restartable.create_topic("static")

    def static(instance: str) -> Any:
        consumer = Consumer(
            {
                "bootstrap.servers": restartable.bootstrap_servers,
                "group.id": "static",
                "group.instance.id": instance,
                "session.timeout.ms": 10_000,
                "auto.offset.reset": "earliest",
            }
        )
        consumer.subscribe([topic])
        return closing(consumer)

    def wait_assigned(consumers: list[Any], count: int) -> list[set[int]]:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            for consumer in consumers:
                consumer.poll(0.05)
            owned = [{tp.partition for tp in c.assignment()} for c in consumers]
            if sum(map(len, owned)) == count and all(owned):
                return owned
            assert time.monotonic() < deadline, f"assignment never completed: {owned}"

    first, second = static("a"), static("b")
    before = wait_assigned([first, second], PARTITIONS)
    generation = _describe(restartable, "static")

    first.close()  # a static member leaving does not send LeaveGroup ...
    first = static("a")  # ... and comes back with the same instance id
    after = wait_assigned([first, second], PARTITIONS)

    assert after == before
    assert _describe(restartable, "static") == generation
    first.close()
    second.close()


def _describe(broker: RestartableBroker, group: str) -> tuple[str, list[str]]:
    admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})
    described = admin.describe_consumer_groups([group])[group].result(timeout=15)
    instances = sorted(m.group_instance_id for m in described.members)
    return str(described.state), instances


# -- kafka-python -----------------------------------------------------------------------------
def forget(seen: list[bytes], records: list[bytes]) -> None:
    """Records whose commit failed will be delivered again: they do not count as consumed."""
    for record in records:
        seen.remove(record)


def run_threads(target: Callable[[int], None], count: int) -> None:
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            target(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT_S + 30)
    assert not errors, errors


def kafka_python_members(
    broker: RestartableBroker, topic: str, seen: list[bytes], total: int, members: int
) -> None:
    from kafka import KafkaConsumer
    from kafka.errors import CommitFailedError, RebalanceInProgressError

    lock = threading.Lock()

    def member(index: int) -> None:
        del index
        consumer = KafkaConsumer(
            bootstrap_servers=broker.bootstrap_servers,
            group_id="kp",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        # Know the topic before joining: a kafka-python leader that assigns without metadata
        # rejoins once it arrives, and then sometimes stalls until its session expires.
        assert consumer.partitions_for_topic(topic)
        consumer.subscribe([topic])
        deadline = time.monotonic() + TIMEOUT_S
        try:
            while time.monotonic() < deadline:
                with lock:
                    if len(seen) >= total:
                        return
                batches = consumer.poll(timeout_ms=100)
                records = [r.value for batch in batches.values() for r in batch]
                if not records:
                    continue
                with lock:
                    seen.extend(records)
                try:
                    consumer.commit()
                except (CommitFailedError, RebalanceInProgressError):
                    # kafka-python refuses to commit once it knows of a rebalance: the
                    # records were not processed after all and the next owner gets them again.
                    with lock:
                        forget(seen, records)
        finally:
            consumer.close()

    run_threads(member, members)


@KASPAR_ONLY
def test_kafka_python_group_resumes_after_restart(
    restartable: RestartableBroker, broker_name: str
) -> None:
    topic = restartable.create_topic("kp")
    restartable.produce(topic, range(300))
    seen: list[bytes] = []
    kafka_python_members(restartable, topic, seen, 300, members=2)
    assert_exactly_once(seen, range(300))
    restartable.restart()
    restartable.produce(topic, range(300, 450))
    kafka_python_members(restartable, topic, seen, 450, members=3)
    assert_exactly_once(seen, range(450))


# -- aiokafka ---------------------------------------------------------------------------------
async def aiokafka_members(
    broker: RestartableBroker, topic: str, seen: list[bytes], total: int, members: int
) -> None:
    from aiokafka import AIOKafkaConsumer
    from aiokafka.errors import CommitFailedError, IllegalStateError

    async def member() -> None:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=broker.bootstrap_servers,
            group_id="aio",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        await consumer.start()
        try:
            async with asyncio.timeout(TIMEOUT_S):
                while len(seen) < total:
                    batches = await consumer.getmany(timeout_ms=100)
                    records = [r.value for batch in batches.values() for r in batch]
                    if records:
                        seen.extend(records)
                        try:
                            await consumer.commit()
                        except (CommitFailedError, IllegalStateError):
                            forget(seen, records)  # as for kafka-python
        finally:
            await consumer.stop()

    await asyncio.gather(*(member() for _ in range(members)))


@KASPAR_ONLY
def test_aiokafka_group_resumes_after_restart(
    restartable: RestartableBroker, broker_name: str
) -> None:
    topic = restartable.create_topic("aio")
    restartable.produce(topic, range(300))
    seen: list[bytes] = []
    asyncio.run(aiokafka_members(restartable, topic, seen, 300, members=2))
    assert_exactly_once(seen, range(300))
    restartable.restart()
    restartable.produce(topic, range(300, 450))
    asyncio.run(aiokafka_members(restartable, topic, seen, 450, members=3))
    assert_exactly_once(seen, range(450))
