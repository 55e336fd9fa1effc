"""Broker-owned compacted topics used as durable state logs (``__consumer_offsets``,
``__transaction_state``), as Apache Kafka's coordinators do.

A coordinator appends key/value records (key and value each a version int16 followed by the
generated internal-record struct) and, on start, replays the partition to rebuild its state.
Appends are fsynced before ``append`` returns, whatever the group commit policy of other topics.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from typing import Any

from kaspar.broker.context import BrokerContext, now_ms
from kaspar.broker.log import PartitionLog
from kaspar.broker.topics import Topic
from kaspar.protocol.codec import decode, encode
from kaspar.protocol.records import Record, encode_batch, iter_batches, validate_batches
from kaspar.protocol.records import decode_batch as decode_records

__all__ = ["InternalTopic", "decode_versioned", "encode_versioned"]

_VERSION = struct.Struct(">h")
READ_CHUNK = 16 * 1024 * 1024
INTERNAL_CONFIG = {"cleanup.policy": "compact", "segment.bytes": str(100 * 1024 * 1024)}


def encode_versioned(obj: Any, version: int) -> bytes:
    """An internal record key or value: version int16, then the struct at that version."""
    return _VERSION.pack(version) + encode(obj, version)


def decode_versioned(cls: type[Any], data: bytes) -> tuple[int, Any]:
    (version,) = _VERSION.unpack_from(data, 0)
    obj, _ = decode(cls, version, data, _VERSION.size)
    return version, obj


class InternalTopic:
    """One internal topic: created on first use, appended durably, replayed on start."""

    def __init__(self, ctx: BrokerContext, name: str, partitions: int = 1) -> None:
        self._ctx = ctx
        self.name = name
        self.partitions = partitions

    def ensure(self) -> Topic:
        topic = self._ctx.topics.get(self.name)
        if topic is None:
            topic = self._ctx.topics.create(self.name, self.partitions, INTERNAL_CONFIG)
        return topic

    def log(self, partition: int = 0) -> PartitionLog:
        return self.ensure().partitions[partition]

    async def append(
        self, entries: Sequence[tuple[bytes | None, bytes | None]], partition: int = 0
    ) -> int:
        """Append key/value records as one batch, fsync it, return its base offset."""
        log = self.log(partition)
        timestamp = now_ms()
        records = [
            Record(offset=i, timestamp=timestamp, key=key, value=value, headers=[])
            for i, (key, value) in enumerate(entries)
        ]
        batch = encode_batch(records)
        headers = validate_batches(batch, max_message_bytes=len(batch))
        info = log.append(batch, headers, now_ms=timestamp)
        self._ctx.append_waiters.notify(log)
        await self._ctx.group_commit.sync_now([log])
        return info.base_offset

    def replay(self, partition: int = 0) -> Iterator[Record]:
        """Every record from the log start, in offset order (control batches skipped)."""
        log = self.log(partition)
        offset = log.log_start_offset
        while offset < log.log_end_offset:
            chunk = log.read(offset, READ_CHUNK)
            if not chunk:
                return
            for position, header in iter_batches(chunk):
                if header.is_control:
                    offset = header.last_offset + 1
                    continue
                _, records = decode_records(chunk[position : position + header.size])
                yield from records
                offset = header.last_offset + 1
