"""The record batches of one partition in a Fetch response, as a consumer sees them.

:func:`scan` walks the batches' 61-byte headers (no record is decoded here) and picks the
bodies whose records a read of ``[position, end)`` returns, the way Kafka's Java consumer does:

1. Skip batches that end before ``position`` (a fetch answers with the whole batch holding the
   fetch offset); stop at the first batch that starts at or after ``end``, and at an incomplete
   trailing batch (the response's byte limit cut it).
2. Verify each batch's CRC-32C (``check.crcs``, on by default in Kafka's clients).
3. Under read_committed, for a batch with a producer id: mark as aborted every producer id
   whose aborted transaction (from the response) starts at or before the batch's last offset;
   an abort marker (a control batch) clears its producer id again; a data batch of a producer
   marked aborted is skipped.
4. Skip control batches (transaction markers); decompress the others' records section.

The read advances to the last offset of the last batch taken + 1 (capped at ``end``): offsets
no batch holds (compacted away, aborted, markers) are passed over, as a consumer does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kaspar.protocol.record_columns import BatchBody
from kaspar.protocol.records import (
    CORRUPT_MESSAGE,
    HEADER_SIZE,
    BatchHeader,
    RecordsError,
    crc_of,
    decode_batch,
    decompress,
    iter_batches,
)

_ABORT = 0


@dataclass
class Aborts:
    """read_committed state of step 3: aborted transactions not reached yet, producers marked."""

    pending: list[tuple[int, int]]  # (producer id, first offset), by first offset
    producers: set[int] = field(default_factory=set)

    @classmethod
    def of(cls, aborted: Sequence[tuple[int, int]]) -> Aborts:
        return cls(sorted(aborted, key=lambda a: a[1]))

    def skips(self, records: bytes, pos: int, header: BatchHeader) -> bool:
        """Step 3: True if the batch at ``pos`` is data of an aborted transaction."""
        if header.producer_id < 0:
            return False
        while self.pending and self.pending[0][1] <= header.last_offset:
            self.producers.add(self.pending.pop(0)[0])
        if header.is_control:
            if _is_abort_marker(records, pos, header):
                self.producers.discard(header.producer_id)
            return False
        return header.producer_id in self.producers


@dataclass
class Scan:
    """What :func:`scan` found: bodies to decode, where the read is now, what is left over."""

    bodies: list[BatchBody] = field(default_factory=list)
    position: int = -1
    rest: int | None = None  # byte position of the first batch not fully read (kept for later)
    complete_batches: int = 0


def scan(
    records: bytes,
    position: int,
    end: int,
    aborts: Aborts | None,
) -> Scan:
    """Steps 1-4 over ``records``; ``aborts`` is None under read_uncommitted (it is updated:
    a read that goes on over the same records later continues with it)."""
    found = Scan(position=position)
    for pos, header in iter_batches(records):
        found.complete_batches += 1
        if header.base_offset >= end:
            found.rest = pos
            found.position = end  # the offsets before it are not in the log (compacted)
            break
        skipped = aborts is not None and aborts.skips(records, pos, header)
        if header.last_offset < found.position:
            continue
        if skipped:
            found.position = min(end, header.last_offset + 1)
            continue
        _check_crc(records, pos, header)
        if not header.is_control:
            found.bodies.append(_body(records, pos, header))
        found.position = min(end, header.last_offset + 1)
        if header.last_offset >= end:
            found.rest = pos  # its records from ``end`` on are the next read's
            break
    return found


def _check_crc(records: bytes, pos: int, header: BatchHeader) -> None:
    if header.magic != 2:
        raise RecordsError(
            CORRUPT_MESSAGE, f"message format v{header.magic} is not supported (only v2)"
        )
    if crc_of(records, pos, header) != header.crc:
        raise RecordsError(
            CORRUPT_MESSAGE, f"CRC mismatch in the record batch at offset {header.base_offset}"
        )


def _is_abort_marker(records: bytes, pos: int, header: BatchHeader) -> bool:
    _, control = decode_batch(memoryview(records)[pos : pos + header.size])
    key = control[0].key if control else None
    return key is not None and len(key) >= 4 and int.from_bytes(key[2:4], "big") == _ABORT


def _body(records: bytes, pos: int, header: BatchHeader) -> BatchBody:
    raw = records[pos + HEADER_SIZE : pos + header.size]
    return BatchBody(
        decompress(raw, header.compression),
        header.records_count,
        header.base_offset,
        header.base_timestamp,
        header.timestamp_type,
        header.max_timestamp,
    )
