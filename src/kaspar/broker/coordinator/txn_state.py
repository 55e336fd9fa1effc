"""Per-partition transaction state: open transactions, the last stable offset, aborted ones.

* A transactional batch opens a transaction for its producer id at the batch's base offset
  (unless one is already open); a COMMIT or ABORT control batch of that producer closes it.
* The last stable offset (LSO) is the first offset of the earliest open transaction, or the
  high watermark when none is open. read_committed consumers only see offsets below it.
* Every closed ABORT is remembered as (producer_id, first_offset, last_offset) -- Kafka's
  ``.txnindex`` -- so a read_committed Fetch can list the aborted transactions that overlap
  the range it returns and the client can drop their records.

The state is rebuilt from the log (batch headers, plus the one record of each control batch)
the first time a partition is used after the broker starts, so it survives crashes exactly as
far as the log itself does.
"""

from __future__ import annotations

import struct
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import NamedTuple

from kaspar.broker.log import PartitionLog
from kaspar.protocol.records import (
    BatchHeader,
    Record,
    decode_batch,
    encode_batch,
    validate_batches,
)

__all__ = [
    "ABORT",
    "COMMIT",
    "AbortedTxn",
    "PartitionTxnState",
    "append_marker",
    "encode_marker",
]

ABORT = 0
COMMIT = 1
_MARKER_KEY = struct.Struct(">hh")
_MARKER_VALUE = struct.Struct(">hi")


class AbortedTxn(NamedTuple):
    producer_id: int
    first_offset: int
    last_offset: int


def encode_marker(
    producer_id: int, producer_epoch: int, marker: int, coordinator_epoch: int, now_ms: int
) -> bytes:
    """A control batch holding one COMMIT or ABORT marker of ``producer_id``."""
    record = Record(
        offset=0,
        timestamp=now_ms,
        key=_MARKER_KEY.pack(0, marker),
        value=_MARKER_VALUE.pack(0, coordinator_epoch),
    )
    return encode_batch(
        [record],
        producer_id=producer_id,
        producer_epoch=producer_epoch,
        is_transactional=True,
        is_control=True,
    )


def marker_type(batch: bytes) -> int | None:
    """COMMIT or ABORT for a transaction marker batch; None for other control records."""
    _, records = decode_batch(batch)
    if not records or records[0].key is None or len(records[0].key) < _MARKER_KEY.size:
        return None
    _, kind = _MARKER_KEY.unpack_from(records[0].key)
    return kind if kind in (ABORT, COMMIT) else None


@dataclass(slots=True)
class PartitionTxnState:
    """Open and aborted transactions of one partition."""

    open: dict[int, int] = field(default_factory=dict)
    aborted: list[AbortedTxn] = field(default_factory=list)

    @classmethod
    def rebuild(cls, log: PartitionLog) -> PartitionTxnState:
        """Replay the batch headers of the log; control batches are decoded (one record)."""
        state = cls()
        for segment in log.segments:
            for position, header in segment.batches():
                if header.is_control:
                    kind = marker_type(segment.read_from(position, header.size))
                    if kind is not None:
                        state.close(header.producer_id, kind, header.base_offset)
                elif header.is_transactional:
                    state.opened(header.producer_id, header.base_offset)
        return state

    def opened(self, producer_id: int, base_offset: int) -> None:
        """A transactional batch of ``producer_id`` was appended at ``base_offset``."""
        self.open.setdefault(producer_id, base_offset)

    def close(self, producer_id: int, kind: int, marker_offset: int) -> None:
        """A marker closed ``producer_id``'s transaction (a marker without one is a no-op)."""
        first = self.open.pop(producer_id, None)
        if first is not None and kind == ABORT:
            self.aborted.append(AbortedTxn(producer_id, first, marker_offset))

    def last_stable_offset(self, high_watermark: int) -> int:
        return min(self.open.values(), default=high_watermark)

    def aborted_between(self, start: int, end: int) -> list[AbortedTxn]:
        """Aborted transactions with data in [start, end) (ordered by their marker offset)."""
        first = bisect_left(self.aborted, start, key=lambda txn: txn.last_offset)
        return [txn for txn in self.aborted[first:] if txn.first_offset < end]

    def forget_before(self, log_start_offset: int) -> None:
        """Drop aborted transactions that ended below the log start (deleted segments)."""
        first = bisect_left(self.aborted, log_start_offset, key=lambda txn: txn.last_offset)
        if first:
            del self.aborted[:first]


def append_marker(
    log: PartitionLog,
    state: PartitionTxnState,
    header: tuple[int, int],
    *,
    marker: int,
    coordinator_epoch: int,
    now_ms: int,
) -> int:
    """Append a COMMIT/ABORT marker for ``header`` = (producer_id, epoch); its offset."""
    producer_id, producer_epoch = header
    batch = encode_marker(producer_id, producer_epoch, marker, coordinator_epoch, now_ms)
    headers: list[BatchHeader] = validate_batches(batch, max_message_bytes=len(batch))
    info = log.append(batch, headers, now_ms=now_ms)
    state.close(producer_id, marker, info.base_offset)
    return info.base_offset
