"""Full Fetch requests (no fetch session) and their answers per partition.

Versions 4-12 are used: 4 is the first with isolation levels, last stable offsets and aborted
transactions, 12 the last that names topics (13 and later name them by topic id). Each request
is a full fetch (session id 0, epoch -1), which every broker accepts; kaspar's broker answers
nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from kaspar.engine.kafka_fetch.cluster import TopicPartition
from kaspar.engine.kafka_fetch.connection import BrokerConnection
from kaspar.protocol.api_index import ApiKey
from kaspar.protocol.messages.fetch import (
    FetchPartition,
    FetchRequest,
    FetchResponse,
    FetchTopic,
    PartitionData,
)
from kaspar.protocol.records import iter_batches

_MAX_WAIT_MS = 100
_FULL_FETCH_EPOCH = -1


@dataclass(frozen=True)
class FetchSizes:
    """``fetch.max.bytes`` and ``max.partition.fetch.bytes`` (larger than the Java client's
    defaults: fewer round trips for a reader that decodes whole responses at once)."""

    response_bytes: int = 64 << 20
    partition_bytes: int = 8 << 20

    def doubled(self) -> FetchSizes:
        """Room for a batch larger than the limits (brokers before KIP-74 need it)."""
        return replace(
            self,
            response_bytes=min(self.response_bytes * 2, 0x7FFFFFFF),
            partition_bytes=min(self.partition_bytes * 2, 0x7FFFFFFF),
        )


def fetch_request(
    connection: BrokerConnection,
    positions: dict[TopicPartition, int],
    sizes: FetchSizes,
    isolation_level: int,
    max_wait_ms: int = _MAX_WAIT_MS,
) -> tuple[FetchRequest, int]:
    """A Fetch of every partition of ``positions`` from its offset, and its version."""
    version = connection.version(ApiKey.FETCH, 4, 12)
    topics: dict[str, list[FetchPartition]] = {}
    for (topic, partition), offset in positions.items():
        topics.setdefault(topic, []).append(
            FetchPartition(
                partition=partition,
                fetch_offset=offset,
                partition_max_bytes=sizes.partition_bytes,
            )
        )
    request = FetchRequest(
        replica_id=-1,
        max_wait_ms=max_wait_ms,
        min_bytes=1,
        max_bytes=sizes.response_bytes,
        isolation_level=isolation_level,
        session_id=0,
        session_epoch=_FULL_FETCH_EPOCH,
        topics=[FetchTopic(topic=t, partitions=ps) for t, ps in topics.items()],
    )
    return request, version


def partition_results(
    response: FetchResponse, asked: list[TopicPartition]
) -> Iterator[tuple[TopicPartition, PartitionData | None]]:
    """Each asked partition's answer; None for one the response left out (a top-level
    error, or a broker that trimmed the response to its byte limit)."""
    found: dict[TopicPartition, PartitionData] = {}
    if response.error_code == 0:
        for topic in response.responses:
            for data in topic.partitions:
                found[(topic.topic, data.partition_index)] = data
    for tp in asked:
        yield tp, found.get(tp)


def fetched_to(records: bytes, default: int) -> int:
    """The offset after the last complete batch of ``records`` (``default`` if none is)."""
    last = default
    for _, header in iter_batches(records):
        last = header.last_offset + 1
    return last
