"""The cluster as the admin endpoints see it: one confluent-kafka `AdminClient`, called on threads.

Every method blocks (it waits for the broker), so handlers call them through `asyncio.to_thread`.
Kafka errors become `ApiError`s in Confluent's codes (`kafka_error`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from confluent_kafka import (
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-exported, no __all__
    AdminClient,
    AlterConfigOpType,
    ClusterMetadata,
    ConfigEntry,
    ConfigResource,
    ConsumerGroupDescription,
    ListConsumerGroupsResult,
    NewPartitions,
    NewTopic,
    OffsetSpec,
    ResourceType,
)

from kaspar.rest.config import CLIENT_LOG
from kaspar.service.errors import ApiError

ADMIN_TIMEOUT_S = 15.0
T = TypeVar("T")

NOT_FOUND = {
    KafkaError.UNKNOWN_TOPIC_OR_PART,
    KafkaError._UNKNOWN_TOPIC,
    KafkaError._UNKNOWN_PARTITION,
}
BAD_REQUEST = {
    KafkaError.TOPIC_ALREADY_EXISTS,
    KafkaError.INVALID_CONFIG,
    KafkaError.INVALID_REQUEST,
    KafkaError.INVALID_PARTITIONS,
    KafkaError.INVALID_REPLICATION_FACTOR,
    KafkaError.TOPIC_EXCEPTION,
    KafkaError.POLICY_VIOLATION,
    KafkaError._INVALID_ARG,
}


def kafka_error(exc: BaseException) -> ApiError:
    """A Kafka failure as Confluent answers it: 404/40403, 400/40002, 500/50003 or 500/50002."""
    error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
    if error is None:
        return ApiError(500, 50002, str(exc))
    message = error.str()
    if error.code() in NOT_FOUND:
        return ApiError(404, 40403, message)
    if error.code() in BAD_REQUEST:
        return ApiError(400, 40002, message)
    if error.retriable():
        return ApiError(500, 50003, message)
    return ApiError(500, 50002, message)


def _result(future: Future[T]) -> T:
    try:
        return future.result(timeout=ADMIN_TIMEOUT_S)
    except KafkaException as exc:
        raise kafka_error(exc) from exc
    except TimeoutError as exc:
        raise ApiError(500, 50003, "the Kafka cluster did not answer in time") from exc


class KafkaCluster:
    """Admin operations on the cluster at `bootstrap_servers`."""

    def __init__(self, bootstrap_servers: str, overrides: Mapping[str, str]) -> None:
        config: dict[str, Any] = {"bootstrap.servers": bootstrap_servers, "logger": CLIENT_LOG}
        config.update(overrides)
        self._admin = AdminClient(config)

    def metadata(self) -> ClusterMetadata:
        """Every topic's metadata (asking for one topic by name could auto-create it)."""
        try:
            return self._admin.list_topics(timeout=ADMIN_TIMEOUT_S)
        except KafkaException as exc:
            raise kafka_error(exc) from exc

    def cluster_id(self) -> str:
        return self.metadata().cluster_id or "kaspar"

    def create_topic(
        self,
        name: str,
        partitions: int,
        replication_factor: int,
        configs: Mapping[str, str],
        validate_only: bool,
    ) -> None:
        topic = NewTopic(name, partitions, replication_factor, config=dict(configs))
        futures = self._admin.create_topics(
            [topic], operation_timeout=ADMIN_TIMEOUT_S, validate_only=validate_only
        )
        _result(futures[name])

    def create_partitions(self, name: str, total: int) -> None:
        futures = self._admin.create_partitions(
            [NewPartitions(name, total)], operation_timeout=ADMIN_TIMEOUT_S
        )
        _result(futures[name])

    def delete_topic(self, name: str) -> None:
        _result(self._admin.delete_topics([name], operation_timeout=ADMIN_TIMEOUT_S)[name])

    def describe_configs(self, kind: ResourceType, name: str) -> list[ConfigEntry]:
        resource = ConfigResource(kind, name)
        entries = _result(self._admin.describe_configs([resource])[resource])
        return sorted(entries.values(), key=lambda entry: entry.name)

    def alter_configs(
        self,
        kind: ResourceType,
        name: str,
        changes: Sequence[tuple[str, str | None]],
        validate_only: bool = False,
    ) -> None:
        """`changes`: (name, value) to set, (name, None) to delete (back to the default)."""
        resource = ConfigResource(kind, name)
        for key, value in changes:
            operation = AlterConfigOpType.DELETE if value is None else AlterConfigOpType.SET
            resource.add_incremental_config(
                ConfigEntry(key, value, incremental_operation=operation)
            )
        futures = self._admin.incremental_alter_configs([resource], validate_only=validate_only)
        _result(futures[resource])

    def list_groups(self) -> list[str]:
        listing: ListConsumerGroupsResult = _result(self._admin.list_consumer_groups())
        return sorted(group.group_id for group in listing.valid or [])

    def describe_group(self, group: str) -> ConsumerGroupDescription:
        description: ConsumerGroupDescription = _result(
            self._admin.describe_consumer_groups([group])[group]
        )
        return description

    def committed(self, group: str) -> list[TopicPartition]:
        request = [ConsumerGroupTopicPartitions(group)]
        answer = _result(self._admin.list_consumer_group_offsets(request)[group])
        return [tp for tp in answer.topic_partitions or [] if tp.offset >= 0]

    def end_offsets(self, partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        return self._offsets(partitions, OffsetSpec.latest())  # type: ignore[no-untyped-call]

    def earliest_offsets(self, partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
        return self._offsets(partitions, OffsetSpec.earliest())  # type: ignore[no-untyped-call]

    def _offsets(
        self, partitions: Iterable[tuple[str, int]], spec: OffsetSpec
    ) -> dict[tuple[str, int], int]:
        request = {TopicPartition(t, p): spec for t, p in partitions}
        if not request:
            return {}
        futures = self._admin.list_offsets(request)
        return {(tp.topic, tp.partition): _result(f).offset for tp, f in futures.items()}

    def describe_cluster(self) -> Any:
        return _result(self._admin.describe_cluster())
