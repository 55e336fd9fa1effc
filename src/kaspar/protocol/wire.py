"""Wire primitives of the Kafka protocol: varints, length prefixes, strings, bytes, arrays.

Every codec is a pair of closures ``(reader, writer)``: ``reader(buf, pos) -> (value, new_pos)``
and ``writer(value, out)`` appending to a bytearray. Choosing one is done once per field and
version by :mod:`kaspar.protocol.codec`; nothing here inspects types at run time.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable
from typing import Any

Buffer = bytes | bytearray | memoryview
Reader = Callable[[Buffer, int], tuple[Any, int]]
Writer = Callable[[Any, bytearray], None]


SPLICE_MIN_BYTES = 64 << 10


class SplicedOutput(bytearray):
    """An output buffer that keeps large blobs by reference instead of copying them in.

    A blob of at least ``SPLICE_MIN_BYTES`` written to it is recorded in ``splices`` as
    (position in the buffer, blob); ``parts`` then gives the whole encoding as a list of
    buffers. A broker answering a Fetch sends megabytes of segment bytes this way without
    copying them into the frame (each copy of a fresh large buffer costs page faults too).
    """

    def __init__(self, size: int = 0) -> None:
        super().__init__(size)
        self.splices: list[tuple[int, Buffer]] = []

    @property
    def total_size(self) -> int:
        return len(self) + sum(len(blob) for _, blob in self.splices)

    def parts(self) -> list[Buffer]:
        """The encoding in order: the buffer's bytes with each blob inserted at its place."""
        if not self.splices:
            return [self]
        view = memoryview(self)
        out: list[Buffer] = []
        start = 0
        for position, blob in self.splices:
            if position > start:
                out.append(view[start:position])
            out.append(blob)
            start = position
        if start < len(self):
            out.append(view[start:])
        return out


class ProtocolError(ValueError):
    """Base class of the codec errors."""


class DecodeError(ProtocolError):
    """Truncated or malformed input."""


class EncodeError(ProtocolError):
    """A value cannot be represented on the wire (out of range, wrong type, null not allowed)."""


class UnsupportedVersionError(EncodeError):
    """Unknown version, or a non-default value in a non-ignorable field the version lacks."""


FIXED_CODES = {
    "bool": "?",
    "int8": "b",
    "int16": "h",
    "int32": "i",
    "int64": "q",
    "uint16": "H",
    "uint32": "I",
    "float64": "d",
}
_INT16 = struct.Struct(">h")
_INT32 = struct.Struct(">i")
_INT8 = struct.Struct(">b")


# --- varints and lengths -------------------------------------------------------------------


def read_uvarint(buf: Buffer, pos: int) -> tuple[int, int]:
    """Unsigned LEB128 varint (at most 5 bytes)."""
    byte = buf[pos]
    if byte < 0x80:
        return byte, pos + 1
    result = byte & 0x7F
    shift = 7
    while True:
        pos += 1
        byte = buf[pos]
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos + 1
        shift += 7
        if shift > 28:
            raise DecodeError("unsigned varint longer than 5 bytes")


def write_uvarint(value: int, out: bytearray) -> None:
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)


def _length_writer(flexible: bool, classic: struct.Struct) -> Writer:
    """Length prefix writer: -1 means null. Compact form is uvarint(n + 1)."""
    if flexible:

        def write_compact(n: int, out: bytearray) -> None:
            write_uvarint(n + 1, out)

        return write_compact
    pack = classic.pack

    def write_classic(n: int, out: bytearray) -> None:
        out += pack(n)

    return write_classic


def _fail_length(n: int, remaining: int, what: str) -> DecodeError:
    if n < 0:
        return DecodeError(f"invalid {what} length {n}")
    return DecodeError(f"{what} length {n} exceeds the remaining {remaining} bytes")


def _length_reader(flexible: bool, classic: struct.Struct, nullable: bool, what: str) -> Reader:
    """Length prefix reader returning -1 for null; rejects null unless ``nullable``,
    other negative lengths, and lengths beyond the end of the buffer."""
    lowest = -1 if nullable else 0
    size, unpack_from = classic.size, classic.unpack_from

    def read_compact(buf: Buffer, pos: int) -> tuple[int, int]:
        n = buf[pos]
        if n < 0x80:
            pos += 1
        else:
            n, pos = read_uvarint(buf, pos)
        n -= 1
        if n < lowest or n > len(buf) - pos:
            raise _fail_length(n, len(buf) - pos, what)
        return n, pos

    def read_classic(buf: Buffer, pos: int) -> tuple[int, int]:
        n = unpack_from(buf, pos)[0]
        pos += size
        if n < lowest or n > len(buf) - pos:
            raise _fail_length(n, len(buf) - pos, what)
        return n, pos

    return read_compact if flexible else read_classic


