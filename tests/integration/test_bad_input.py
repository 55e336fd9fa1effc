"""Bad input on the wire: the right Kafka error code, or only that connection closed."""

from __future__ import annotations

import struct
import threading
import time
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.api_versions import ApiVersionsRequest, ApiVersionsResponse
from kaspar.protocol.messages.create_topics import CreatableTopic, CreateTopicsRequest
from kaspar.protocol.messages.fetch import FetchPartition, FetchRequest, FetchTopic
from kaspar.protocol.messages.metadata import MetadataRequest, MetadataRequestTopic
from kaspar.protocol.messages.produce import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from kaspar.protocol.records import Record, encode_batch
from tests.integration.conftest import RawClient


def _api_versions_ok(bootstrap: str) -> bool:
    client = RawClient(bootstrap)
    try:
        response = client.request(ApiVersionsRequest(), 0)
        return response.error_code == ErrorCode.NONE and len(response.api_keys) > 5
    finally:
        client.close()


def test_api_versions_from_the_future_is_answered_as_v0(raw_client: RawClient) -> None:
    frame = bytearray(struct.pack(">hhi", 18, 99, 7))
    frame += struct.pack(">h", 1) + b"x" + b"\x00" * 8
    raw_client.send_bytes(struct.pack(">i", len(frame)) + bytes(frame))
    answer = raw_client.read_frame()
    assert answer is not None
    from kaspar.protocol.frames import decode_response

    correlation_id, body = decode_response(18, 0, answer)
    assert correlation_id == 7
    assert isinstance(body, ApiVersionsResponse)
    assert body.error_code == ErrorCode.UNSUPPORTED_VERSION
    assert any(k.api_key == 18 for k in body.api_keys)


def test_unsupported_produce_version_closes_only_that_connection(
    raw_client: RawClient, kaspar_broker: Any
) -> None:
    frame = struct.pack(">hhih", 0, 0, 1, -1) + b"\x00" * 10
    raw_client.send_bytes(struct.pack(">i", len(frame)) + frame)
    assert raw_client.is_closed_by_peer()
    assert _api_versions_ok(kaspar_broker.bootstrap_servers)


def _produce(topic: str, partition: int, records: bytes | None, acks: int = -1) -> ProduceRequest:
    data = PartitionProduceData(index=partition, records=records)
    return ProduceRequest(
        acks=acks, timeout_ms=5000, topic_data=[TopicProduceData(name=topic, partition_data=[data])]
    )


def _create(client: RawClient, name: str, partitions: int = 1, **configs: str) -> None:
    from kaspar.protocol.messages.create_topics import CreatableTopicConfig

    topic = CreatableTopic(
        name=name,
        num_partitions=partitions,
        replication_factor=1,
        configs=[
            CreatableTopicConfig(name=k.replace("_", "."), value=v) for k, v in configs.items()
        ],
    )
    response = client.request(CreateTopicsRequest(topics=[topic], timeout_ms=5000), 5)
    assert response.topics[0].error_code == ErrorCode.NONE, response.topics[0].error_message


def _partition_error(response: Any) -> int:
    return int(response.responses[0].partition_responses[0].error_code)


