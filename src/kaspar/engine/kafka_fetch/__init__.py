"""A Kafka fetch client on ``kaspar.protocol`` that decodes record batches into Arrow columns."""

from kaspar.engine.kafka_fetch.choice import RangeReader, columnar_reader
from kaspar.engine.kafka_fetch.connection import KafkaReadError
from kaspar.engine.kafka_fetch.reader import (
    ColumnarReader,
    DataLossError,
    KafkaFetchError,
    ReadTimeoutError,
)

__all__ = [
    "ColumnarReader",
    "DataLossError",
    "KafkaFetchError",
    "KafkaReadError",
    "RangeReader",
    "ReadTimeoutError",
    "columnar_reader",
]