# --- primitives ----------------------------------------------------------------------------


def _fixed_codec(code: str) -> tuple[Reader, Writer]:
    packer = struct.Struct(">" + code)
    size, unpack_from, pack = packer.size, packer.unpack_from, packer.pack

    def read(buf: Buffer, pos: int) -> tuple[Any, int]:
        return unpack_from(buf, pos)[0], pos + size

    def write(value: Any, out: bytearray) -> None:
        out += pack(value)

    return read, write


def _uuid_codec() -> tuple[Reader, Writer]:
    def read(buf: Buffer, pos: int) -> tuple[uuid.UUID, int]:
        end = pos + 16
        if end > len(buf):
            raise DecodeError("truncated uuid")
        return uuid.UUID(bytes=bytes(buf[pos:end])), end

    def write(value: uuid.UUID, out: bytearray) -> None:
        out += value.bytes

    return read, write


def _blob_codec(text: bool, flexible: bool, nullable: bool) -> tuple[Reader, Writer]:
    """string (``text``) or bytes/records, classic or compact, nullable or not."""
    prefix = _INT16 if text else _INT32
    read_len = _length_reader(flexible, prefix, nullable, "string" if text else "bytes")
    write_len = _length_writer(flexible, prefix)
    null_len = -1

    def read(buf: Buffer, pos: int) -> tuple[Any, int]:
        n, pos = read_len(buf, pos)
        if n < 0:
            return None, pos
        end = pos + n
        return (str(buf[pos:end], "utf-8") if text else bytes(buf[pos:end])), end

    def write(value: Any, out: bytearray) -> None:
        if value is None:
            if not nullable:
                raise EncodeError("null is not allowed here in this version")
            write_len(null_len, out)
            return
        data = value.encode() if text else value
        write_len(len(data), out)
        if len(data) >= SPLICE_MIN_BYTES and type(out) is SplicedOutput:
            out.splices.append((len(out), data))
        else:
            out += data

    return read, write


def primitive_codec(kafka_type: str, flexible: bool, nullable: bool) -> tuple[Reader, Writer]:
    match kafka_type:
        case "string":
            return _blob_codec(True, flexible, nullable)
        case "bytes" | "records":
            return _blob_codec(False, flexible, nullable)
        case "uuid":
            return _uuid_codec()
        case _ if kafka_type in FIXED_CODES:
            return _fixed_codec(FIXED_CODES[kafka_type])
    raise ValueError(f"unknown kafka type {kafka_type!r}")


# --- arrays and structs --------------------------------------------------------------------


def array_codec(
    elem: tuple[Reader, Writer], code: str | None, flexible: bool, nullable: bool
) -> tuple[Reader, Writer]:
    read_len = _length_reader(flexible, _INT32, nullable, "array")
    write_len = _length_writer(flexible, _INT32)
    read_elem, write_elem = elem
    width = struct.calcsize(">" + code) if code else 0

    def read(buf: Buffer, pos: int) -> tuple[list[Any] | None, int]:
        n, pos = read_len(buf, pos)
        if n < 0:
            return None, pos
        if code:
            return list(struct.unpack_from(f">{n}{code}", buf, pos)), pos + n * width
        items = []
        for _ in range(n):
            item, pos = read_elem(buf, pos)
            items.append(item)
        return items, pos

    def write(value: list[Any] | None, out: bytearray) -> None:
        if value is None:
            if not nullable:
                raise EncodeError("null array is not allowed here in this version")
            write_len(-1, out)
            return
        write_len(len(value), out)
        if code:
            out += struct.pack(f">{len(value)}{code}", *value)
            return
        for item in value:
            write_elem(item, out)

    return read, write


def nullable_struct_codec(inner: tuple[Reader, Writer]) -> tuple[Reader, Writer]:
    """Nullable struct: an int8 marker (-1 null, 1 present) precedes the struct."""
    read_inner, write_inner = inner

    def read(buf: Buffer, pos: int) -> tuple[Any, int]:
        marker = _INT8.unpack_from(buf, pos)[0]
        if marker < 0:
            return None, pos + 1
        return read_inner(buf, pos + 1)

    def write(value: Any, out: bytearray) -> None:
        if value is None:
            out.append(0xFF)
            return
        out.append(1)
        write_inner(value, out)

    return read, write
