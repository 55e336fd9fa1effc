"""Committed offsets of consumer groups, kept durably in ``__consumer_offsets`` as Kafka does.

The topic is compacted and has 50 partitions; a group lives in partition
``abs(java_hash(group_id)) % 50``. Records use Kafka's internal formats: key version 1
``OffsetCommitKey`` -> value version 3 ``OffsetCommitValue`` for an offset, key version 2
``GroupMetadataKey`` -> value version 3 ``GroupMetadataValue`` for a group; a null value
deletes. Transactional offsets (``TxnOffsetCommit``) are written as a transactional batch of
offset records and resolved by a control batch (commit or abort marker), as in Kafka.

Commit (``commit``):

1. Append one batch with an offset record per partition to the group's partition.
2. Apply the offsets to the in-memory table (readers see them at once).
3. Wait for the fsync of the batch; only then is the commit acknowledged.

Replay (``replay``), on broker start, for every partition in offset order:

1. Plain batches: apply offset records (tombstones delete), remember the latest group metadata.
2. Transactional batches: hold the offsets as pending for (producer id, group).
3. Control batches: a commit marker applies the producer's pending offsets of every group in that
   partition, an abort marker drops them.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from kaspar.broker.context import BrokerContext, now_ms
from kaspar.broker.coordinator.internal_topic import (
    READ_CHUNK,
    InternalTopic,
    decode_versioned,
    encode_versioned,
)
from kaspar.broker.log import PartitionLog
from kaspar.protocol.internal_records.group_metadata_key import GroupMetadataKey
from kaspar.protocol.internal_records.group_metadata_value import GroupMetadataValue
from kaspar.protocol.internal_records.offset_commit_key import OffsetCommitKey
from kaspar.protocol.internal_records.offset_commit_value import OffsetCommitValue
from kaspar.protocol.records import (
    BatchHeader,
    Record,
    encode_batch,
    iter_batches,
    validate_batches,
)
from kaspar.protocol.records import decode_batch as decode_records

__all__ = [
    "OFFSETS_TOPIC",
    "OFFSETS_TOPIC_PARTITIONS",
    "OffsetAndMetadata",
    "OffsetStore",
    "TopicPartition",
    "offsets_partition",
]

OFFSETS_TOPIC = "__consumer_offsets"
OFFSETS_TOPIC_PARTITIONS = 50
OFFSET_KEY_VERSION = 1
OFFSET_VALUE_VERSION = 3
GROUP_KEY_VERSION = 2
GROUP_VALUE_VERSION = 3
CONTROL_KEY = struct.Struct(">hh")
CONTROL_VALUE = struct.Struct(">hi")
COMMIT_MARKER = 1
ABORT_MARKER = 0

TopicPartition = tuple[str, int]
Entries = list[tuple[bytes, bytes | None]]


@dataclass(frozen=True, slots=True)
class OffsetAndMetadata:
    """One committed offset: the next offset to consume, as the consumer committed it."""

    offset: int
    leader_epoch: int = -1
    metadata: str = ""
    commit_timestamp: int = -1


def offsets_partition(group_id: str) -> int:
    """Kafka's ``Utils.abs(groupId.hashCode()) % 50`` (Java String.hashCode over UTF-16)."""
    h = 0
    data = group_id.encode("utf-16-be")
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    if h >= 0x80000000:
        h -= 0x100000000
    return 0 if h == -0x80000000 else abs(h) % OFFSETS_TOPIC_PARTITIONS


def _offset_key(group: str, tp: TopicPartition) -> bytes:
    key = OffsetCommitKey(group=group, topic=tp[0], partition=tp[1])
    return encode_versioned(key, OFFSET_KEY_VERSION)


def _offset_value(value: OffsetAndMetadata) -> bytes:
    record = OffsetCommitValue(
        offset=value.offset,
        leader_epoch=value.leader_epoch,
        metadata=value.metadata,
        commit_timestamp=value.commit_timestamp,
    )
    return encode_versioned(record, OFFSET_VALUE_VERSION)


def _offset_entries(group: str, offsets: Mapping[TopicPartition, OffsetAndMetadata]) -> Entries:
    return [(_offset_key(group, tp), _offset_value(value)) for tp, value in offsets.items()]


