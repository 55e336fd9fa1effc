"""ListOffsets (key 2) and DeleteRecords (key 21): where a partition starts and ends.

For read_committed (isolation level 1) the latest offset is the last stable offset.
"""

from __future__ import annotations

from kaspar.broker.context import BrokerContext
from kaspar.broker.log import PartitionLog
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.delete_records import (
    DeleteRecordsPartition,
    DeleteRecordsPartitionResult,
    DeleteRecordsRequest,
    DeleteRecordsResponse,
    DeleteRecordsTopicResult,
)
from kaspar.protocol.messages.list_offsets import (
    ListOffsetsPartition,
    ListOffsetsPartitionResponse,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopicResponse,
)

__all__ = ["handle_delete_records", "handle_list_offsets"]

LATEST_TIMESTAMP = -1
EARLIEST_TIMESTAMP = -2
MAX_TIMESTAMP = -3
EARLIEST_LOCAL_TIMESTAMP = -4
HIGH_WATERMARK = -1
READ_COMMITTED = 1


def handle_list_offsets(
    ctx: BrokerContext, request: ListOffsetsRequest, version: int
) -> ListOffsetsResponse:
    del version
    committed = request.isolation_level == READ_COMMITTED
    topics = []
    for topic in request.topics:
        partitions = [
            _list_offset(ctx, ctx.topics.partition(topic.name, p.partition_index), p, committed)
            for p in topic.partitions
        ]
        topics.append(ListOffsetsTopicResponse(name=topic.name, partitions=partitions))
    return ListOffsetsResponse(topics=topics)


def _list_offset(
    ctx: BrokerContext, log: PartitionLog | None, wanted: ListOffsetsPartition, committed: bool
) -> ListOffsetsPartitionResponse:
    index = wanted.partition_index
    if log is None:
        return ListOffsetsPartitionResponse(
            partition_index=index, error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        )
    if wanted.current_leader_epoch > 0:
        return ListOffsetsPartitionResponse(
            partition_index=index, error_code=ErrorCode.UNKNOWN_LEADER_EPOCH
        )
    found: tuple[int, int] | None
    if wanted.timestamp == LATEST_TIMESTAMP:
        latest = log.high_watermark
        if committed:
            latest = ctx.txn_state(log).last_stable_offset(latest)
        found = (latest, -1)
    elif wanted.timestamp in (EARLIEST_TIMESTAMP, EARLIEST_LOCAL_TIMESTAMP):
        found = (log.log_start_offset, -1)
    elif wanted.timestamp == MAX_TIMESTAMP:
        found = log.latest_timestamp()
    elif wanted.timestamp < 0:
        return ListOffsetsPartitionResponse(
            partition_index=index, error_code=ErrorCode.INVALID_REQUEST
        )
    else:
        found = log.offset_for_timestamp(wanted.timestamp)
    offset, timestamp = found if found is not None else (-1, -1)
    return ListOffsetsPartitionResponse(
        partition_index=index,
        error_code=ErrorCode.NONE,
        timestamp=timestamp,
        offset=offset,
        leader_epoch=0,
    )


def handle_delete_records(
    ctx: BrokerContext, request: DeleteRecordsRequest, version: int
) -> DeleteRecordsResponse:
    del version
    topics = []
    for topic in request.topics:
        partitions = [
            _delete_before(ctx.topics.partition(topic.name, p.partition_index), p)
            for p in topic.partitions
        ]
        topics.append(DeleteRecordsTopicResult(name=topic.name, partitions=partitions))
    return DeleteRecordsResponse(topics=topics)


def _delete_before(
    log: PartitionLog | None, wanted: DeleteRecordsPartition
) -> DeleteRecordsPartitionResult:
    index = wanted.partition_index
    if log is None:
        return DeleteRecordsPartitionResult(
            partition_index=index, low_watermark=-1, error_code=ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        )
    offset = log.high_watermark if wanted.offset == HIGH_WATERMARK else wanted.offset
    if not 0 <= offset <= log.high_watermark:
        return DeleteRecordsPartitionResult(
            partition_index=index, low_watermark=-1, error_code=ErrorCode.OFFSET_OUT_OF_RANGE
        )
    try:
        low_watermark = log.delete_records_before(offset)
    except OSError:
        return DeleteRecordsPartitionResult(
            partition_index=index, low_watermark=-1, error_code=ErrorCode.KAFKA_STORAGE_ERROR
        )
    return DeleteRecordsPartitionResult(
        partition_index=index, low_watermark=low_watermark, error_code=ErrorCode.NONE
    )
