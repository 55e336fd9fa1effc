"""Transaction APIs: InitProducerId with a transactional id (22), AddPartitionsToTxn (24),
AddOffsetsToTxn (25), EndTxn (26) and TxnOffsetCommit (28).

The handlers translate requests for ``ctx.transactions`` (``coordinator/transaction.py``) and
its errors back into responses. PRODUCER_FENCED exists only from InitProducerId v4,
AddPartitionsToTxn / AddOffsetsToTxn / EndTxn v2 and TxnOffsetCommit v3; older versions get
INVALID_PRODUCER_EPOCH, as Apache Kafka answers them.
"""

from __future__ import annotations

from kaspar.broker.context import BrokerContext
from kaspar.broker.coordinator.group_coordinator import GroupCoordinator
from kaspar.broker.coordinator.offsets import OffsetAndMetadata
from kaspar.broker.coordinator.transaction import TransactionError
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.add_offsets_to_txn import (
    AddOffsetsToTxnRequest,
    AddOffsetsToTxnResponse,
)
from kaspar.protocol.messages.add_partitions_to_txn import (
    AddPartitionsToTxnPartitionResult,
    AddPartitionsToTxnRequest,
    AddPartitionsToTxnResponse,
    AddPartitionsToTxnTopicResult,
)
from kaspar.protocol.messages.end_txn import EndTxnRequest, EndTxnResponse
from kaspar.protocol.messages.init_producer_id import (
    InitProducerIdRequest,
    InitProducerIdResponse,
)
from kaspar.protocol.messages.txn_offset_commit import (
    TxnOffsetCommitRequest,
    TxnOffsetCommitResponse,
    TxnOffsetCommitResponsePartition,
    TxnOffsetCommitResponseTopic,
)

__all__ = [
    "handle_add_offsets_to_txn",
    "handle_add_partitions_to_txn",
    "handle_end_txn",
    "handle_init_transactional_producer",
    "handle_txn_offset_commit",
]


def _error_code(exc: TransactionError, version: int, fenced_from: int) -> ErrorCode:
    if exc.error_code == ErrorCode.PRODUCER_FENCED and version < fenced_from:
        return ErrorCode.INVALID_PRODUCER_EPOCH
    return exc.error_code


async def handle_init_transactional_producer(
    ctx: BrokerContext, request: InitProducerIdRequest, version: int
) -> InitProducerIdResponse:
    """InitProducerId with a transactional id (``producers.py`` routes it here)."""
    if not request.transactional_id:
        return InitProducerIdResponse(error_code=ErrorCode.INVALID_REQUEST, producer_id=-1)
    try:
        producer_id, epoch = await ctx.transactions.init_producer_id(
            request.transactional_id,
            request.transaction_timeout_ms,
            request.producer_id,
            request.producer_epoch,
        )
    except TransactionError as exc:
        code = _error_code(exc, version, fenced_from=4)
        return InitProducerIdResponse(error_code=code, producer_id=-1, producer_epoch=-1)
    return InitProducerIdResponse(
        error_code=ErrorCode.NONE, producer_id=producer_id, producer_epoch=epoch
    )


async def handle_add_partitions_to_txn(
    ctx: BrokerContext, request: AddPartitionsToTxnRequest, version: int
) -> AddPartitionsToTxnResponse:
    """Versions 0-3 (one transaction per request); unknown partitions fail the request."""
    wanted = [(t.name, p) for t in request.v3_and_below_topics for p in t.partitions]
    unknown = {tp for tp in wanted if ctx.topics.partition(*tp) is None}
    code = ErrorCode.NONE
    if unknown:
        code = ErrorCode.OPERATION_NOT_ATTEMPTED
    else:
        try:
            await ctx.transactions.add_partitions(
                request.v3_and_below_transactional_id,
                request.v3_and_below_producer_id,
                request.v3_and_below_producer_epoch,
                set(wanted),
            )
        except TransactionError as exc:
            code = _error_code(exc, version, fenced_from=2)
    results: dict[str, list[AddPartitionsToTxnPartitionResult]] = {}
    for topic, partition in wanted:
        partition_code = (
            ErrorCode.UNKNOWN_TOPIC_OR_PARTITION if (topic, partition) in unknown else code
        )
        results.setdefault(topic, []).append(
            AddPartitionsToTxnPartitionResult(
                partition_index=partition, partition_error_code=partition_code
            )
        )
    return AddPartitionsToTxnResponse(
        results_by_topic_v3_and_below=[
            AddPartitionsToTxnTopicResult(name=name, results_by_partition=partitions)
            for name, partitions in results.items()
        ]
    )


async def handle_add_offsets_to_txn(
    ctx: BrokerContext, request: AddOffsetsToTxnRequest, version: int
) -> AddOffsetsToTxnResponse:
    try:
        await ctx.transactions.add_offsets(
            request.transactional_id, request.producer_id, request.producer_epoch, request.group_id
        )
    except TransactionError as exc:
        return AddOffsetsToTxnResponse(error_code=_error_code(exc, version, fenced_from=2))
    return AddOffsetsToTxnResponse(error_code=ErrorCode.NONE)


async def handle_end_txn(
    ctx: BrokerContext, request: EndTxnRequest, version: int
) -> EndTxnResponse:
    try:
        await ctx.transactions.end_txn(
            request.transactional_id,
            request.producer_id,
            request.producer_epoch,
            commit=request.committed,
        )
    except TransactionError as exc:
        return EndTxnResponse(error_code=_error_code(exc, version, fenced_from=2))
    return EndTxnResponse(error_code=ErrorCode.NONE)


async def handle_txn_offset_commit(
    ctx: BrokerContext, request: TxnOffsetCommitRequest, version: int
) -> TxnOffsetCommitResponse:
    """Stage the offsets with the group coordinator until the transaction ends."""
    wanted = [(t.name, p) for t in request.topics for p in t.partitions]
    errors: dict[tuple[str, int], int] = {}
    code = ErrorCode.NONE
    try:
        ctx.transactions.check_offset_commit(
            request.transactional_id, request.producer_id, request.producer_epoch, request.group_id
        )
        groups: GroupCoordinator | None = getattr(ctx, "groups", None)
        if groups is None:
            code = ErrorCode.COORDINATOR_NOT_AVAILABLE
        else:
            offsets = {
                (topic, p.partition_index): OffsetAndMetadata(
                    offset=p.committed_offset,
                    leader_epoch=p.committed_leader_epoch,
                    metadata=p.committed_metadata or "",
                )
                for topic, p in wanted
            }
            errors = dict(
                await groups.stage_txn_offsets(
                    request.producer_id,
                    request.group_id,
                    offsets,
                    producer_epoch=request.producer_epoch,
                )
            )
    except TransactionError as exc:
        code = _error_code(exc, version, fenced_from=3)
    by_topic: dict[str, list[TxnOffsetCommitResponsePartition]] = {}
    for topic, p in wanted:
        partition_code = errors.get((topic, p.partition_index), code)
        by_topic.setdefault(topic, []).append(
            TxnOffsetCommitResponsePartition(
                partition_index=p.partition_index, error_code=partition_code
            )
        )
    return TxnOffsetCommitResponse(
        topics=[
            TxnOffsetCommitResponseTopic(name=name, partitions=partitions)
            for name, partitions in by_topic.items()
        ]
    )
