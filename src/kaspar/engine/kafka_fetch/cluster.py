"""The brokers of a Kafka cluster, who leads which partition, and one connection per broker.

Metadata is asked of any reachable broker (the bootstrap servers first); it is asked again when
a partition's leader is unknown or a broker answers that it no longer leads a partition.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from kaspar.engine.kafka_fetch.connection import (
    BrokerConnection,
    KafkaConnectionError,
    KafkaReadError,
)
from kaspar.protocol.api_index import ApiKey
from kaspar.protocol.errors import ErrorCode
from kaspar.protocol.messages.list_offsets import (
    ListOffsetsPartition,
    ListOffsetsRequest,
    ListOffsetsResponse,
    ListOffsetsTopic,
)
from kaspar.protocol.messages.metadata import (
    MetadataRequest,
    MetadataRequestTopic,
    MetadataResponse,
)

TopicPartition = tuple[str, int]
EARLIEST_TIMESTAMP = -2
LATEST_TIMESTAMP = -1


class KafkaClientError(KafkaReadError):
    """A request failed for good (not a leader change or a lost connection)."""


class Cluster:
    """Connections to the brokers of the cluster ``bootstrap_servers`` names."""

    def __init__(self, bootstrap_servers: str, timeout_s: float = 30.0) -> None:
        self.bootstrap = [_host_port(s) for s in bootstrap_servers.split(",") if s.strip()]
        self.timeout_s = timeout_s
        self.brokers: dict[int, tuple[str, int]] = {}
        self.leaders: dict[TopicPartition, int] = {}
        self._connections: dict[int, BrokerConnection] = {}
        self._any: BrokerConnection | None = None

    def connection(self, node_id: int) -> BrokerConnection:
        """The connection to broker ``node_id`` (opened on first use, again after a failure)."""
        known = self._connections.get(node_id)
        if known is not None and not known.closed:
            return known
        if node_id not in self.brokers:
            self.refresh([])
        if node_id not in self.brokers:
            raise KafkaConnectionError(f"broker {node_id} is not in the cluster's metadata")
        host, port = self.brokers[node_id]
        made = BrokerConnection(host, port, self.timeout_s)
        self._connections[node_id] = made
        return made

    def _any_connection(self) -> BrokerConnection:
        if self._any is not None and not self._any.closed:
            return self._any
        addresses = [*self.bootstrap, *self.brokers.values()]
        failures = []
        for host, port in addresses:
            try:
                self._any = BrokerConnection(host, port, self.timeout_s)
            except KafkaConnectionError as e:
                failures.append(str(e))
                continue
            return self._any
        raise KafkaConnectionError("no broker is reachable: " + "; ".join(failures))

    def refresh(self, topics: Iterable[str]) -> None:
        """Ask for the brokers and the leaders of ``topics``' partitions."""
        names = sorted(set(topics))
        connection = self._any_connection()
        version = connection.version(ApiKey.METADATA, 1, 12)
        request = MetadataRequest(
            topics=[MetadataRequestTopic(name=n) for n in names],
            allow_auto_topic_creation=False,
        )
        response: MetadataResponse = connection.request(request, version)
        self.brokers = {b.node_id: (b.host, b.port) for b in response.brokers}
        for topic in response.topics:
            if topic.error_code != ErrorCode.NONE or topic.name is None:
                continue
            for p in topic.partitions:
                if p.error_code == ErrorCode.NONE and p.leader_id >= 0:
                    self.leaders[(topic.name, p.partition_index)] = p.leader_id
                else:
                    self.leaders.pop((topic.name, p.partition_index), None)

    def leader(self, tp: TopicPartition) -> int | None:
        return self.leaders.get(tp)

    def forget(self, tp: TopicPartition) -> None:
        """``tp``'s leader moved: ask again on next use."""
        self.leaders.pop(tp, None)

    def list_offsets(
        self, timestamps: dict[TopicPartition, int], isolation_level: int
    ) -> dict[TopicPartition, int]:
        """Offsets for ``timestamps`` (-2 earliest, -1 latest), retried until they are known."""
        deadline = time.monotonic() + self.timeout_s
        found: dict[TopicPartition, int] = {}
        while True:
            missing = {tp: ts for tp, ts in timestamps.items() if tp not in found}
            if not missing:
                return found
            if time.monotonic() > deadline:
                raise KafkaClientError(f"ListOffsets of {sorted(missing)} did not succeed")
            self._list_offsets_once(missing, isolation_level, found)
            if len(found) < len(timestamps):
                time.sleep(0.05)

    def _list_offsets_once(
        self,
        wanted: dict[TopicPartition, int],
        isolation_level: int,
        found: dict[TopicPartition, int],
    ) -> None:
        if any(self.leader(tp) is None for tp in wanted):
            self.refresh(t for t, _ in wanted)
        by_leader: dict[int, dict[TopicPartition, int]] = {}
        for tp, ts in wanted.items():
            leader = self.leader(tp)
            if leader is not None:
                by_leader.setdefault(leader, {})[tp] = ts
        for leader, partitions in by_leader.items():
            try:
                self._ask_leader(leader, partitions, isolation_level, found)
            except KafkaConnectionError:
                for tp in partitions:
                    self.forget(tp)

    def _ask_leader(
        self,
        leader: int,
        partitions: dict[TopicPartition, int],
        isolation_level: int,
        found: dict[TopicPartition, int],
    ) -> None:
        connection = self.connection(leader)
        version = connection.version(ApiKey.LIST_OFFSETS, 2, 7)
        topics: dict[str, list[ListOffsetsPartition]] = {}
        for (topic, p), ts in partitions.items():
            topics.setdefault(topic, []).append(
                ListOffsetsPartition(partition_index=p, timestamp=ts)
            )
        request = ListOffsetsRequest(
            replica_id=-1,
            isolation_level=isolation_level,
            topics=[ListOffsetsTopic(name=t, partitions=ps) for t, ps in topics.items()],
        )
        response: ListOffsetsResponse = connection.request(request, version)
        for answer in response.topics:
            for answered in answer.partitions:
                tp = (answer.name, answered.partition_index)
                if answered.error_code == ErrorCode.NONE:
                    found[tp] = answered.offset
                else:
                    self.forget(tp)

    def close(self) -> None:
        for connection in [*self._connections.values(), self._any]:
            if connection is not None:
                connection.close()
        self._connections.clear()
        self._any = None


def _host_port(server: str) -> tuple[str, int]:
    host, _, port = server.strip().rpartition(":")
    return host.strip("[]") or "localhost", int(port or 9092)
