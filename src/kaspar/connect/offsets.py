"""`GET/PATCH/DELETE /connectors/{name}/offsets` (KIP-875).

A source connector's offsets are its records of the offset topic; a sink connector's are the
committed offsets of its consumer group `connect-<name>`, shown as
`{"partition": {"kafka_topic", "kafka_partition"}, "offset": {"kafka_offset"}}`. Changing
them needs the connector STOPPED (its tasks hold none of them then).
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException
from confluent_kafka import TopicPartition as KafkaPartition
from confluent_kafka.admin import AdminClient

from kaspar.connect.errors import bad_request, rest_error
from kaspar.connect.kafka_store import KafkaStore, client_config

TIMEOUT_S = 15.0
ALTERED = (
    "The Connect framework-managed offsets for this connector have been altered successfully."
    " However, if this connector manages offsets externally, they will need to be manually"
    " altered in the system that the connector uses."
)
RESET = (
    "The Connect framework-managed offsets for this connector have been reset successfully."
    " However, if this connector manages offsets externally, they will need to be manually"
    " reset in the system that the connector uses."
)


def _group(name: str) -> str:
    return f"connect-{name}"


def _admin(store: KafkaStore) -> AdminClient:
    return AdminClient(client_config(store.config, "admin"))


def get_offsets(store: KafkaStore, name: str, kind: str) -> dict[str, Any]:
    if kind != "sink":
        return {"offsets": store.state.connector_offsets(name)}
    request = [ConsumerGroupTopicPartitions(_group(name))]
    try:
        admin = _admin(store)  # kept referenced until the future is done
        result = admin.list_consumer_group_offsets(request)[_group(name)].result(TIMEOUT_S)
    except (KafkaException, TimeoutError) as exc:
        raise rest_error(500, f"Failed to retrieve consumer group offsets: {exc}") from exc
    offsets = [
        {
            "partition": {"kafka_topic": tp.topic, "kafka_partition": tp.partition},
            "offset": {"kafka_offset": tp.offset},
        }
        for tp in result.topic_partitions or []
        if tp.offset >= 0
    ]
    return {"offsets": offsets}


def _entries(body: Any) -> list[tuple[dict[str, Any], Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("offsets"), list):
        raise bad_request("Offsets must be specified in the request body")
    entries = []
    for entry in body["offsets"]:
        partition = entry.get("partition") if isinstance(entry, dict) else None
        if not isinstance(partition, dict):
            raise bad_request("The partition for an offset must be a JSON object")
        offset = entry.get("offset")
        if offset is not None and not isinstance(offset, dict):
            raise bad_request("The offset for a partition must be a JSON object or null")
        entries.append((partition, offset))
    if not entries:
        raise bad_request("The offsets to be altered may not be empty")
    return entries


def alter_offsets(store: KafkaStore, name: str, kind: str, body: Any) -> dict[str, str]:
    entries = _entries(body)
    if kind != "sink":
        store.write_offsets(name, entries, TIMEOUT_S)
        return {"message": ALTERED}
    partitions = []
    for partition, offset in entries:
        try:
            topic, index = partition["kafka_topic"], int(partition["kafka_partition"])
            position = -1 if offset is None else int(offset["kafka_offset"])
        except (KeyError, TypeError, ValueError) as exc:
            raise bad_request(
                "Sink connector offsets need kafka_topic and kafka_partition in the partition"
                " and kafka_offset in the offset"
            ) from exc
        partitions.append(KafkaPartition(topic, index, position))
    to_set = [p for p in partitions if p.offset >= 0]
    if len(to_set) < len(partitions):  # a null offset: the whole group's offsets go, as a reset
        reset_offsets(store, name, kind)
    if to_set:
        request = [ConsumerGroupTopicPartitions(_group(name), to_set)]
        try:
            admin = _admin(store)  # kept referenced until the future is done
            admin.alter_consumer_group_offsets(request)[_group(name)].result(TIMEOUT_S)
        except (KafkaException, TimeoutError) as exc:
            raise rest_error(500, f"Failed to alter consumer group offsets: {exc}") from exc
    return {"message": ALTERED}


def reset_offsets(store: KafkaStore, name: str, kind: str) -> dict[str, str]:
    if kind != "sink":
        stored = store.state.connector_offsets(name)
        store.write_offsets(name, [(entry["partition"], None) for entry in stored], TIMEOUT_S)
        return {"message": RESET}
    try:
        admin = _admin(store)  # kept referenced until the future is done
        admin.delete_consumer_groups([_group(name)])[_group(name)].result(TIMEOUT_S)
    except (KafkaException, TimeoutError) as exc:
        if "GROUP_ID_NOT_FOUND" not in str(exc):
            raise rest_error(500, f"Failed to reset consumer group offsets: {exc}") from exc
    return {"message": RESET}
