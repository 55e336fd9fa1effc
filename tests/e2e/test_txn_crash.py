"""kill -9 the broker during transactional traffic; transactions stay atomic and durable.

Each round: start `kaspar broker` as a subprocess on the same data directory, run a
confluent-kafka transactional producer (same transactional.id every round) that writes
transactions spanning two partitions, committing two of three and aborting the third, then
SIGKILL the broker after a random delay and restart it. At the end a read_committed consumer
must see every record of every transaction whose commit returned, none of any transaction
whose abort returned, and each transaction whose outcome the producer never learnt either
whole or not at all.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from tests.conftest import free_port
from tests.e2e.test_crash_recovery import _start

TOPIC = "txn-crash"
PARTITIONS = 2
RECORDS_PER_TXN = 4
ROUNDS = 3
TRANSACTIONAL_ID = "txn-crash-producer"
OP_TIMEOUT_S = 10.0


@dataclass
class Outcomes:
    committed: set[int] = field(default_factory=set)
    aborted: set[int] = field(default_factory=set)
    unknown: set[int] = field(default_factory=set)


def _values(txn: int) -> list[bytes]:
    return [f"{txn}:{i}".encode() for i in range(RECORDS_PER_TXN)]


def _run_transactions(
    bootstrap: str, first_txn: int, outcomes: Outcomes, stop: threading.Event
) -> None:
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "transactional.id": TRANSACTIONAL_ID,
            "transaction.timeout.ms": 10_000,
            "message.timeout.ms": 5000,
            "socket.timeout.ms": 2000,
            "linger.ms": 1,
        }
    )
    txn = first_txn
    try:
        producer.init_transactions(OP_TIMEOUT_S)
        while not stop.is_set():
            outcomes.unknown.add(txn)
            producer.begin_transaction()
            for i, value in enumerate(_values(txn)):
                producer.produce(TOPIC, value=value, partition=i % PARTITIONS)
            if txn % 3 == 0:
                producer.abort_transaction(OP_TIMEOUT_S)
                outcomes.aborted.add(txn)
            else:
                producer.commit_transaction(OP_TIMEOUT_S)
                outcomes.committed.add(txn)
            outcomes.unknown.discard(txn)
            txn += 1
    except KafkaException:
        pass  # the broker died under us: this transaction's outcome is unknown


def _read_committed(bootstrap: str) -> list[bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "txn-crash-check",
            "isolation.level": "read_committed",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
        }
    )
    values: list[bytes] = []
    try:
        consumer.assign([TopicPartition(TOPIC, p, 0) for p in range(PARTITIONS)])
        at_end: set[int] = set()
        deadline = time.monotonic() + 60
        while len(at_end) < PARTITIONS and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error() is not None:
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                continue
            values.append(msg.value())
        assert len(at_end) == PARTITIONS, "read_committed consumer never reached the end"
    finally:
        consumer.close()
    return values


def _close_open_transactions(bootstrap: str) -> None:
    """A last producer with the same id fences the previous one, aborting what it left open."""
    producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": TRANSACTIONAL_ID})
    producer.init_transactions(OP_TIMEOUT_S * 3)


@pytest.mark.slow
def test_transactions_survive_kill_minus_9(tmp_path: Path) -> None:
    rng = random.Random(20261122)
    data_dir = tmp_path / "data"
    port = free_port()
    bootstrap = f"127.0.0.1:{port}"
    process = _start(data_dir, port)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(TOPIC, PARTITIONS, 1)])[TOPIC].result(timeout=10)
    outcomes = Outcomes()
    try:
        for round_ in range(ROUNDS):
            stop = threading.Event()
            worker = threading.Thread(
                target=_run_transactions, args=(bootstrap, round_ * 100_000, outcomes, stop)
            )
            worker.start()
            time.sleep(rng.uniform(1.0, 2.0))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
            stop.set()
            worker.join(timeout=60)
            assert not worker.is_alive(), "the producer thread did not stop"
            process = _start(data_dir, port)
        _close_open_transactions(bootstrap)
        visible = _read_committed(bootstrap)
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
    assert outcomes.committed, "no transaction committed before the crashes"
    assert outcomes.aborted, "no transaction aborted before the crashes"
    counts = Counter(visible)
    assert all(n == 1 for n in counts.values()), "a record is visible twice"
    by_txn = Counter(int(value.split(b":")[0]) for value in visible)
    lost = [t for t in outcomes.committed if by_txn[t] != RECORDS_PER_TXN]
    assert not lost, f"committed transactions lost or torn: {lost[:5]}"
    leaked = [t for t in outcomes.aborted if by_txn[t]]
    assert not leaked, f"aborted transactions visible: {leaked[:5]}"
    torn = [t for t in outcomes.unknown if by_txn[t] not in (0, RECORDS_PER_TXN)]
    assert not torn, f"transactions partly visible: {torn[:5]}"
    assert set(by_txn) <= outcomes.committed | outcomes.unknown
