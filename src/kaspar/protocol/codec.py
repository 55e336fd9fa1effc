"""Encode and decode the generated message dataclasses for one protocol version.

Each (class, version) pair is compiled once (``functools.cache``) from the field metadata the
code generator stores on every dataclass field into a list of closures ("steps"). Runs of
consecutive fixed-width fields share one precompiled :class:`struct.Struct`.
"""

from __future__ import annotations

import dataclasses
import functools
import struct
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

from kaspar.protocol.wire import (
    FIXED_CODES,
    Buffer,
    DecodeError,
    EncodeError,
    ProtocolError,
    Reader,
    UnsupportedVersionError,
    Writer,
    array_codec,
    nullable_struct_codec,
    primitive_codec,
    read_uvarint,
    write_uvarint,
)

__all__ = [
    "DecodeError",
    "EncodeError",
    "ProtocolError",
    "UnsupportedVersionError",
    "compile_reader",
    "compile_writer",
    "decode",
    "encode",
    "encode_into",
]

_ReadStep = Callable[[Buffer, int, dict[str, Any]], int]
_WriteStep = Callable[[Any, bytearray], None]
T = TypeVar("T")
_Key = tuple[type[Any], int]


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    """One dataclass field as seen by a given version."""

    name: str
    kafka_type: str
    struct_cls: type[Any] | None
    present: bool
    nullable: bool
    tag: int
    """-1 unless the field is tagged in this version."""
    ignorable: bool
    default: Any


def _in(rng: tuple[int, int] | None, version: int) -> bool:
    return rng is not None and rng[0] <= version <= rng[1]


def _fields(cls: type[Any], version: int) -> list[_Field]:
    out = []
    for f in dataclasses.fields(cls):
        meta = f.metadata
        default = f.default if f.default_factory is dataclasses.MISSING else f.default_factory()
        tagged = _in(meta.get("tagged_versions"), version)
        out.append(
            _Field(
                name=f.name,
                kafka_type=meta["kafka_type"],
                struct_cls=meta.get("struct"),
                present=_in(meta["versions"], version),
                nullable=_in(meta.get("nullable_versions"), version),
                tag=meta["tag"] if tagged else -1,
                ignorable=bool(meta.get("ignorable", False)),
                default=default,
            )
        )
    return out


def _is_flexible(cls: type[Any], version: int) -> bool:
    flexible_from: int | None = getattr(cls, "FLEXIBLE_FROM", None)
    return flexible_from is not None and version >= flexible_from


def _check_version(cls: type[Any], version: int) -> None:
    lo: int = getattr(cls, "MIN_VERSION", 0)
    hi: int = getattr(cls, "MAX_VERSION", 0x7FFF)
    if not lo <= version <= hi:
        raise UnsupportedVersionError(f"{cls.__name__} has no version {version} ({lo}-{hi})")


def _value_codec(f: _Field, version: int, flexible: bool) -> tuple[Reader, Writer]:
    is_array = f.kafka_type.startswith("[]")
    elem_type = f.kafka_type[2:] if is_array else f.kafka_type
    if f.struct_cls is not None:
        elem = (compile_reader(f.struct_cls, version), compile_writer(f.struct_cls, version))
    else:
        elem = primitive_codec(elem_type, flexible, False)
    if is_array:
        return array_codec(elem, FIXED_CODES.get(elem_type), flexible, f.nullable)
    if f.struct_cls is not None:
        return nullable_struct_codec(elem) if f.nullable else elem
    return primitive_codec(elem_type, flexible, f.nullable)


def _fixed_run(fields: list[_Field]) -> tuple[_ReadStep, _WriteStep]:
    """One Struct for consecutive fixed-width fields."""
    packer = struct.Struct(">" + "".join(FIXED_CODES[f.kafka_type] for f in fields))
    names = tuple(f.name for f in fields)
    size, unpack_from, pack = packer.size, packer.unpack_from, packer.pack
    getter = attrgetter(*names)
    if len(names) == 1:
        name = names[0]

        def read_one(buf: Buffer, pos: int, kw: dict[str, Any]) -> int:
            kw[name] = unpack_from(buf, pos)[0]
            return pos + size

        def write_one(obj: Any, out: bytearray) -> None:
            out += pack(getter(obj))

        return read_one, write_one

    def read(buf: Buffer, pos: int, kw: dict[str, Any]) -> int:
        kw.update(zip(names, unpack_from(buf, pos), strict=True))
        return pos + size

    def write(obj: Any, out: bytearray) -> None:
        out += pack(*getter(obj))

    return read, write


def _value_step(name: str, codec: tuple[Reader, Writer]) -> tuple[_ReadStep, _WriteStep]:
    read_value, write_value = codec
    getter = attrgetter(name)

    def read(buf: Buffer, pos: int, kw: dict[str, Any]) -> int:
        kw[name], pos = read_value(buf, pos)
        return pos

    def write(obj: Any, out: bytearray) -> None:
        write_value(getter(obj), out)

    return read, write


