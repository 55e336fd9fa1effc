"""Fetch (key 1): serve segment bytes, long-polling until ``min_bytes`` or ``max_wait_ms``.

1. Resolve every requested partition and read whole batches from its fetch offset, within the
   partition's and the response's byte limits (the first non-empty partition always gets at
   least one batch, KIP-74).
2. If the response holds at least ``min_bytes`` (or ``max_wait_ms`` is 0), answer now.
3. Otherwise wait until one of the partitions is appended to, or the wait expires, and read
   again. The broker refuses incremental fetch sessions (it answers session id 0), so every
   request is a full fetch.

read_committed (isolation level 1) reads stop at the partition's last stable offset, and the
response lists the aborted transactions overlapping the returned range, from the partition's
transaction state (``coordinator/txn_state.py``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import dataclass

from kaspar.broker.context import BrokerContext
from kaspar.broker.coordinator.txn_state import PartitionTxnState
from kaspar.broker.log import OffsetOutOfRangeError, PartitionLog
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.fetch import (
    AbortedTransaction,
    FetchableTopicResponse,
    FetchPartition,
    FetchRequest,
    FetchResponse,
    PartitionData,
)
from kaspar.protocol.records import iter_batches

__all__ = ["handle_fetch"]

READ_COMMITTED = 1
NO_SESSION = 0
FULL_FETCH_EPOCHS = (-1, 0)


@dataclass(slots=True)
class _Reads:
    topics: list[FetchableTopicResponse]
    logs: list[PartitionLog]
    size: int


def handle_fetch(
    ctx: BrokerContext, request: FetchRequest, version: int
) -> FetchResponse | Awaitable[FetchResponse]:
    del version
    if request.session_id != NO_SESSION or request.session_epoch not in FULL_FETCH_EPOCHS:
        return FetchResponse(error_code=ErrorCode.FETCH_SESSION_ID_NOT_FOUND, session_id=0)
    reads = _read_all(ctx, request)
    if reads.size >= request.min_bytes or request.max_wait_ms <= 0 or not reads.logs:
        return _response(reads)
    return _long_poll(ctx, request, reads)


async def _long_poll(ctx: BrokerContext, request: FetchRequest, reads: _Reads) -> FetchResponse:
    deadline = time.monotonic() + request.max_wait_ms / 1000
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return _response(reads)
        await ctx.append_waiters.wait(reads.logs, remaining)
        reads = _read_all(ctx, request)
        if reads.size >= request.min_bytes:
            return _response(reads)


def _response(reads: _Reads) -> FetchResponse:
    return FetchResponse(error_code=ErrorCode.NONE, session_id=NO_SESSION, responses=reads.topics)


def _read_all(ctx: BrokerContext, request: FetchRequest) -> _Reads:
    budget = request.max_bytes if request.max_bytes > 0 else 0x7FFFFFFF
    committed = request.isolation_level == READ_COMMITTED
    reads = _Reads(topics=[], logs=[], size=0)
    for topic in request.topics:
        partitions = []
        for wanted in topic.partitions:
            log = ctx.topics.partition(topic.topic, wanted.partition)
            if log is None:
                partitions.append(_missing(wanted.partition))
                continue
            reads.logs.append(log)
            limit = min(wanted.partition_max_bytes, budget - reads.size)
            state = ctx.txn_state(log) if committed else None
            data = _read_partition(log, wanted, limit, first=reads.size == 0, txn_state=state)
            reads.size += len(data.records or b"")
            partitions.append(data)
        reads.topics.append(FetchableTopicResponse(topic=topic.topic, partitions=partitions))
    return reads


def _read_partition(
    log: PartitionLog,
    wanted: FetchPartition,
    limit: int,
    *,
    first: bool,
    txn_state: PartitionTxnState | None,
) -> PartitionData:
    """Read one partition; ``txn_state`` is given for read_committed fetches only."""
    records = b""
    error = ErrorCode.NONE
    high_watermark = log.high_watermark
    stable = high_watermark if txn_state is None else txn_state.last_stable_offset(high_watermark)
    if wanted.current_leader_epoch > 0:
        error = ErrorCode.UNKNOWN_LEADER_EPOCH
    elif limit > 0 or first:
        max_offset = None if txn_state is None else stable
        try:
            records = log.read(
                wanted.fetch_offset, max(limit, 1) if first else limit, max_offset=max_offset
            )
        except OffsetOutOfRangeError:
            error = ErrorCode.OFFSET_OUT_OF_RANGE
    aborted = None
    if txn_state is not None:
        end = _end_offset(records)
        aborted = [
            AbortedTransaction(producer_id=txn.producer_id, first_offset=txn.first_offset)
            for txn in txn_state.aborted_between(wanted.fetch_offset, end)
        ]
    return PartitionData(
        partition_index=wanted.partition,
        error_code=error,
        high_watermark=high_watermark,
        last_stable_offset=stable,
        log_start_offset=log.log_start_offset,
        aborted_transactions=aborted,
        preferred_read_replica=-1,
        records=records,
    )


def _end_offset(records: bytes) -> int:
    """The offset after the last whole batch of ``records`` (-1 if there is none)."""
    end = -1
    for _, header in iter_batches(records):
        end = header.last_offset + 1
    return end


def _missing(partition: int) -> PartitionData:
    return PartitionData(
        partition_index=partition,
        error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        high_watermark=-1,
        last_stable_offset=-1,
        log_start_offset=-1,
        records=b"",
    )
