"""When the columnar reader can serve a Kafka source, and when confluent-kafka must.

The columnar reader speaks plaintext Kafka and honours the client settings below; any other
``kafka.*`` option (SASL, SSL, librdkafka tuning...) keeps the source on its confluent-kafka
reader, which honours every librdkafka setting.
"""

from __future__ import annotations

from typing import Protocol

import pyarrow as pa

from kaspar.engine.kafka_fetch.fetch_request import FetchSizes
from kaspar.engine.kafka_fetch.reader import ColumnarReader
from kaspar.engine.sources.kafka_options import KafkaReadOptions, TopicPartition

# Settings that change nothing for a reader without a group, or that it applies itself.
_IGNORED = frozenset(
    {
        "client.id",
        "group.id",
        "check.crcs",
        "request.timeout.ms",
        "socket.timeout.ms",
        "metadata.max.age.ms",
        "session.timeout.ms",
        "heartbeat.interval.ms",
        "fetch.wait.max.ms",
        "fetch.min.bytes",
    }
)
_ISOLATION = {"read_uncommitted": False, "read_committed": True}


class RangeReader(Protocol):
    """Reads ``[start, end)`` of partitions into a table with Spark's Kafka schema."""

    def read(
        self, ranges: dict[TopicPartition, tuple[int, int]], include_headers: bool
    ) -> pa.Table: ...

    def close(self) -> None: ...


def columnar_reader(options: KafkaReadOptions, prefetch: bool = True) -> ColumnarReader | None:
    """A columnar reader for ``options``, or None if a ``kafka.*`` option needs librdkafka."""
    config = dict(options.client_config)
    servers = config.pop("bootstrap.servers", "")
    isolation = config.pop("isolation.level", "read_uncommitted").lower()
    protocol = config.pop("security.protocol", "plaintext").lower()
    sizes = FetchSizes()
    try:
        response_bytes = int(config.pop("fetch.max.bytes", sizes.response_bytes))
        partition_bytes = int(config.pop("max.partition.fetch.bytes", sizes.partition_bytes))
    except ValueError:
        return None
    unknown = set(config) - _IGNORED
    if unknown or isolation not in _ISOLATION or protocol != "plaintext" or not servers:
        return None
    return ColumnarReader(
        servers,
        poll_timeout_ms=options.poll_timeout_ms,
        fail_on_data_loss=options.fail_on_data_loss,
        read_committed=_ISOLATION[isolation],
        sizes=FetchSizes(max(response_bytes, 1024), max(partition_bytes, 1024)),
        prefetch=prefetch,
    )