def _tagged_steps(
    tagged: list[tuple[_Field, tuple[Reader, Writer]]],
) -> tuple[_ReadStep, _WriteStep]:
    """The tagged-field section that ends every struct in flexible versions."""
    by_tag = {f.tag: (f.name, codec[0]) for f, codec in tagged}
    ordered = sorted(
        ((f.tag, attrgetter(f.name), f.default, codec[1]) for f, codec in tagged),
        key=lambda item: item[0],
    )

    def read(buf: Buffer, pos: int, kw: dict[str, Any]) -> int:
        if buf[pos] == 0:
            return pos + 1
        count, pos = read_uvarint(buf, pos)
        for _ in range(count):
            tag, pos = read_uvarint(buf, pos)
            size, pos = read_uvarint(buf, pos)
            end = pos + size
            if end > len(buf):
                raise DecodeError(f"tagged field {tag} overruns the buffer")
            known = by_tag.get(tag)
            if known is not None:
                kw[known[0]], after = known[1](buf, pos)
                if after != end:
                    raise DecodeError(f"tagged field {tag} size mismatch")
            pos = end
        return pos

    def write(obj: Any, out: bytearray) -> None:
        if not ordered:
            out.append(0)
            return
        found = []
        for tag, get, default, write_value in ordered:
            value = get(obj)
            if value != default:
                data = bytearray()
                write_value(value, data)
                found.append((tag, data))
        write_uvarint(len(found), out)
        for tag, data in found:
            write_uvarint(tag, out)
            write_uvarint(len(data), out)
            out += data

    return read, write


@functools.cache
def _plan(key: _Key) -> tuple[list[_ReadStep], list[_WriteStep]]:
    cls, version = key
    _check_version(cls, version)
    flexible = _is_flexible(cls, version)
    fields = _fields(cls, version)
    reads: list[_ReadStep] = []
    writes: list[_WriteStep] = []
    run: list[_Field] = []

    def flush() -> None:
        if run:
            r, w = _fixed_run(run)
            reads.append(r)
            writes.append(w)
            run.clear()

    # A broker builds each response once for every version it answers: fields the negotiated
    # version lacks are left out. Requests and data keep Kafka's rule: a non-default value in a
    # non-ignorable field the version lacks is an error rather than silently lost.
    lenient = getattr(cls, "MESSAGE_KIND", "") == "response"
    absent = [f for f in fields if not f.present and not f.ignorable and not lenient]
    if absent:
        writes.append(_absent_check(cls, version, absent))
    for f in fields:
        if not f.present or f.tag >= 0:
            continue
        if f.kafka_type in FIXED_CODES:
            run.append(f)
            continue
        flush()
        r, w = _value_step(f.name, _value_codec(f, version, flexible))
        reads.append(r)
        writes.append(w)
    flush()
    if flexible:
        tagged = [(f, _value_codec(f, version, True)) for f in fields if f.present and f.tag >= 0]
        r, w = _tagged_steps(tagged)
        reads.append(r)
        writes.append(w)
    return reads, writes


def _absent_check(cls: type[Any], version: int, absent: list[_Field]) -> _WriteStep:
    checks = [(f.name, attrgetter(f.name), f.default) for f in absent]

    def check(obj: Any, out: bytearray) -> None:
        for name, get, default in checks:
            if get(obj) != default:
                raise UnsupportedVersionError(
                    f"{cls.__name__}.{name} is not supported in version {version}"
                )

    return check


def compile_reader(cls: type[Any], version: int) -> Reader:
    """The decoder of ``cls`` at ``version``: ``(buf, pos) -> (obj, new_pos)``."""
    return _reader((cls, version))


def compile_writer(cls: type[Any], version: int) -> Writer:
    """The encoder of ``cls`` at ``version``: ``(obj, out) -> None`` appending to ``out``."""
    return _writer((cls, version))


@functools.cache
def _reader(key: _Key) -> Reader:
    cls = key[0]
    steps = _plan(key)[0]

    def read(buf: Buffer, pos: int) -> tuple[Any, int]:
        kw: dict[str, Any] = {}
        for step in steps:
            pos = step(buf, pos, kw)
        return cls(**kw), pos

    return read


@functools.cache
def _writer(key: _Key) -> Writer:
    steps = _plan(key)[1]

    def write(obj: Any, out: bytearray) -> None:
        for step in steps:
            step(obj, out)

    return write


def decode(cls: type[T], version: int, buf: Buffer, pos: int = 0) -> tuple[T, int]:
    """Decode one ``cls`` at ``version`` from ``buf[pos:]``; returns (object, position after)."""
    read = _reader((cls, version))
    try:
        obj, end = read(buf, pos)
    except DecodeError:
        raise
    except (struct.error, IndexError, ValueError) as exc:
        raise DecodeError(f"cannot decode {cls.__name__} v{version}: {exc}") from exc
    return obj, end


def encode_into(obj: Any, version: int, out: bytearray) -> None:
    """Append the encoding of ``obj`` at ``version`` to ``out``."""
    cls = type(obj)
    write = _writer((cls, version))
    try:
        write(obj, out)
    except EncodeError:
        raise
    except (struct.error, TypeError, AttributeError, ValueError) as exc:
        raise EncodeError(f"cannot encode {cls.__name__} v{version}: {exc}") from exc


def encode(obj: Any, version: int) -> bytes:
    """The encoding of ``obj`` at ``version``."""
    out = bytearray()
    encode_into(obj, version, out)
    return bytes(out)
