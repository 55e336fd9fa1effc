"""Errors raised by the partition log, each carrying its Kafka error code."""

from __future__ import annotations

from kaspar.protocol.errors import ErrorCode

__all__ = [
    "InvalidTimestampError",
    "KafkaStorageError",
    "LogError",
    "OffsetOutOfRangeError",
]


class LogError(Exception):
    """Base class: `error_code` is the Kafka error code to answer with."""

    error_code: int = ErrorCode.UNKNOWN_SERVER_ERROR


class OffsetOutOfRangeError(LogError):
    """The requested offset is outside [log_start_offset, log_end_offset]."""

    error_code = ErrorCode.OFFSET_OUT_OF_RANGE


class InvalidTimestampError(LogError):
    """A CreateTime timestamp is outside message.timestamp.before/after.max.ms."""

    error_code = ErrorCode.INVALID_TIMESTAMP


class KafkaStorageError(LogError):
    """The log's files could not be written (disk full, I/O error)."""

    error_code = ErrorCode.KAFKA_STORAGE_ERROR
