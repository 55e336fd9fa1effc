"""Partition logs with Apache Kafka's on-disk layout: segments, sparse indexes, recovery."""

from kaspar.broker.log.errors import (
    InvalidTimestampError,
    KafkaStorageError,
    LogError,
    OffsetOutOfRangeError,
)
from kaspar.broker.log.offset_index import OffsetIndex
from kaspar.broker.log.partition_log import AppendInfo, PartitionLog
from kaspar.broker.log.recovery import recover_log, recover_segment
from kaspar.broker.log.retention import SegmentMetadata, deletable_segments
from kaspar.broker.log.segment import BatchInfo, Segment
from kaspar.broker.log.time_index import TimeIndex

__all__ = [
    "AppendInfo",
    "BatchInfo",
    "InvalidTimestampError",
    "KafkaStorageError",
    "LogError",
    "OffsetIndex",
    "OffsetOutOfRangeError",
    "PartitionLog",
    "Segment",
    "SegmentMetadata",
    "TimeIndex",
    "deletable_segments",
    "recover_log",
    "recover_segment",
]