class OffsetStore:
    """The committed (and transactionally pending) offsets of every group on this broker."""

    def __init__(self, ctx: BrokerContext) -> None:
        self._ctx = ctx
        self._topic = InternalTopic(ctx, OFFSETS_TOPIC, OFFSETS_TOPIC_PARTITIONS)
        self._committed: dict[str, dict[TopicPartition, OffsetAndMetadata]] = {}
        self._pending: dict[tuple[int, str], dict[TopicPartition, OffsetAndMetadata]] = {}
        self._syncs: set[asyncio.Future[None]] = set()

    # -- reads ------------------------------------------------------------------------------
    def committed(self, group: str) -> dict[TopicPartition, OffsetAndMetadata]:
        """A copy of the group's committed offsets."""
        return dict(self._committed.get(group, {}))

    def get(self, group: str, tp: TopicPartition) -> OffsetAndMetadata | None:
        return self._committed.get(group, {}).get(tp)

    def groups(self) -> set[str]:
        """Groups that have committed offsets."""
        return {group for group, offsets in self._committed.items() if offsets}

    def has_pending(self, group: str, tp: TopicPartition) -> bool:
        """An open transaction holds an offset for this partition (UNSTABLE_OFFSET_COMMIT)."""
        return any(g == group and tp in offsets for (_, g), offsets in self._pending.items())

    # -- writes -----------------------------------------------------------------------------
    async def commit(self, group: str, offsets: Mapping[TopicPartition, OffsetAndMetadata]) -> None:
        """Store offsets durably (steps in the module docstring)."""
        if not offsets:
            return
        sync = self._append(group, _offset_entries(group, offsets))  # step 1
        self._committed.setdefault(group, {}).update(offsets)  # step 2
        await sync  # step 3

    async def delete(self, group: str, partitions: Iterable[TopicPartition]) -> None:
        """Forget committed offsets (tombstones)."""
        committed = self._committed.get(group, {})
        gone = [tp for tp in partitions if tp in committed]
        if not gone:
            return
        sync = self._append(group, [(_offset_key(group, tp), None) for tp in gone])
        for tp in gone:
            del committed[tp]
        await sync

    async def delete_group(self, group: str) -> None:
        """Tombstone every offset of the group and its group metadata."""
        committed = self._committed.pop(group, {})
        entries: Entries = [(_offset_key(group, tp), None) for tp in committed]
        entries.append((encode_versioned(GroupMetadataKey(group=group), GROUP_KEY_VERSION), None))
        await self._append(group, entries)

    def store_group(self, group: str, value: GroupMetadataValue) -> None:
        """Append the group's metadata now; its fsync completes in the background."""
        key = encode_versioned(GroupMetadataKey(group=group), GROUP_KEY_VERSION)
        sync = self._append(group, [(key, encode_versioned(value, GROUP_VALUE_VERSION))])
        self._syncs.add(sync)
        sync.add_done_callback(self._syncs.discard)

    async def stage(
        self,
        producer_id: int,
        producer_epoch: int,
        group: str,
        offsets: Mapping[TopicPartition, OffsetAndMetadata],
    ) -> None:
        """Write offsets of an open transaction; invisible until ``complete(commit=True)``."""
        if not offsets:
            return
        entries = _offset_entries(group, offsets)
        sync = self._append(group, entries, producer_id, producer_epoch, control=False)
        self._pending.setdefault((producer_id, group), {}).update(offsets)
        await sync

    async def complete(
        self, producer_id: int, producer_epoch: int, group: str, *, commit: bool
    ) -> None:
        """Write the commit/abort marker for the producer's offsets of this group and apply it."""
        pending = self._pending.pop((producer_id, group), None)
        if pending is None:
            return
        marker = COMMIT_MARKER if commit else ABORT_MARKER
        entries: Entries = [(CONTROL_KEY.pack(0, marker), CONTROL_VALUE.pack(0, 0))]
        sync = self._append(group, entries, producer_id, producer_epoch, control=True)
        if commit:
            self._committed.setdefault(group, {}).update(pending)
        await sync

    async def close(self) -> None:
        """Wait for the background fsyncs of group metadata."""
        if self._syncs:
            await asyncio.gather(*self._syncs, return_exceptions=True)

    def _append(
        self,
        group: str,
        entries: Sequence[tuple[bytes, bytes | None]],
        producer_id: int = -1,
        producer_epoch: int = -1,
        *,
        control: bool | None = None,
    ) -> asyncio.Future[None]:
        """Append one batch to the group's partition now; the returned future is its fsync."""
        log = self._topic.log(offsets_partition(group))
        timestamp = now_ms()
        records = [
            Record(offset=i, timestamp=timestamp, key=key, value=value, headers=[])
            for i, (key, value) in enumerate(entries)
        ]
        batch = encode_batch(
            records,
            producer_id=producer_id,
            producer_epoch=producer_epoch,
            is_transactional=control is not None,
            is_control=bool(control),
        )
        headers = validate_batches(batch, max_message_bytes=len(batch))
        log.append(batch, headers, now_ms=timestamp)
        self._ctx.append_waiters.notify(log)
        return asyncio.ensure_future(self._ctx.group_commit.sync_now([log]))

    # -- replay -----------------------------------------------------------------------------
    def replay(self) -> dict[str, GroupMetadataValue]:
        """Rebuild offsets from the log (steps in the module docstring); returns group metadata."""
        metadata: dict[str, GroupMetadataValue] = {}
        if self._ctx.topics.get(OFFSETS_TOPIC) is None:
            return metadata
        for partition in range(len(self._topic.ensure().partitions)):
            for header, records in _batches(self._topic.log(partition)):
                if header.is_control:  # step 3
                    self._replay_marker(header, records, partition)
                    continue
                for record in records:
                    self._replay_record(header, record, metadata)  # steps 1 and 2
        return metadata

    def _replay_record(
        self, header: BatchHeader, record: Record, metadata: dict[str, GroupMetadataValue]
    ) -> None:
        if record.key is None:
            return
        (key_version,) = struct.unpack_from(">h", record.key)
        if key_version == GROUP_KEY_VERSION:
            _, group_key = decode_versioned(GroupMetadataKey, record.key)
            if record.value is None:
                metadata.pop(group_key.group, None)
            else:
                metadata[group_key.group] = decode_versioned(GroupMetadataValue, record.value)[1]
            return
        if key_version not in (0, OFFSET_KEY_VERSION):
            return  # KIP-848 consumer group records: not used by this broker
        _, key = decode_versioned(OffsetCommitKey, record.key)
        tp = (key.topic, key.partition)
        if header.is_transactional:
            value = decode_versioned(OffsetCommitValue, record.value or b"")[1]
            pending = self._pending.setdefault((header.producer_id, key.group), {})
            pending[tp] = _from_value(value)
        elif record.value is None:
            self._committed.get(key.group, {}).pop(tp, None)
        else:
            value = decode_versioned(OffsetCommitValue, record.value)[1]
            self._committed.setdefault(key.group, {})[tp] = _from_value(value)

    def _replay_marker(self, header: BatchHeader, records: list[Record], partition: int) -> None:
        if not records or records[0].key is None:
            return
        _, marker = CONTROL_KEY.unpack_from(records[0].key)
        for producer_id, group in list(self._pending):
            if producer_id == header.producer_id and offsets_partition(group) == partition:
                offsets = self._pending.pop((producer_id, group))
                if marker == COMMIT_MARKER:
                    self._committed.setdefault(group, {}).update(offsets)


def _from_value(value: OffsetCommitValue) -> OffsetAndMetadata:
    return OffsetAndMetadata(
        value.offset, value.leader_epoch, value.metadata, value.commit_timestamp
    )


def _batches(log: PartitionLog) -> Iterator[tuple[BatchHeader, list[Record]]]:
    offset = log.log_start_offset
    while offset < log.log_end_offset:
        chunk = log.read(offset, READ_CHUNK)
        if not chunk:
            return
        for position, header in iter_batches(chunk):
            _, records = decode_records(chunk[position : position + header.size])
            yield header, records
            offset = header.last_offset + 1
