"""Fetch (key 1): serve segment bytes, long-polling until ``min_bytes`` or ``max_wait_ms``.

1. Resolve every requested partition and read whole batches from its fetch offset, within the
   partition's and the response's byte limits (the first non-empty partition always gets at
   least one batch, KIP-74).
2. If the response holds at least ``min_bytes`` (or ``max_wait_ms`` is 0), answer now.
3. Otherwise wait until one of the partitions is appended to, or the wait expires, and read
   again. The broker refuses incremental fetch sessions (it answers session id 0), so every
   request is a full fetch.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from dataclasses import dataclass

from kaspar.broker.context import BrokerContext
from kaspar.broker.log import OffsetOutOfRangeError, PartitionLog
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.fetch import (
    FetchableTopicResponse,
    FetchPartition,
    FetchRequest,
    FetchResponse,
    PartitionData,
)

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
            data = _read_partition(log, wanted, limit, first=reads.size == 0, committed=committed)
            reads.size += len(data.records or b"")
            partitions.append(data)
        reads.topics.append(FetchableTopicResponse(topic=topic.topic, partitions=partitions))
    return reads


def _read_partition(
    log: PartitionLog, wanted: FetchPartition, limit: int, *, first: bool, committed: bool
) -> PartitionData:
    records = b""
    error = ErrorCode.NONE
    if wanted.current_leader_epoch > 0:
        error = ErrorCode.UNKNOWN_LEADER_EPOCH
    elif limit > 0 or first:
        try:
            records = log.read(wanted.fetch_offset, max(limit, 1) if first else limit)
        except OffsetOutOfRangeError:
            error = ErrorCode.OFFSET_OUT_OF_RANGE
    high_watermark = log.high_watermark
    return PartitionData(
        partition_index=wanted.partition,
        error_code=error,
        high_watermark=high_watermark,
        last_stable_offset=high_watermark,
        log_start_offset=log.log_start_offset,
        aborted_transactions=[] if committed else None,
        preferred_read_replica=-1,
        records=records,
    )


def _missing(partition: int) -> PartitionData:
    return PartitionData(
        partition_index=partition,
        error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        high_watermark=-1,
        last_stable_offset=-1,
        log_start_offset=-1,
        records=b"",
    )
