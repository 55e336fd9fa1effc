"""The Kafka topics statements read and write, through the admin client: their partition
counts, topics created for a CREATE with ``PARTITIONS`` (or a query's sink), ``DELETE TOPIC``."""

from __future__ import annotations

import logging

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from kaspar.ksql.errors import KsqlError
from kaspar.ksql.metastore import Source

log = logging.getLogger(__name__)
TIMEOUT_S = 30.0


class TopicAdmin:
    def __init__(self, servers: str) -> None:
        self.admin = AdminClient({"bootstrap.servers": servers})

    def partition_counts(self) -> dict[str, int]:
        metadata = self.admin.list_topics(timeout=TIMEOUT_S)
        return {name: len(t.partitions) for name, t in metadata.topics.items()}

    def reachable(self, timeout_s: float = 5.0) -> bool:
        """Whether Kafka answers a metadata request within ``timeout_s``."""
        try:
            self.admin.list_topics(timeout=timeout_s)
        except KafkaException:
            return False
        return True

    def ensure(self, source: Source, partitions: object) -> int:
        """The topic's partition count; creates it (``PARTITIONS``) when it does not exist."""
        topics = self.partition_counts()
        if source.topic in topics:
            return topics[source.topic]
        if partitions is None:
            raise KsqlError(
                f"Topic '{source.topic}' does not exist. If you want to create a new topic for "
                f"the {source.kind.lower()} please re-run the statement providing the required "
                "'PARTITIONS' configuration in the WITH clause (and optionally 'REPLICAS'). "
                "For example: CREATE STREAM S (...) WITH (KAFKA_TOPIC='t', PARTITIONS=1, ...);"
            )
        count = int(str(partitions))
        futures = self.admin.create_topics([NewTopic(source.topic, count, 1)])
        try:
            futures[source.topic].result(TIMEOUT_S)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise KsqlError(f"Could not create topic '{source.topic}': {exc}") from None
        return count

    def delete(self, topic: str) -> None:
        futures = self.admin.delete_topics([topic], operation_timeout=TIMEOUT_S)
        try:
            futures[topic].result(TIMEOUT_S)
        except KafkaException as exc:
            log.warning("ksql: topic %s not deleted: %s", topic, exc)