def test_produce_errors_carry_kafka_codes(raw_client: RawClient) -> None:
    _create(raw_client, "bad-input", max_message_bytes="2000")
    good = encode_batch([Record(offset=0, timestamp=1, key=b"k", value=b"v", headers=[])])
    corrupt = bytearray(good)
    corrupt[-1] ^= 0xFF
    big = encode_batch([Record(offset=0, timestamp=1, key=None, value=b"x" * 5000, headers=[])])
    cases = [
        (_produce("bad-input", 0, good), ErrorCode.NONE),
        (_produce("bad-input", 0, bytes(corrupt)), ErrorCode.CORRUPT_MESSAGE),
        (_produce("bad-input", 0, big), ErrorCode.MESSAGE_TOO_LARGE),
        (_produce("bad-input", 7, good), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        (_produce("no-such-topic", 0, good), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION),
        (_produce("bad-input", 0, good[:30]), ErrorCode.CORRUPT_MESSAGE),
        (_produce("bad-input", 0, good, acks=3), ErrorCode.INVALID_REQUIRED_ACKS),
        (_produce("__consumer_offsets", 0, good), ErrorCode.INVALID_TOPIC_EXCEPTION),
    ]
    for request, expected in cases:
        assert _partition_error(raw_client.request(request, 7)) == expected


def test_fetch_out_of_range_and_invalid_topic_names(raw_client: RawClient) -> None:
    _create(raw_client, "range-check")
    fetch = FetchRequest(
        max_wait_ms=0,
        min_bytes=1,
        topics=[
            FetchTopic(
                topic="range-check",
                partitions=[FetchPartition(partition=0, fetch_offset=42, partition_max_bytes=1024)],
            )
        ],
    )
    partition = raw_client.request(fetch, 11).responses[0].partitions[0]
    assert partition.error_code == ErrorCode.OFFSET_OUT_OF_RANGE
    metadata = raw_client.request(
        MetadataRequest(
            topics=[MetadataRequestTopic(name="bad/name")], allow_auto_topic_creation=True
        ),
        9,
    )
    assert metadata.topics[0].error_code == ErrorCode.INVALID_TOPIC_EXCEPTION
    created = raw_client.request(
        CreateTopicsRequest(
            topics=[CreatableTopic(name="x" * 300, num_partitions=1, replication_factor=1)],
            timeout_ms=1000,
        ),
        5,
    )
    assert created.topics[0].error_code == ErrorCode.INVALID_TOPIC_EXCEPTION


def test_fetch_long_poll_is_woken_by_an_append(raw_client: RawClient, kaspar_broker: Any) -> None:
    _create(raw_client, "long-poll")
    fetch = FetchRequest(
        max_wait_ms=10_000,
        min_bytes=1,
        topics=[
            FetchTopic(
                topic="long-poll",
                partitions=[
                    FetchPartition(partition=0, fetch_offset=0, partition_max_bytes=1 << 20)
                ],
            )
        ],
    )
    batch = encode_batch([Record(offset=0, timestamp=1, key=None, value=b"wake", headers=[])])

    def produce_later() -> None:
        time.sleep(0.3)
        producer = RawClient(kaspar_broker.bootstrap_servers)
        try:
            producer.request(_produce("long-poll", 0, batch), 7)
        finally:
            producer.close()

    thread = threading.Thread(target=produce_later)
    thread.start()
    response = raw_client.request(fetch, 11)
    thread.join()
    partition = response.responses[0].partitions[0]
    assert partition.error_code == ErrorCode.NONE
    assert partition.high_watermark == 1
    assert partition.records and len(partition.records) == len(batch)


def _garbage_frames() -> st.SearchStrategy[bytes]:
    header = st.tuples(
        st.integers(-2, 80), st.integers(-5, 20), st.integers(-(2**31), 2**31 - 1)
    ).map(lambda t: struct.pack(">hhi", *t))
    body = st.binary(max_size=300)
    framed = st.tuples(header, body).map(
        lambda hb: struct.pack(">i", len(hb[0]) + len(hb[1])) + hb[0] + hb[1]
    )
    bad_size = st.tuples(st.integers(-(2**31), 2**31 - 1), st.binary(max_size=50)).map(
        lambda nb: struct.pack(">i", nb[0]) + nb[1]
    )
    return st.one_of(framed, bad_size, st.binary(max_size=200))


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=_garbage_frames())
def test_fuzzed_frames_never_break_the_broker(kaspar_broker: Any, data: bytes) -> None:
    client = RawClient(kaspar_broker.bootstrap_servers, timeout=0.2)
    try:
        client.send_bytes(data)
        try:
            client.sock.recv(65536)
        except (TimeoutError, ConnectionResetError):
            pass
    except (BrokenPipeError, ConnectionResetError):
        pass
    finally:
        client.close()
    assert _api_versions_ok(kaspar_broker.bootstrap_servers)
