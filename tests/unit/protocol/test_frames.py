"""kaspar.protocol.frames: request/response header versions and framing."""

from __future__ import annotations

import struct

import pytest

from kaspar.protocol import frames
from kaspar.protocol.api_index import ApiKey, api_info, api_spec
from kaspar.protocol.codec import DecodeError, UnsupportedVersionError
from kaspar.protocol.frames import RequestHeader
from kaspar.protocol.messages.api_versions import (
    ApiVersion,
    ApiVersionsRequest,
    ApiVersionsResponse,
)
from kaspar.protocol.messages.metadata import MetadataRequest, MetadataResponse


def test_request_header_v1() -> None:
    buf = bytes.fromhex("000300010000000700026162") + b"body"
    header, pos = frames.decode_request_header(buf)
    assert header == RequestHeader(3, 1, 7, "ab")
    assert buf[pos:] == b"body"


def test_request_header_v2_flexible_skips_tags_and_keeps_int16_client_id() -> None:
    buf = bytes.fromhex("000300090000000700026162010502abcd") + b"B"
    header, pos = frames.decode_request_header(buf)
    assert header == RequestHeader(3, 9, 7, "ab")
    assert buf[pos:] == b"B"


def test_request_header_null_client_id() -> None:
    header, pos = frames.decode_request_header(bytes.fromhex("0012000000000001ffff"))
    assert header.client_id is None
    assert pos == 10


def test_controlled_shutdown_v0_uses_header_v0() -> None:
    buf = bytes.fromhex("0007000000000002") + b"rest"
    header, pos = frames.decode_request_header(buf)
    assert header == RequestHeader(ApiKey.CONTROLLED_SHUTDOWN, 0, 2, None)
    assert pos == 8


@pytest.mark.parametrize(("key", "version"), [(9999, 0), (18, 99), (3, 50)])
def test_unknown_key_or_version_parses_as_v1(key: int, version: int) -> None:
    buf = struct.pack(">hhih", key, version, 5, 1) + b"c" + b"\x00"
    header, pos = frames.decode_request_header(buf)
    assert header == RequestHeader(key, version, 5, "c")
    assert pos == 11


def test_truncated_header_raises() -> None:
    with pytest.raises(DecodeError):
        frames.decode_request_header(bytes.fromhex("000300090000"))
    with pytest.raises(DecodeError):
        frames.decode_request_header(bytes.fromhex("0003000100000001000961"))


def test_api_versions_v0_request_frame_golden() -> None:
    frame = frames.encode_request(
        ApiVersionsRequest(), api_version=0, correlation_id=1, client_id="c"
    )
    assert frame == bytes.fromhex("0000000b0012000000000001000163")
    header, body = frames.decode_request(frame[4:])
    assert header == RequestHeader(18, 0, 1, "c")
    assert body == ApiVersionsRequest()


def test_api_versions_response_always_header_v0() -> None:
    resp = ApiVersionsResponse(api_keys=[ApiVersion(api_key=18, min_version=0, max_version=3)])
    frame = frames.encode_response(9, ApiKey.API_VERSIONS, 3, resp)
    # no tagged-field byte after the correlation id, but a flexible body
    assert frame == bytes.fromhex("0000001300000009000002001200000003000000000000")
    assert frames.decode_response(ApiKey.API_VERSIONS, 3, frame[4:]) == (9, resp)


def test_flexible_response_uses_header_v1() -> None:
    frame = frames.encode_response(7, ApiKey.METADATA, 9, MetadataResponse())
    assert frame[4:9] == bytes.fromhex("0000000700")
    assert struct.unpack(">i", frame[:4])[0] == len(frame) - 4
    assert frames.decode_response(ApiKey.METADATA, 9, frame[4:]) == (7, MetadataResponse())


def test_non_flexible_response_uses_header_v0() -> None:
    frame = frames.encode_response(7, ApiKey.METADATA, 1, MetadataResponse())
    assert frame[4:8] == bytes.fromhex("00000007")
    assert frames.decode_response(ApiKey.METADATA, 1, frame[4:]) == (7, MetadataResponse())


def test_flexible_request_round_trip() -> None:
    req = MetadataRequest(topics=None, allow_auto_topic_creation=False)
    frame = frames.encode_request(req, api_version=12, correlation_id=3, client_id="me")
    assert frame[4:17] == bytes.fromhex("0003000c0000000300026d6500")
    assert frames.decode_request(frame[4:]) == (RequestHeader(3, 12, 3, "me"), req)


def test_header_versions() -> None:
    assert frames.request_header_version(ApiKey.PRODUCE, 8) == 1
    assert frames.request_header_version(ApiKey.PRODUCE, 9) == 2
    assert frames.response_header_version(ApiKey.PRODUCE, 9) == 1
    assert frames.response_header_version(ApiKey.API_VERSIONS, 4) == 0
    assert frames.response_header_version(ApiKey.CONTROLLED_SHUTDOWN, 0) == 0


def test_decode_request_unknown_key() -> None:
    with pytest.raises(UnsupportedVersionError):
        frames.decode_request(struct.pack(">hhih", 9999, 0, 1, -1))


def test_api_index() -> None:
    assert ApiKey.PRODUCE == 0
    assert ApiKey.LIST_OFFSETS == 2
    assert ApiKey.API_VERSIONS == 18
    assert ApiKey.CREATE_TOPICS == 19
    assert ApiKey.DESCRIBE_CLUSTER == 60
    spec = api_spec(ApiKey.PRODUCE)
    assert spec is not None
    assert spec.request.__name__ == "ProduceRequest"
    assert (spec.min_version, spec.max_version, spec.flexible_from) == (0, 11, 9)
    assert spec.is_flexible(9)
    assert not spec.is_flexible(8)
    assert api_spec(9999) is None
    info = api_info(ApiKey.SASL_HANDSHAKE)
    assert info is not None
    assert info.flexible_from is None


@pytest.mark.parametrize("version", [4, 11, 12])
def test_response_parts_splice_large_records_and_equal_the_joined_frame(version: int) -> None:
    from kaspar.protocol.messages.fetch import (
        FetchableTopicResponse,
        FetchResponse,
        PartitionData,
    )
    from kaspar.protocol.wire import SPLICE_MIN_BYTES

    big = bytes(range(256)) * (SPLICE_MIN_BYTES // 128)
    small = b"x" * 100
    partitions = [
        PartitionData(partition_index=i, high_watermark=9, last_stable_offset=9, records=r)
        for i, r in enumerate([big, small, big[:-1], None])
    ]
    body = FetchResponse(responses=[FetchableTopicResponse(topic="t", partitions=partitions)])
    parts = frames.encode_response_parts(5, ApiKey.FETCH, version, body)
    assert b"".join(parts) == frames.encode_response(5, ApiKey.FETCH, version, body)
    assert sum(p is big for p in parts) == 1  # sent as the body's own object, not a copy
    assert len(parts) == 5  # prefix, big, middle (small inline), big[:-1], rest
