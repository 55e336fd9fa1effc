"""Confluent's wire format: magic byte 0, the schema id as 4 bytes big-endian, then the payload;
Protobuf payloads are preceded by the message indexes (which message of the schema's file).

The indexes are a count then the indexes, each a zigzag varint (Java's ``ByteUtils.writeVarint``,
which confluent-kafka's serializers follow); the common case, the file's first message, is the
single byte 0. Confluent: docs.confluent.io/platform/current/schema-registry/fundamentals/
serdes-develop/index.html#wire-format.
"""

from __future__ import annotations

MAGIC_BYTE = 0
HEADER_SIZE = 5


class FramingError(ValueError):
    """A value that is not in Confluent's wire format."""


def frame_header(schema_id: int) -> bytes:
    """The 5 bytes before a registry-framed payload."""
    return bytes([MAGIC_BYTE]) + schema_id.to_bytes(4, "big")


def schema_id_at(data: bytes, start: int, end: int) -> int:
    """The schema id of the framed value ``data[start:end]``."""
    if end - start < HEADER_SIZE:
        raise FramingError(f"a framed value has at least 5 bytes, this one {end - start}")
    if data[start] != MAGIC_BYTE:
        raise FramingError(f"unknown magic byte {data[start]} (Confluent's wire format: 0)")
    return int.from_bytes(data[start + 1 : start + HEADER_SIZE], "big")


def _read_varint(data: bytes, position: int, end: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if position >= end or shift > 63:
            raise FramingError("truncated message indexes")
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (result >> 1) ^ -(result & 1), position
        shift += 7


def message_indexes_at(data: bytes, position: int, end: int) -> tuple[list[int], int]:
    """The message indexes that start at ``position`` and the payload's first byte."""
    count, position = _read_varint(data, position, end)
    if count == 0:
        return [0], position
    if not 0 < count <= 100:
        raise FramingError(f"invalid message index count {count}")
    indexes = []
    for _ in range(count):
        index, position = _read_varint(data, position, end)
        indexes.append(index)
    return indexes, position


def _varint(value: int) -> bytes:
    zigzag = (value << 1) ^ (value >> 63)
    out = bytearray()
    while zigzag & ~0x7F:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    return bytes(out)


def message_indexes(indexes: list[int]) -> bytes:
    """The encoded message indexes (``[0]`` as the single byte 0)."""
    if indexes == [0]:
        return b"\x00"
    return _varint(len(indexes)) + b"".join(_varint(i) for i in indexes)
