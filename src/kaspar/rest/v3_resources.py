"""v3 response bodies: resources (`kind`, `metadata.self`, `metadata.resource_name`, fields,
`{"related": url}` links) and collections (`kind`, `metadata.self`, `data`), as the OpenAPI
of Confluent's REST Admin API 3.0.0 declares them."""

from __future__ import annotations

from typing import Any

from confluent_kafka.admin import ConfigEntry, ConfigSource  # type: ignore[attr-defined]

Body = dict[str, Any]


class Links:
    """URLs and resource names (`crn:///kafka=<id>/topic=t/...`) inside one cluster."""

    def __init__(self, base_url: str, cluster_id: str) -> None:
        self.cluster_id = cluster_id
        self.root = f"{base_url.rstrip('/')}/v3/clusters/{cluster_id}"

    def url(self, *parts: object) -> str:
        return "/".join((self.root, *(str(part) for part in parts)))

    def related(self, *parts: object) -> dict[str, str]:
        return {"related": self.url(*parts)}

    def crn(self, *pairs: tuple[str, object]) -> str:
        return f"crn:///kafka={self.cluster_id}" + "".join(f"/{k}={v}" for k, v in pairs)


def resource(kind: str, self_url: str, resource_name: str | None, **fields: Any) -> Body:
    return {"kind": kind, "metadata": {"self": self_url, "resource_name": resource_name}, **fields}


def collection(kind: str, self_url: str, data: list[Body]) -> Body:
    return {"kind": kind, "metadata": {"self": self_url, "next": None}, "data": data}


def cluster_body(links: Links, controller_id: int | None) -> Body:
    return resource(
        "KafkaCluster",
        links.url(),
        links.crn(),
        cluster_id=links.cluster_id,
        controller=links.related("brokers", controller_id) if controller_id is not None else None,
        acls=links.related("acls"),
        brokers=links.related("brokers"),
        broker_configs=links.related("broker-configs"),
        consumer_groups=links.related("consumer-groups"),
        topics=links.related("topics"),
        partition_reassignments=links.related("topics/-/partitions/-/reassignment"),
    )


def broker_body(links: Links, broker_id: int, host: str | None, port: int | None) -> Body:
    return resource(
        "KafkaBroker",
        links.url("brokers", broker_id),
        links.crn(("broker", broker_id)),
        cluster_id=links.cluster_id,
        broker_id=broker_id,
        host=host,
        port=port,
        rack=None,
        configs=links.related("brokers", broker_id, "configs"),
        partition_replicas=links.related("brokers", broker_id, "partition-replicas"),
    )


def topic_body(
    links: Links, name: str, partitions: int, replication_factor: int, internal: bool
) -> Body:
    return resource(
        "KafkaTopic",
        links.url("topics", name),
        links.crn(("topic", name)),
        cluster_id=links.cluster_id,
        topic_name=name,
        is_internal=internal,
        replication_factor=replication_factor,
        partitions_count=partitions,
        partitions=links.related("topics", name, "partitions"),
        configs=links.related("topics", name, "configs"),
        partition_reassignments=links.related("topics", name, "partitions/-/reassignment"),
    )


def partition_body(links: Links, topic: str, partition: int, leader: int) -> Body:
    return resource(
        "KafkaPartition",
        links.url("topics", topic, "partitions", partition),
        links.crn(("topic", topic), ("partition", partition)),
        cluster_id=links.cluster_id,
        topic_name=topic,
        partition_id=partition,
        leader=links.related("topics", topic, "partitions", partition, "replicas", leader),
        replicas=links.related("topics", topic, "partitions", partition, "replicas"),
        reassignment=links.related("topics", topic, "partitions", partition, "reassignment"),
    )


def source_name(source: ConfigSource | int) -> str:
    name = ConfigSource(source).name
    return "UNKNOWN" if name == "UNKNOWN_CONFIG" else name


def config_fields(links: Links, entry: ConfigEntry) -> Body:
    return {
        "cluster_id": links.cluster_id,
        "name": entry.name,
        "value": None if entry.is_sensitive else entry.value,
        "is_default": bool(entry.is_default),
        "is_read_only": bool(entry.is_read_only),
        "is_sensitive": bool(entry.is_sensitive),
        "source": source_name(entry.source),
        "synonyms": [
            {"name": s.name, "value": s.value, "source": source_name(s.source)}
            for s in entry.synonyms.values()
        ],
    }


def topic_config_body(links: Links, topic: str, entry: ConfigEntry) -> Body:
    return resource(
        "KafkaTopicConfig",
        links.url("topics", topic, "configs", entry.name),
        links.crn(("topic", topic), ("config", entry.name)),
        **config_fields(links, entry),
        topic_name=topic,
    )


def broker_config_body(links: Links, broker_id: int, entry: ConfigEntry) -> Body:
    return resource(
        "KafkaBrokerConfig",
        links.url("brokers", broker_id, "configs", entry.name),
        links.crn(("broker", broker_id), ("config", entry.name)),
        **config_fields(links, entry),
        broker_id=broker_id,
    )
