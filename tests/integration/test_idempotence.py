"""Idempotent producers: retries never duplicate, and the sequence rules give Kafka's errors.

The retry test puts a real TCP proxy between confluent-kafka and the broker (the broker
advertises the proxy's port). The proxy forwards everything but, now and then, drops the
connection instead of delivering a Produce response: the broker has appended the batch, the
client never hears so and resends it with the same producer id and sequence on a new connection.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from kaspar.broker import Broker
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.init_producer_id import InitProducerIdRequest
from kaspar.protocol.messages.produce import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from kaspar.protocol.records import Record, encode_batch
from tests.conftest import free_port
from tests.integration.conftest import RawClient

PRODUCE = 0
RECORDS = 3000


class DroppingProxy:
    """Forwards Kafka traffic; drops the connection instead of some Produce responses."""

    def __init__(self, target_port: int, port: int, drops: int, seed: int = 11) -> None:
        self.target_port = target_port
        self.drops_left = drops
        self.dropped = 0
        self._rng = random.Random(seed)
        self._listener = socket.create_server(("127.0.0.1", port))
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            api_keys: dict[int, int] = {}
            threading.Thread(
                target=self._requests, args=(client, upstream, api_keys), daemon=True
            ).start()
            threading.Thread(
                target=self._responses, args=(upstream, client, api_keys), daemon=True
            ).start()

    @staticmethod
    def _frames(sock: socket.socket) -> Iterator[bytes]:
        buffer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            while len(buffer) >= 4:
                (size,) = struct.unpack_from(">i", buffer)
                if len(buffer) < 4 + size:
                    break
                yield buffer[: 4 + size]
                buffer = buffer[4 + size :]

    def _requests(
        self, client: socket.socket, upstream: socket.socket, keys: dict[int, int]
    ) -> None:
        for frame in self._frames(client):
            api_key, _, correlation_id = struct.unpack_from(">hhi", frame, 4)
            keys[correlation_id] = api_key
            try:
                upstream.sendall(frame)
            except OSError:
                return
        _close(client, upstream)

    def _responses(
        self, upstream: socket.socket, client: socket.socket, keys: dict[int, int]
    ) -> None:
        for frame in self._frames(upstream):
            (correlation_id,) = struct.unpack_from(">i", frame, 4)
            if (
                keys.pop(correlation_id, None) == PRODUCE
                and self.drops_left
                and self._rng.random() < 0.2
            ):
                self.drops_left -= 1
                self.dropped += 1
                _close(client, upstream)
                return
            try:
                client.sendall(frame)
            except OSError:
                return
        _close(client, upstream)


def _close(*socks: socket.socket) -> None:
    for sock in socks:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()


@pytest.fixture
def proxied_broker(tmp_path: Path) -> Iterator[tuple[Broker, DroppingProxy]]:
    proxy_port = free_port()
    broker = Broker(
        tmp_path, config={"advertised.listeners": f"PLAINTEXT://127.0.0.1:{proxy_port}"}
    ).start()
    proxy = DroppingProxy(broker.port, proxy_port, drops=6)
    yield broker, proxy
    proxy.close()
    broker.stop()


def _read(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "idem", "enable.auto.commit": False}
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    values: list[bytes] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and msg.error() is None:
            values.append(msg.value())
        elif msg is None and len(values) >= expected:
            break
    consumer.close()
    return values


def test_retries_after_lost_produce_responses_never_duplicate(
    proxied_broker: tuple[Broker, DroppingProxy],
) -> None:
    broker, proxy = proxied_broker
    bootstrap = f"127.0.0.1:{proxy._listener.getsockname()[1]}"
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "linger.ms": 2,
            "batch.num.messages": 50,
            "message.timeout.ms": 60_000,
        }
    )
    failures: list[Any] = []
    for i in range(RECORDS):
        producer.produce(
            "idem",
            f"r{i}".encode(),
            partition=0,
            on_delivery=lambda err, _m: err and failures.append(err),
        )
        producer.poll(0)
        if i % 100 == 0:
            time.sleep(0.002)
    assert producer.flush(60) == 0
    assert not failures
    assert proxy.dropped > 0, "the proxy never dropped a response; the test proved nothing"

    values = _read(broker.bootstrap_servers, "idem", RECORDS)

    assert values == [f"r{i}".encode() for i in range(RECORDS)]


def _idempotent_produce(client: RawClient, producer_id: int, epoch: int, sequence: int) -> Any:
    batch = encode_batch(
        [Record(offset=0, timestamp=1, key=None, value=b"v", headers=[])],
        producer_id=producer_id,
        producer_epoch=epoch,
        base_sequence=sequence,
    )
    request = ProduceRequest(
        acks=-1,
        timeout_ms=5000,
        topic_data=[
            TopicProduceData(
                name="seq", partition_data=[PartitionProduceData(index=0, records=batch)]
            )
        ],
    )
    return client.request(request, 7).responses[0].partition_responses[0]


def test_sequence_rules(raw_client: RawClient, kaspar_broker: Any) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": kaspar_broker.bootstrap_servers})
    admin.create_topics([NewTopic("seq", 1, 1)])["seq"].result(10)
    init = raw_client.request(
        InitProducerIdRequest(transactional_id=None, transaction_timeout_ms=-1), 2
    )
    pid = init.producer_id
    first = _idempotent_produce(raw_client, pid, 0, 0)
    again = _idempotent_produce(raw_client, pid, 0, 0)
    assert (first.error_code, again.error_code) == (ErrorCode.NONE, ErrorCode.NONE)
    assert again.base_offset == first.base_offset  # a retry gets the original offset
    assert (
        _idempotent_produce(raw_client, pid, 0, 5).error_code
        == ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER
    )
    assert _idempotent_produce(raw_client, pid, 0, 1).error_code == ErrorCode.NONE
    assert _idempotent_produce(raw_client, pid, 1, 0).error_code == ErrorCode.NONE  # new epoch
    assert _idempotent_produce(raw_client, pid, 0, 2).error_code == ErrorCode.INVALID_PRODUCER_EPOCH
    assert (
        _idempotent_produce(raw_client, pid + 999, 0, 7).error_code == ErrorCode.UNKNOWN_PRODUCER_ID
    )
