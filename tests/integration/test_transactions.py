"""The transaction APIs at the protocol level, against a real in-process broker.

Each test drives InitProducerId / AddPartitionsToTxn / Produce / EndTxn by hand and checks the
error codes Kafka gives, the markers in the log, the last stable offset and the aborted
transactions a read_committed Fetch reports.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.add_offsets_to_txn import AddOffsetsToTxnRequest
from kaspar.protocol.messages.add_partitions_to_txn import (
    AddPartitionsToTxnRequest,
    AddPartitionsToTxnTopic,
)
from kaspar.protocol.messages.end_txn import EndTxnRequest
from kaspar.protocol.messages.fetch import FetchPartition, FetchRequest, FetchTopic
from kaspar.protocol.messages.init_producer_id import InitProducerIdRequest
from kaspar.protocol.messages.list_offsets import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsTopic,
)
from kaspar.protocol.messages.produce import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from kaspar.protocol.messages.txn_offset_commit import (
    TxnOffsetCommitRequest,
    TxnOffsetCommitRequestPartition,
    TxnOffsetCommitRequestTopic,
)
from kaspar.protocol.records import Record, decode_batch, encode_batch, iter_batches
from tests.integration.conftest import RawClient

READ_COMMITTED = 1


class Txn:
    """A hand-driven transactional producer on one connection."""

    def __init__(self, client: RawClient, transactional_id: str, timeout_ms: int = 60_000):
        self.client = client
        self.transactional_id = transactional_id
        self.sequences: dict[tuple[str, int], int] = {}
        response = client.request(
            InitProducerIdRequest(
                transactional_id=transactional_id, transaction_timeout_ms=timeout_ms
            ),
            4,
        )
        assert response.error_code == ErrorCode.NONE
        self.producer_id = response.producer_id
        self.epoch = response.producer_epoch

    def add(self, topic: str, partition: int, version: int = 0) -> int:
        response = self.client.request(
            AddPartitionsToTxnRequest(
                v3_and_below_transactional_id=self.transactional_id,
                v3_and_below_producer_id=self.producer_id,
                v3_and_below_producer_epoch=self.epoch,
                v3_and_below_topics=[AddPartitionsToTxnTopic(name=topic, partitions=[partition])],
            ),
            version,
        )
        return int(
            response.results_by_topic_v3_and_below[0].results_by_partition[0].partition_error_code
        )

    def produce(self, topic: str, partition: int, values: list[bytes]) -> Any:
        sequence = self.sequences.get((topic, partition), 0)
        records = [
            Record(offset=i, timestamp=int(time.time() * 1000), key=None, value=v)
            for i, v in enumerate(values)
        ]
        batch = encode_batch(
            records,
            producer_id=self.producer_id,
            producer_epoch=self.epoch,
            base_sequence=sequence,
            is_transactional=True,
        )
        self.sequences[(topic, partition)] = sequence + len(values)
        data = PartitionProduceData(index=partition, records=batch)
        request = ProduceRequest(
            transactional_id=self.transactional_id,
            acks=-1,
            timeout_ms=5000,
            topic_data=[TopicProduceData(name=topic, partition_data=[data])],
        )
        return self.client.request(request, 7).responses[0].partition_responses[0]

    def end(self, commit: bool, version: int = 1) -> int:
        request = EndTxnRequest(
            transactional_id=self.transactional_id,
            producer_id=self.producer_id,
            producer_epoch=self.epoch,
            committed=commit,
        )
        return int(self.client.request(request, version).error_code)


def _fetch(client: RawClient, topic: str, offset: int = 0, isolation: int = READ_COMMITTED) -> Any:
    request = FetchRequest(
        max_wait_ms=0,
        min_bytes=1,
        max_bytes=1 << 20,
        isolation_level=isolation,
        topics=[
            FetchTopic(
                topic=topic,
                partitions=[
                    FetchPartition(partition=0, fetch_offset=offset, partition_max_bytes=1 << 20)
                ],
            )
        ],
    )
    return client.request(request, 11).responses[0].partitions[0]


def _latest(client: RawClient, topic: str, isolation: int) -> int:
    request = ListOffsetsRequest(
        replica_id=-1,
        isolation_level=isolation,
        topics=[
            ListOffsetsTopic(
                name=topic, partitions=[ListOffsetsPartition(partition_index=0, timestamp=-1)]
            )
        ],
    )
    return int(client.request(request, 5).topics[0].partitions[0].offset)


def _batches(records: bytes) -> list[tuple[bool, list[bytes | None]]]:
    """(is_control, values) of each batch."""
    out = []
    for position, header in iter_batches(records):
        _, decoded = decode_batch(records[position : position + header.size])
        out.append((header.is_control, [r.value for r in decoded]))
    return out


def _id() -> str:
    return f"txn-{uuid.uuid4().hex[:8]}"


def test_commit_and_abort_move_the_last_stable_offset(
    raw_client: RawClient, topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory()
    txn = Txn(raw_client, _id())
    assert txn.add(topic, 0) == ErrorCode.NONE
    assert txn.produce(topic, 0, [b"a1", b"a2"]).error_code == ErrorCode.NONE
    assert _latest(raw_client, topic, READ_COMMITTED) == 0
    assert _latest(raw_client, topic, 0) == 2
    assert _fetch(raw_client, topic).records == b""
    assert txn.end(commit=False) == ErrorCode.NONE
    assert txn.add(topic, 0) == ErrorCode.NONE
    assert txn.produce(topic, 0, [b"c1"]).error_code == ErrorCode.NONE
    assert txn.end(commit=True) == ErrorCode.NONE
    assert _latest(raw_client, topic, READ_COMMITTED) == 5
    data = _fetch(raw_client, topic)
    assert data.last_stable_offset == 5
    assert [(t.producer_id, t.first_offset) for t in data.aborted_transactions] == [
        (txn.producer_id, 0)
    ]
    assert _batches(data.records) == [
        (False, [b"a1", b"a2"]),
        (True, [b"\x00\x00\x00\x00\x00\x00"]),
        (False, [b"c1"]),
        (True, [b"\x00\x00\x00\x00\x00\x00"]),
    ]
    assert _fetch(raw_client, topic, offset=3).aborted_transactions == []


def test_transactional_produce_needs_add_partitions(
    raw_client: RawClient, topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory()
    txn = Txn(raw_client, _id())
    assert txn.produce(topic, 0, [b"x"]).error_code == ErrorCode.INVALID_TXN_STATE
    assert txn.end(commit=True) == ErrorCode.INVALID_TXN_STATE


def test_unknown_partition_and_invalid_timeout(
    raw_client: RawClient, topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory()
    txn = Txn(raw_client, _id())
    assert txn.add(topic, 7) == ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
    response = raw_client.request(
        InitProducerIdRequest(transactional_id=_id(), transaction_timeout_ms=900_001), 4
    )
    assert response.error_code == ErrorCode.INVALID_TRANSACTION_TIMEOUT


def test_new_producer_fences_the_old_epoch_and_aborts_its_transaction(
    raw_client: RawClient, topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory()
    transactional_id = _id()
    zombie = Txn(raw_client, transactional_id)
    zombie.add(topic, 0)
    zombie.produce(topic, 0, [b"zombie"])
    fresh = Txn(raw_client, transactional_id)
    assert fresh.producer_id == zombie.producer_id
    assert fresh.epoch > zombie.epoch
    assert zombie.add(topic, 0, version=0) == ErrorCode.INVALID_PRODUCER_EPOCH
    assert zombie.add(topic, 0, version=2) == ErrorCode.PRODUCER_FENCED
    assert zombie.end(commit=True, version=2) == ErrorCode.PRODUCER_FENCED
    assert zombie.produce(topic, 0, [b"late"]).error_code == ErrorCode.INVALID_PRODUCER_EPOCH
    data = _fetch(raw_client, topic)
    assert [t.first_offset for t in data.aborted_transactions] == [0]
    assert data.last_stable_offset == data.high_watermark == 2


def test_end_txn_retry_and_wrong_direction(
    raw_client: RawClient, topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory()
    txn = Txn(raw_client, _id())
    txn.add(topic, 0)
    txn.produce(topic, 0, [b"v"])
    assert txn.end(commit=True) == ErrorCode.NONE
    assert txn.end(commit=True) == ErrorCode.NONE
    assert txn.end(commit=False) == ErrorCode.INVALID_TXN_STATE


def test_transaction_past_its_timeout_is_aborted(
    raw_client: RawClient, topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory()
    txn = Txn(raw_client, _id(), timeout_ms=200)
    txn.add(topic, 0)
    txn.produce(topic, 0, [b"stuck"])
    deadline = time.monotonic() + 10
    while _latest(raw_client, topic, READ_COMMITTED) == 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _latest(raw_client, topic, READ_COMMITTED) == 2
    assert txn.end(commit=True) == ErrorCode.INVALID_PRODUCER_EPOCH
    assert [t.first_offset for t in _fetch(raw_client, topic).aborted_transactions] == [0]


def test_txn_offset_commit_needs_add_offsets(
    raw_client: RawClient, topic_factory: Callable[..., str]
) -> None:
    topic = topic_factory()
    txn = Txn(raw_client, _id())
    commit = TxnOffsetCommitRequest(
        transactional_id=txn.transactional_id,
        group_id="txn-group",
        producer_id=txn.producer_id,
        producer_epoch=txn.epoch,
        topics=[
            TxnOffsetCommitRequestTopic(
                name=topic,
                partitions=[TxnOffsetCommitRequestPartition(partition_index=0, committed_offset=1)],
            )
        ],
    )
    response = raw_client.request(commit, 3)
    assert response.topics[0].partitions[0].error_code == ErrorCode.INVALID_TXN_STATE
    add = AddOffsetsToTxnRequest(
        transactional_id=txn.transactional_id,
        producer_id=txn.producer_id,
        producer_epoch=txn.epoch,
        group_id="txn-group",
    )
    assert raw_client.request(add, 0).error_code == ErrorCode.NONE
    response = raw_client.request(commit, 3)
    assert response.topics[0].partitions[0].error_code == ErrorCode.NONE
    assert txn.end(commit=True) == ErrorCode.NONE
