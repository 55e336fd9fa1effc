"""Produce (key 0): validate each RecordBatch, append its bytes, answer per ``acks``.

1. Check ``acks`` (0, 1 or -1) and look up every partition.
2. Validate the batches of each partition (header, CRC32C, size) without decoding records.
3. Append them: the log assigns offsets by patching batch headers, never re-encoding.
4. Wake fetches waiting on those partitions.
5. acks=0: no response. acks=1: answer now. acks=-1: answer once the group commit has fsynced
   every partition this request wrote (see ``flush.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable

from kaspar.broker.context import BrokerContext, now_ms
from kaspar.broker.coordinator.producer_state import ProducerStateError
from kaspar.broker.log import LogError, PartitionLog
from kaspar.broker.topics import INTERNAL_TOPICS
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.produce import (
    PartitionProduceData,
    PartitionProduceResponse,
    ProduceRequest,
    ProduceResponse,
    TopicProduceResponse,
)
from kaspar.protocol.records import BatchHeader, RecordsError, decode_batch, validate_batches

__all__ = ["handle_produce"]

_VALID_ACKS = (0, 1, -1)


def handle_produce(
    ctx: BrokerContext, request: ProduceRequest, version: int
) -> ProduceResponse | Awaitable[ProduceResponse] | None:
    del version
    written: list[PartitionLog] = []
    responses = []
    for topic_data in request.topic_data:
        partitions = [
            _produce_partition(ctx, request.acks, topic_data.name, data, written)
            for data in topic_data.partition_data
        ]
        responses.append(TopicProduceResponse(name=topic_data.name, partition_responses=partitions))
    response = ProduceResponse(responses=responses)
    if request.acks == 0:
        return None
    if request.acks == -1 and written:
        return _after_sync(ctx, written, response)
    return response


async def _after_sync(
    ctx: BrokerContext, written: list[PartitionLog], response: ProduceResponse
) -> ProduceResponse:
    try:
        await ctx.group_commit.sync(written)
    except (OSError, LogError):
        return _with_error(response, ErrorCode.KAFKA_STORAGE_ERROR)
    return response


def _produce_partition(
    ctx: BrokerContext,
    acks: int,
    topic: str,
    data: PartitionProduceData,
    written: list[PartitionLog],
) -> PartitionProduceResponse:
    if acks not in _VALID_ACKS:
        return _error(
            data.index, ErrorCode.INVALID_REQUIRED_ACKS, f"acks must be 0, 1 or -1, not {acks}"
        )
    if topic in INTERNAL_TOPICS:
        msg = f"Cannot append to internal topic {topic}"
        return _error(data.index, ErrorCode.INVALID_TOPIC_EXCEPTION, msg)
    log = ctx.topics.partition(topic, data.index)
    if log is None:
        msg = "This server does not host this topic-partition."
        return _error(data.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, msg)
    if data.records is None:
        return _error(data.index, ErrorCode.CORRUPT_MESSAGE, "Produce request without records")
    try:
        headers = validate_batches(data.records, max_message_bytes=log.config.max_message_bytes)
        _check_batches(log, data.records, headers, topic, data.index)
        idempotent = headers[0].producer_id >= 0
        if idempotent or any(header.is_transactional for header in headers):
            duplicate_of = _check_idempotence(ctx, (topic, data.index), log, headers)
            if duplicate_of is not None:
                return _answer(log, duplicate_of, -1, index=data.index)
        info = log.append(data.records, headers, now_ms=now_ms())
        if idempotent:
            _record_producer(ctx, log, headers[0], info.base_offset)
    except (RecordsError, LogError, ProducerStateError) as exc:
        return _error(data.index, ErrorCode(exc.error_code), str(exc))
    except OSError as exc:
        return _error(data.index, ErrorCode.KAFKA_STORAGE_ERROR, f"cannot append: {exc}")
    written.append(log)
    ctx.group_commit.appended(log)
    ctx.append_waiters.notify(log)
    return _answer(log, info.base_offset, info.log_append_time_ms, index=data.index)


def _answer(
    log: PartitionLog, base_offset: int, log_append_time_ms: int, *, index: int = -1
) -> PartitionProduceResponse:
    return PartitionProduceResponse(
        index=index,
        error_code=ErrorCode.NONE,
        base_offset=base_offset,
        log_append_time_ms=log_append_time_ms,
        log_start_offset=log.log_start_offset,
    )


def _check_idempotence(
    ctx: BrokerContext, partition: tuple[str, int], log: PartitionLog, headers: list[BatchHeader]
) -> int | None:
    """Sequence checks for an idempotent batch; the original offset if it is a retry.

    A transactional batch must also belong to its producer's ongoing transaction.
    """
    if len(headers) != 1:
        msg = "Idempotent produce requests must carry exactly one batch per partition"
        raise RecordsError(ErrorCode.INVALID_RECORD, msg)
    header = headers[0]
    if header.is_transactional:
        if header.producer_id < 0:
            msg = "Transactional batches need a producer id"
            raise RecordsError(ErrorCode.INVALID_RECORD, msg)
        ctx.transactions.check_produce(header.producer_id, header.producer_epoch, *partition)
    return ctx.producer_state(log).check(header)


def _check_batches(
    log: PartitionLog, records: bytes, headers: list[BatchHeader], topic: str, index: int
) -> None:
    """No control batch from producers; compacted topics reject records without a key.

    Records are decoded only for compacted topics (Kafka validates keys there too).
    """
    if any(header.is_control for header in headers):
        msg = "Control batches are written by the broker, never by producers"
        raise RecordsError(ErrorCode.INVALID_RECORD, msg)
    if not log.config.compacts:
        return
    position = 0
    for header in headers:
        _, decoded = decode_batch(memoryview(records)[position : position + header.size])
        if any(record.key is None for record in decoded):
            msg = (
                "Compacted topic cannot accept message without key in topic partition "
                f"{topic}-{index}."
            )
            raise RecordsError(ErrorCode.INVALID_RECORD, msg)
        position += header.size


def _record_producer(
    ctx: BrokerContext, log: PartitionLog, header: BatchHeader, base_offset: int
) -> None:
    """Remember an appended idempotent batch (and the transaction it opens)."""
    ctx.producer_state(log).record(header, base_offset)
    if header.is_transactional:
        ctx.txn_state(log).opened(header.producer_id, base_offset)


def _error(index: int, code: ErrorCode, message: str) -> PartitionProduceResponse:
    return PartitionProduceResponse(
        index=index, error_code=code, base_offset=-1, log_start_offset=-1, error_message=message
    )


def _with_error(response: ProduceResponse, code: ErrorCode) -> ProduceResponse:
    return ProduceResponse(
        responses=[
            TopicProduceResponse(
                name=topic.name,
                partition_responses=[
                    _error(p.index, code, "the log could not be synced to disk")
                    if p.error_code == ErrorCode.NONE
                    else p
                    for p in topic.partition_responses
                ],
            )
            for topic in response.responses
        ]
    )
