"""What the transaction coordinator knows about one transactional id, and its durable form.

Each change of a transactional id's state is one record of ``__transaction_state``: key
``TransactionLogKey`` (v0), value ``TransactionLogValue`` (v0), as Apache Kafka writes them.
The partitions of the transaction are ``PartitionsSchema`` entries. Consumer groups whose
offsets the transaction commits (AddOffsetsToTxn) are kept as entries named
``GROUP_PREFIX + group_id`` with no partitions; ':' never appears in a topic name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from kaspar.broker.coordinator.internal_topic import decode_versioned, encode_versioned
from kaspar.protocol.internal_records.transaction_log_key import TransactionLogKey
from kaspar.protocol.internal_records.transaction_log_value import (
    PartitionsSchema,
    TransactionLogValue,
)

__all__ = [
    "GROUP_PREFIX",
    "TransactionMetadata",
    "TransactionState",
    "decode_entry",
    "encode_entry",
]

GROUP_PREFIX = "group:"
_KEY_VERSION = 0
_VALUE_VERSION = 0


class TransactionState(IntEnum):
    """Kafka's TransactionState, with the ids it stores in ``__transaction_state``."""

    EMPTY = 0
    ONGOING = 1
    PREPARE_COMMIT = 2
    PREPARE_ABORT = 3
    COMPLETE_COMMIT = 4
    COMPLETE_ABORT = 5
    DEAD = 6

    @property
    def is_prepared(self) -> bool:
        return self in (TransactionState.PREPARE_COMMIT, TransactionState.PREPARE_ABORT)


@dataclass(slots=True)
class TransactionMetadata:
    """One transactional id: its producer, its current transaction and its timeout."""

    transactional_id: str
    producer_id: int
    producer_epoch: int
    timeout_ms: int
    state: TransactionState = TransactionState.EMPTY
    partitions: set[tuple[str, int]] = field(default_factory=set)
    groups: set[str] = field(default_factory=set)
    start_ms: int = -1
    updated_ms: int = -1
    #: a state change is being written (or markers are being written): CONCURRENT_TRANSACTIONS
    pending: bool = False


def encode_entry(meta: TransactionMetadata) -> tuple[bytes, bytes]:
    """The ``__transaction_state`` record (key, value) of the metadata as it is now."""
    topics: dict[str, list[int]] = {}
    for topic, partition in sorted(meta.partitions):
        topics.setdefault(topic, []).append(partition)
    schemas = [PartitionsSchema(topic=t, partition_ids=p) for t, p in topics.items()]
    schemas += [PartitionsSchema(topic=GROUP_PREFIX + g) for g in sorted(meta.groups)]
    value = TransactionLogValue(
        producer_id=meta.producer_id,
        producer_epoch=meta.producer_epoch,
        transaction_timeout_ms=meta.timeout_ms,
        transaction_status=int(meta.state),
        transaction_partitions=schemas,
        transaction_last_update_timestamp_ms=meta.updated_ms,
        transaction_start_timestamp_ms=meta.start_ms,
    )
    key = TransactionLogKey(transactional_id=meta.transactional_id)
    return encode_versioned(key, _KEY_VERSION), encode_versioned(value, _VALUE_VERSION)


def decode_entry(key: bytes, value: bytes | None) -> tuple[str, TransactionMetadata | None]:
    """(transactional id, metadata) of a record; None for a tombstone."""
    _, decoded_key = decode_versioned(TransactionLogKey, key)
    transactional_id: str = decoded_key.transactional_id
    if value is None:
        return transactional_id, None
    _, decoded = decode_versioned(TransactionLogValue, value)
    meta = TransactionMetadata(
        transactional_id=transactional_id,
        producer_id=decoded.producer_id,
        producer_epoch=decoded.producer_epoch,
        timeout_ms=decoded.transaction_timeout_ms,
        state=TransactionState(decoded.transaction_status),
        start_ms=decoded.transaction_start_timestamp_ms,
        updated_ms=decoded.transaction_last_update_timestamp_ms,
    )
    for schema in decoded.transaction_partitions or []:
        if schema.topic.startswith(GROUP_PREFIX):
            meta.groups.add(schema.topic.removeprefix(GROUP_PREFIX))
        else:
            meta.partitions.update((schema.topic, p) for p in schema.partition_ids)
    return transactional_id, meta
