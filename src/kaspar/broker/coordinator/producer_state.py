"""Idempotent producers: per partition, each producer id's epoch and its last five batches.

Rules for a batch from producer id P with epoch E and sequences [first, last]:

1. P < 0: not idempotent, no checks.
2. E older than P's epoch: INVALID_PRODUCER_EPOCH.
3. E newer than P's epoch (or P unknown here): the batch must start at sequence 0, otherwise
   OUT_OF_ORDER_SEQUENCE_NUMBER (epoch bump) or UNKNOWN_PRODUCER_ID (unknown producer).
4. [first, last] equal to one of P's last five batches: a retry of a batch already written; it
   is not appended again and is answered with the offset it got the first time.
5. first == last sequence of P's latest batch + 1 (wrapping at 2^31): appended.
6. Anything else: OUT_OF_ORDER_SEQUENCE_NUMBER.

The table is rebuilt from the batch headers in the log the first time a partition sees an
idempotent batch after a restart, so retries across a broker crash are still deduplicated.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from kaspar.broker.log import PartitionLog
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.records import BatchHeader

__all__ = ["ProducerStateError", "ProducerStateTable"]

SEQUENCE_MODULUS = 2**31
BATCHES_KEPT = 5


class ProducerStateError(Exception):
    """The batch breaks the idempotence rules; carries the Kafka error code."""

    def __init__(self, error_code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code


@dataclass(frozen=True, slots=True)
class BatchMetadata:
    first_sequence: int
    last_sequence: int
    base_offset: int


@dataclass(slots=True)
class ProducerEntry:
    epoch: int
    batches: deque[BatchMetadata] = field(default_factory=lambda: deque(maxlen=BATCHES_KEPT))


def last_sequence(header: BatchHeader) -> int:
    return (header.base_sequence + header.last_offset_delta) % SEQUENCE_MODULUS


class ProducerStateTable:
    """Producer id -> epoch and recent batches, for one partition."""

    def __init__(self) -> None:
        self._entries: dict[int, ProducerEntry] = {}

    @classmethod
    def rebuild(cls, log: PartitionLog) -> ProducerStateTable:
        """Replay the headers of every batch in the log (no record is decoded)."""
        table = cls()
        for segment in log.segments:
            for _, header in segment.batches():
                if header.producer_id >= 0 and not header.is_control:
                    table.record(header, header.base_offset)
        return table

    def check(self, header: BatchHeader) -> int | None:
        """Validate a batch before appending; returns the original offset of a duplicate."""
        entry = self._entries.get(header.producer_id)
        epoch = header.producer_epoch
        if entry is None or epoch > entry.epoch:
            if header.base_sequence != 0:
                code = (
                    ErrorCode.UNKNOWN_PRODUCER_ID
                    if entry is None
                    else (ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER)
                )
                msg = f"producer {header.producer_id} epoch {epoch} must start at sequence 0"
                raise ProducerStateError(code, msg)
            return None
        if epoch < entry.epoch:
            msg = f"producer epoch {epoch} is older than the current epoch {entry.epoch}"
            raise ProducerStateError(ErrorCode.INVALID_PRODUCER_EPOCH, msg)
        last = last_sequence(header)
        for batch in entry.batches:
            if batch.first_sequence == header.base_sequence and batch.last_sequence == last:
                return batch.base_offset
        expected = (entry.batches[-1].last_sequence + 1) % SEQUENCE_MODULUS if entry.batches else 0
        if header.base_sequence != expected:
            msg = f"expected sequence {expected}, got {header.base_sequence}"
            raise ProducerStateError(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, msg)
        return None

    def record(self, header: BatchHeader, base_offset: int) -> None:
        """Remember an appended batch."""
        entry = self._entries.get(header.producer_id)
        if entry is None or header.producer_epoch > entry.epoch:
            entry = ProducerEntry(epoch=header.producer_epoch)
            self._entries[header.producer_id] = entry
        entry.batches.append(
            BatchMetadata(header.base_sequence, last_sequence(header), base_offset)
        )
