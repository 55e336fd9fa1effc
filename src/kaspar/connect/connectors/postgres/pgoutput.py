"""The messages of PostgreSQL's `pgoutput` logical decoding plugin (protocol version 1),
decoded from the bytes of a replication message.

Tuple values stay PostgreSQL's text (None for NULL, `UNCHANGED` for a TOASTed value the
update did not touch); the types module turns them into Debezium's values.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds
UNCHANGED = object()
"""A TOASTed column pgoutput leaves out of an update (`u`)."""
_INT64 = struct.Struct(">q")
_INT32 = struct.Struct(">i")
_INT16 = struct.Struct(">h")
TEXT, BINARY, NULL = ord("t"), ord("b"), ord("n")


@dataclass(frozen=True)
class Begin:
    final_lsn: int
    commit_ts_us: int  # Unix microseconds
    xid: int


@dataclass(frozen=True)
class Commit:
    commit_lsn: int
    end_lsn: int
    commit_ts_us: int


@dataclass(frozen=True)
class RelationColumn:
    name: str
    type_oid: int
    typmod: int
    key: bool


@dataclass(frozen=True)
class Relation:
    oid: int
    namespace: str
    name: str
    replica_identity: str
    columns: tuple[RelationColumn, ...]


@dataclass(frozen=True)
class Change:
    """An insert (`c`), update (`u`) or delete (`d`); `old` is the key (`K`) or full (`O`)
    old tuple when sent."""

    op: str
    relation: int
    new: list[object] | None
    old: list[object] | None
    old_kind: str | None


@dataclass(frozen=True)
class Truncate:
    relations: tuple[int, ...]


Message = Begin | Commit | Relation | Change | Truncate | None


class Reader:
    """A cursor over one message's bytes."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def int8(self) -> int:
        self.pos += 1
        return self.data[self.pos - 1]

    def byte(self) -> str:
        return chr(self.int8())

    def int16(self) -> int:
        (value,) = _INT16.unpack_from(self.data, self.pos)
        self.pos += 2
        return int(value)

    def int32(self) -> int:
        (value,) = _INT32.unpack_from(self.data, self.pos)
        self.pos += 4
        return int(value)

    def int64(self) -> int:
        (value,) = _INT64.unpack_from(self.data, self.pos)
        self.pos += 8
        return int(value)

    def string(self) -> str:
        end = self.data.index(b"\0", self.pos)
        text = self.data[self.pos : end].decode()
        self.pos = end + 1
        return text

    def tuple_data(self) -> list[object]:
        """A TupleData: the hot loop of streaming, kept to local names and one unpack a value."""
        data, pos = self.data, self.pos
        (count,) = _INT16.unpack_from(data, pos)
        pos += 2
        values: list[object] = []
        append = values.append
        for _ in range(count):
            kind = data[pos]
            pos += 1
            if kind in (TEXT, BINARY):
                (length,) = _INT32.unpack_from(data, pos)
                pos += 4
                raw = data[pos : pos + length]
                pos += length
                append(raw.decode() if kind == TEXT else raw)
            else:
                append(None if kind == NULL else UNCHANGED)
        self.pos = pos
        return values


def decode(data: bytes) -> Message:
    """One pgoutput message; None for the kinds a CDC source ignores (origin, type, message)."""
    reader = Reader(data)
    kind = reader.byte()
    if kind == "B":
        final_lsn, ts, xid = reader.int64(), reader.int64(), reader.int32()
        return Begin(final_lsn, ts + PG_EPOCH_US, xid & 0xFFFFFFFF)
    if kind == "C":
        reader.int8()
        commit_lsn, end_lsn, ts = reader.int64(), reader.int64(), reader.int64()
        return Commit(commit_lsn, end_lsn, ts + PG_EPOCH_US)
    if kind == "R":
        return _relation(reader)
    if kind in "IUD":
        return _change(kind, reader)
    if kind == "T":
        count = reader.int32()
        reader.int8()
        return Truncate(tuple(reader.int32() for _ in range(count)))
    return None


def _relation(reader: Reader) -> Relation:
    oid, namespace, name = reader.int32(), reader.string(), reader.string()
    identity = reader.byte()
    columns = []
    for _ in range(reader.int16()):
        flags, column = reader.int8(), reader.string()
        columns.append(RelationColumn(column, reader.int32(), reader.int32(), bool(flags & 1)))
    return Relation(oid, namespace, name, identity, tuple(columns))


def _change(kind: str, reader: Reader) -> Change:
    relation = reader.int32()
    marker = reader.byte()
    old = old_kind = new = None
    if marker in "KO":
        old_kind, old = marker, reader.tuple_data()
        if kind == "U":
            marker = reader.byte()
    if marker == "N":
        new = reader.tuple_data()
    op = {"I": "c", "U": "u", "D": "d"}[kind]
    return Change(op, relation, new, old, old_kind)
