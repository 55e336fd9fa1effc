"""Request/response framing: the int32 size prefix, request (v0-v2) and response (v0-v1) headers.

Header versions follow the flexibility of (api_key, api_version):

* request header v2 (v1 + tagged fields) for flexible versions, v1 otherwise, v0 only for
  ControlledShutdown v0; an unknown key or version is read as v1 so the broker can still answer.
  The client id is always an int16-length nullable string, even in v2.
* response header v1 (correlation id + tagged fields) for flexible versions, v0 otherwise;
  ApiVersions responses always use v0 (KIP-511).

``decode_*`` functions take the frame *without* its size prefix; ``encode_*`` return it *with*.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

from kaspar.protocol.api_index import ApiKey, api_info, api_spec
from kaspar.protocol.codec import decode, encode_into
from kaspar.protocol.wire import (
    Buffer,
    DecodeError,
    SplicedOutput,
    UnsupportedVersionError,
    read_uvarint,
)

_REQUEST_V0 = struct.Struct(">hhi")
_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")


@dataclass(frozen=True, slots=True)
class RequestHeader:
    """The request header common to all versions (v0 has no client id)."""

    api_key: int
    api_version: int
    correlation_id: int
    client_id: str | None = None


def _flexible(api_key: int, api_version: int) -> bool | None:
    """True/False if the (key, version) is known, None if it is not."""
    info = api_info(api_key)
    if info is None or not info.min_version <= api_version <= info.max_version:
        return None
    return info.flexible_from is not None and api_version >= info.flexible_from


def request_header_version(api_key: int, api_version: int) -> int:
    if api_key == ApiKey.CONTROLLED_SHUTDOWN and api_version == 0:
        return 0
    return 2 if _flexible(api_key, api_version) else 1


def response_header_version(api_key: int, api_version: int) -> int:
    if api_key == ApiKey.API_VERSIONS:
        return 0
    return 1 if _flexible(api_key, api_version) else 0


def _skip_tagged_fields(buf: Buffer, pos: int) -> int:
    count, pos = read_uvarint(buf, pos)
    for _ in range(count):
        _tag, pos = read_uvarint(buf, pos)
        size, pos = read_uvarint(buf, pos)
        pos += size
    if pos > len(buf):
        raise DecodeError("tagged fields overrun the header")
    return pos


def _read_client_id(buf: Buffer, pos: int) -> tuple[str | None, int]:
    (length,) = _INT16.unpack_from(buf, pos)
    pos += 2
    if length == -1:
        return None, pos
    end = pos + length
    if length < 0 or end > len(buf):
        raise DecodeError(f"invalid client id length {length}")
    return str(buf[pos:end], "utf-8"), end


def decode_request_header(buf: Buffer) -> tuple[RequestHeader, int]:
    """Parse the request header at the start of ``buf``; returns (header, body position)."""
    try:
        api_key, api_version, correlation_id = _REQUEST_V0.unpack_from(buf, 0)
        pos = _REQUEST_V0.size
        version = request_header_version(api_key, api_version)
        client_id = None
        if version >= 1:
            client_id, pos = _read_client_id(buf, pos)
        if version >= 2:
            pos = _skip_tagged_fields(buf, pos)
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise DecodeError(f"malformed request header: {exc}") from exc
    return RequestHeader(api_key, api_version, correlation_id, client_id), pos


def decode_request(buf: Buffer) -> tuple[RequestHeader, Any]:
    """Header and body of a request frame; UnsupportedVersionError for unknown key/version."""
    header, pos = decode_request_header(buf)
    spec = api_spec(header.api_key)
    if spec is None:
        raise UnsupportedVersionError(f"unknown api key {header.api_key}")
    body, _ = decode(spec.request, header.api_version, buf, pos)
    return header, body


def _finish(out: bytearray) -> bytes:
    out[0:4] = _INT32.pack(len(out) - 4)
    return bytes(out)


def encode_response(correlation_id: int, api_key: int, api_version: int, body: Any) -> bytes:
    """Size prefix + response header + ``body`` encoded at ``api_version``."""
    out = bytearray(4)
    out += _INT32.pack(correlation_id)
    if response_header_version(api_key, api_version) == 1:
        out.append(0)
    encode_into(body, api_version, out)
    return _finish(out)


def encode_response_parts(
    correlation_id: int, api_key: int, api_version: int, body: Any
) -> list[Buffer]:
    """``encode_response`` as a list of buffers whose large blobs (a Fetch response's
    records) are the body's own objects, not copies: for a writer that sends them in turn."""
    out = SplicedOutput(4)
    out += _INT32.pack(correlation_id)
    if response_header_version(api_key, api_version) == 1:
        out.append(0)
    encode_into(body, api_version, out)
    out[0:4] = _INT32.pack(out.total_size - 4)
    return out.parts()


def encode_request(
    body: Any, *, api_version: int, correlation_id: int, client_id: str | None = None
) -> bytes:
    """Size prefix + request header + ``body`` (its class gives the api key)."""
    api_key: int = body.API_KEY
    out = bytearray(4)
    out += _REQUEST_V0.pack(api_key, api_version, correlation_id)
    version = request_header_version(api_key, api_version)
    if version >= 1:
        if client_id is None:
            out += _INT16.pack(-1)
        else:
            data = client_id.encode()
            out += _INT16.pack(len(data))
            out += data
    if version >= 2:
        out.append(0)
    encode_into(body, api_version, out)
    return _finish(out)


def decode_response(api_key: int, api_version: int, buf: Buffer) -> tuple[int, Any]:
    """(correlation id, body) of a response frame given without its size prefix."""
    spec = api_spec(api_key)
    if spec is None:
        raise UnsupportedVersionError(f"unknown api key {api_key}")
    try:
        (correlation_id,) = _INT32.unpack_from(buf, 0)
        pos = 4
        if response_header_version(api_key, api_version) == 1:
            pos = _skip_tagged_fields(buf, pos)
    except (struct.error, IndexError) as exc:
        raise DecodeError(f"malformed response header: {exc}") from exc
    body, _ = decode(spec.response, api_version, buf, pos)
    return correlation_id, body
