"""kaspar.protocol.codec: round-trips over every (message, version) and hand-built golden bytes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaspar.protocol import codec, wire
from kaspar.protocol.codec import DecodeError, EncodeError, UnsupportedVersionError
from kaspar.protocol.messages.api_versions import (
    ApiVersion,
    ApiVersionsRequest,
    ApiVersionsResponse,
)
from kaspar.protocol.messages.consumer_protocol_subscription import (
    ConsumerProtocolSubscription,
    TopicPartition,
)
from kaspar.protocol.messages.metadata import MetadataRequest, MetadataRequestTopic
from kaspar.protocol.messages.produce import (
    PartitionProduceData,
    ProduceRequest,
    TopicProduceData,
)
from tests.unit.protocol.protocol_strategies import all_cases, message_strategy

CASES = all_cases()


@pytest.mark.parametrize(("cls", "version"), CASES, ids=[f"{c.__name__}-v{v}" for c, v in CASES])
def test_round_trip_every_message_version(cls: type[Any], version: int) -> None:
    @settings(
        max_examples=5,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(obj=message_strategy(cls, version))
    def check(obj: Any) -> None:
        data = codec.encode(obj, version)
        decoded, end = codec.decode(cls, version, data)
        assert decoded == obj
        assert end == len(data)
        assert codec.encode(decoded, version) == data

    check()


def test_every_api_covered() -> None:
    assert len(CASES) > 600


# --- golden bytes --------------------------------------------------------------------------


def test_api_versions_v0_request_is_empty() -> None:
    assert codec.encode(ApiVersionsRequest(), 0) == b""


def test_api_versions_v0_response() -> None:
    resp = ApiVersionsResponse(api_keys=[ApiVersion(api_key=18, min_version=0, max_version=3)])
    expected = bytes.fromhex("000000000001001200000003")
    assert codec.encode(resp, 0) == expected
    assert codec.decode(ApiVersionsResponse, 0, expected) == (resp, len(expected))


def test_api_versions_v3_response_flexible_with_tagged_field() -> None:
    resp = ApiVersionsResponse(
        api_keys=[ApiVersion(api_key=18, min_version=0, max_version=3)],
        zk_migration_ready=True,
    )
    expected = bytes.fromhex(
        "0000"  # error_code
        "02"  # compact array: 1 element
        "0012"
        "0000"
        "0003"
        "00"  # api key 18, 0-3, no tags
        "00000000"  # throttle_time_ms
        "01"
        "03"
        "01"
        "01"  # one tagged field: tag 3, size 1, true
    )
    assert codec.encode(resp, 3) == expected
    assert codec.decode(ApiVersionsResponse, 3, expected)[0] == resp


def test_api_versions_v3_request_compact_strings() -> None:
    req = ApiVersionsRequest(client_software_name="ab", client_software_version="1")
    assert codec.encode(req, 3) == bytes.fromhex("036162023100")


def test_metadata_v1_null_topics() -> None:
    assert codec.encode(MetadataRequest(topics=None), 1) == bytes.fromhex("ffffffff")
    assert codec.decode(MetadataRequest, 1, b"\xff\xff\xff\xff")[0].topics is None


def test_metadata_v0_empty_topics_and_null_rejected() -> None:
    assert codec.encode(MetadataRequest(topics=[]), 0) == bytes.fromhex("00000000")
    with pytest.raises(EncodeError):
        codec.encode(MetadataRequest(topics=None), 0)


def test_metadata_v9_flexible_body() -> None:
    req = MetadataRequest(topics=[MetadataRequestTopic(name="t")])
    # compact array(1), compact string "t", topic tags, allow_auto=true, 2 x false, tags
    assert codec.encode(req, 9) == bytes.fromhex("0202740001000000")


def test_produce_v3_and_v9() -> None:
    req = ProduceRequest(
        acks=-1,
        timeout_ms=1000,
        topic_data=[
            TopicProduceData(name="t", partition_data=[PartitionProduceData(records=b"abc")])
        ],
    )
    v3 = bytes.fromhex("ffffffff000003e8000000010001740000000100000000")
    assert codec.encode(req, 3) == v3 + bytes.fromhex("00000003616263")
    v9 = bytes.fromhex("00ffff000003e8020274020000000004616263000000")
    assert codec.encode(req, 9) == v9
    assert codec.decode(ProduceRequest, 9, memoryview(v9))[0] == req


def test_records_accepts_memoryview_and_bytearray() -> None:
    for raw in (bytearray(b"xy"), memoryview(b"xy")):
        part = PartitionProduceData(index=1, records=raw)  # type: ignore[arg-type]
        assert codec.encode(part, 3) == bytes.fromhex("00000001000000027879")


def test_consumer_protocol_subscription_v1() -> None:
    sub = ConsumerProtocolSubscription(
        topics=["a"], owned_partitions=[TopicPartition(topic="a", partitions=[0, 2])]
    )
    data = codec.encode(sub, 1)
    assert data == bytes.fromhex("00000001000161ffffffff00000001000161000000020000000000000002")
    assert codec.decode(ConsumerProtocolSubscription, 1, data)[0] == sub


# --- tagged fields, versions, errors -------------------------------------------------------


def test_unknown_tagged_fields_are_skipped() -> None:
    body = bytes.fromhex("00000100000000020502abcd030101")
    decoded, end = codec.decode(ApiVersionsResponse, 3, body)
    assert decoded.zk_migration_ready is True
    assert end == len(body)


def test_tagged_field_equal_to_default_is_not_written() -> None:
    assert codec.encode(ApiVersionsResponse(), 3).endswith(b"\x00\x00\x00\x00\x00")


def test_absent_non_ignorable_field_raises() -> None:
    with pytest.raises(UnsupportedVersionError):
        codec.encode(ProduceRequest(transactional_id="tx"), 2)
    with pytest.raises(UnsupportedVersionError):
        codec.encode(MetadataRequest(topics=[], allow_auto_topic_creation=False), 3)


def test_absent_ignorable_field_is_dropped() -> None:
    sub = ConsumerProtocolSubscription(topics=["a"], generation_id=5)
    assert codec.encode(sub, 0) == bytes.fromhex("00000001000161ffffffff")


def test_unknown_version_raises() -> None:
    with pytest.raises(UnsupportedVersionError):
        codec.encode(ApiVersionsRequest(), 99)
    with pytest.raises(UnsupportedVersionError):
        codec.decode(ApiVersionsRequest, -1, b"")


@pytest.mark.parametrize(
    ("version", "data"),
    [
        (0, bytes.fromhex("00")),  # truncated int16
        (0, bytes.fromhex("0000000000020012")),  # truncated array
        (3, bytes.fromhex("000080")),  # truncated varint
        (0, bytes.fromhex("0000fffffffe")),  # negative array length
        (0, bytes.fromhex("0000ffffffff")),  # null for a non-nullable array
    ],
)
def test_decode_errors(version: int, data: bytes) -> None:
    with pytest.raises(DecodeError):
        codec.decode(ApiVersionsResponse, version, data)


def test_invalid_utf8_and_bad_string_length() -> None:
    with pytest.raises(DecodeError):
        codec.decode(MetadataRequest, 0, bytes.fromhex("000000010001ff"))
    with pytest.raises(DecodeError):
        codec.decode(MetadataRequest, 0, bytes.fromhex("00000001000561"))


def test_encode_out_of_range_raises_encode_error() -> None:
    with pytest.raises(EncodeError):
        codec.encode(ProduceRequest(acks=1 << 20), 3)
    with pytest.raises(EncodeError):
        codec.encode(MetadataRequest(topics=[MetadataRequestTopic(name=None)]), 9)


def test_decode_at_offset_and_uuid() -> None:
    topic = MetadataRequestTopic(topic_id=uuid.UUID(int=7), name="x")
    data = b"junk" + codec.encode(topic, 10)
    assert codec.decode(MetadataRequestTopic, 10, data, 4) == (topic, len(data))


@given(st.integers(0, 2**32 - 1))
@settings(max_examples=50, derandomize=True, database=None)
def test_uvarint_round_trip(n: int) -> None:
    out = bytearray()
    wire.write_uvarint(n, out)
    assert wire.read_uvarint(out, 0) == (n, len(out))
