"""REST Proxy v3 against the kaspar broker, with httpx and confluent-kafka as the other side."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from tests.integration.rest_proxy_fixture import http, rest_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def cluster(http: httpx.Client) -> str:  # noqa: F811
    """`/v3/clusters/<id>` of the one cluster."""
    clusters = http.get("/v3/clusters").json()
    return f"/v3/clusters/{clusters['data'][0]['cluster_id']}"


def read_back(bootstrap: str, topic: str, partitions: int, count: int) -> list[Any]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "read-back"})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    try:
        messages: list[Any] = []
        for _ in range(100):
            messages += [m for m in consumer.consume(count, timeout=0.2) if m.error() is None]
            if len(messages) >= count:
                return messages
        return messages
    finally:
        consumer.close()


def test_cluster_and_brokers(http: httpx.Client, cluster: str, kaspar_broker: Any) -> None:  # noqa: F811
    listing = http.get("/v3/clusters").json()
    assert listing["kind"] == "KafkaClusterList"
    body = http.get(cluster).json()
    cluster_id = body["cluster_id"]
    assert body["kind"] == "KafkaCluster"
    assert body["metadata"]["resource_name"] == f"crn:///kafka={cluster_id}"
    assert body["metadata"]["self"].endswith(cluster)
    assert body["topics"]["related"].endswith(f"{cluster}/topics")
    assert http.get("/v3/clusters/no-such-cluster").status_code == 404
    brokers = http.get(f"{cluster}/brokers").json()
    assert brokers["kind"] == "KafkaBrokerList"
    broker = brokers["data"][0]
    assert f"{broker['host']}:{broker['port']}" == kaspar_broker.bootstrap_servers
    one = http.get(f"{cluster}/brokers/{broker['broker_id']}").json()
    assert one["kind"] == "KafkaBroker" and one["configs"]["related"].endswith("/configs")
    missing = http.get(f"{cluster}/brokers/999")
    assert missing.status_code == 404 and missing.json()["error_code"] == 404


def test_topic_lifecycle(http: httpx.Client, cluster: str, topic_name: str) -> None:  # noqa: F811
    configs = [{"name": "retention.ms", "value": "3600000"}]
    request = {"topic_name": topic_name, "partitions_count": 3, "configs": configs}
    created = http.post(f"{cluster}/topics", json=request)
    assert created.status_code == 201, created.text
    assert created.json()["partitions_count"] == 3
    assert created.json()["metadata"]["resource_name"].endswith(f"/topic={topic_name}")
    again = http.post(f"{cluster}/topics", json=request)
    assert (again.status_code, again.json()["error_code"]) == (400, 40002)
    topic = http.get(f"{cluster}/topics/{topic_name}").json()
    assert topic["kind"] == "KafkaTopic" and topic["replication_factor"] == 1
    names = [t["topic_name"] for t in http.get(f"{cluster}/topics").json()["data"]]
    assert topic_name in names
    partitions = http.get(f"{cluster}/topics/{topic_name}/partitions").json()
    assert [p["partition_id"] for p in partitions["data"]] == [0, 1, 2]
    partition = http.get(f"{cluster}/topics/{topic_name}/partitions/2").json()
    assert partition["kind"] == "KafkaPartition" and partition["leader"]["related"]
    assert http.get(f"{cluster}/topics/{topic_name}/partitions/7").status_code == 404
    assert http.delete(f"{cluster}/topics/{topic_name}").status_code == 204
    gone = http.get(f"{cluster}/topics/{topic_name}")
    assert gone.status_code == 404 and gone.json()["error_code"] == 40403


def test_topic_and_broker_configs(
    http: httpx.Client,  # noqa: F811
    cluster: str,
    topic_factory: Callable[..., str],
) -> None:
    topic = topic_factory()
    configs = f"{cluster}/topics/{topic}/configs"
    listing = http.get(configs).json()
    assert listing["kind"] == "KafkaTopicConfigList"
    retention = http.get(f"{configs}/retention.ms").json()
    assert retention["kind"] == "KafkaTopicConfig" and retention["is_default"] is True
    assert http.put(f"{configs}/retention.ms", json={"value": "1000"}).status_code == 204
    changed = http.get(f"{configs}/retention.ms").json()
    assert (changed["value"], changed["source"]) == ("1000", "DYNAMIC_TOPIC_CONFIG")
    batch = {
        "data": [
            {"name": "retention.ms", "operation": "DELETE"},
            {"name": "cleanup.policy", "value": "compact"},
        ]
    }
    assert http.post(f"{configs}:alter", json=batch).status_code == 204
    assert http.get(f"{configs}/retention.ms").json()["is_default"] is True
    assert http.get(f"{configs}/cleanup.policy").json()["value"] == "compact"
    assert http.delete(f"{configs}/cleanup.policy").status_code == 204
    assert http.get(f"{configs}/cleanup.policy").json()["value"] == "delete"
    bad = http.put(f"{configs}/retention.ms", json={"value": "soon"})
    assert (bad.status_code, bad.json()["error_code"]) == (400, 40002)
    assert http.get(f"{configs}/no.such.config").status_code == 404
    broker = f"{cluster}/brokers/0/configs"
    entries = http.get(broker).json()
    assert entries["kind"] == "KafkaBrokerConfigList" and entries["data"]
    name = entries["data"][0]["name"]
    assert http.get(f"{broker}/{name}").json()["broker_id"] == 0
    refused = http.post(f"{broker}:alter", json={"data": [{"name": name, "value": "1"}]})
    assert refused.status_code == 400  # the kaspar broker's settings are static


def test_produce_one_record_each_type(
    http: httpx.Client,  # noqa: F811
    cluster: str,
    topic_factory: Callable[..., str],
    kaspar_broker: Any,
) -> None:
    topic = topic_factory(partitions=2)
    records = [
        {"key": {"type": "STRING", "data": "k1"}, "value": {"type": "JSON", "data": {"n": 1}}},
        {
            "key": {"type": "BINARY", "data": base64.b64encode(b"\x00\x01").decode()},
            "value": {"type": "STRING", "data": "plain"},
            "partition_id": 1,
            "headers": [{"name": "h", "value": base64.b64encode(b"hv").decode()}],
            "timestamp": "2024-05-01T12:00:00Z",
        },
        {"value": {"data": [1, 2]}},  # no type: JSON
    ]
    answers = []
    for record in records:
        response = http.post(f"{cluster}/topics/{topic}/records", json=record)
        assert response.status_code == 200, response.text
        answers.append(response.json())
    assert all(a["error_code"] == 200 and a["topic_name"] == topic for a in answers)
    assert answers[0]["key"] == {"type": "STRING", "size": 2}
    assert answers[1]["partition_id"] == 1 and answers[1]["timestamp"] == "2024-05-01T12:00:00.000Z"
    assert answers[2]["key"] is None
    messages = read_back(kaspar_broker.bootstrap_servers, topic, 2, 3)
    by_value = {m.value(): m for m in messages}
    assert set(by_value) == {b'{"n":1}', b"plain", b"[1,2]"}
    second = by_value[b"plain"]
    assert (second.key(), second.partition(), second.headers()) == (b"\x00\x01", 1, [("h", b"hv")])
    assert second.timestamp()[1] == 1714564800000
    assert by_value[b'{"n":1}'].key() == b"k1"


def test_streamed_produce_answers_each_record_in_order(
    http: httpx.Client,  # noqa: F811
    cluster: str,
    topic_factory: Callable[..., str],
    kaspar_broker: Any,
) -> None:
    topic = topic_factory()
    count = 300

    def body() -> Iterator[bytes]:
        for i in range(count):
            yield json.dumps({"value": {"type": "JSON", "data": {"i": i}}}).encode()
            if i == 10:
                yield b'{"value": {"type": "BINARY", "data": "not base64!"}}'

    response = http.post(f"{cluster}/topics/{topic}/records", content=body())
    assert response.status_code == 200
    answers = [json.loads(line) for line in response.text.splitlines()]
    assert len(answers) == count + 1
    assert answers[11]["error_code"] == 42206
    good = answers[:11] + answers[12:]
    assert [a["offset"] for a in good] == list(range(count))
    values = [
        json.loads(m.value())["i"]
        for m in read_back(kaspar_broker.bootstrap_servers, topic, 1, count)
    ]
    assert values == list(range(count))


def test_produce_bad_input(
    http: httpx.Client,  # noqa: F811
    cluster: str,
    topic_factory: Callable[..., str],
) -> None:
    topic = topic_factory()
    records = f"{cluster}/topics/{topic}/records"

    def answer(response: httpx.Response) -> tuple[int, int]:
        return response.status_code, response.json()["error_code"]

    value = {"value": {"type": "JSON", "data": 1}}
    assert answer(http.post(f"{cluster}/topics/no-such-topic-x/records", json=value)) == (
        404,
        40403,
    )
    assert answer(http.post(records, json={"partition_id": 5, **value})) == (404, 40402)
    bad_binary = {"value": {"type": "BINARY", "data": "***"}}
    assert answer(http.post(records, json=bad_binary)) == (422, 42206)
    assert answer(http.post(records, json={"value": {"type": "XML", "data": 1}})) == (400, 400)
    assert answer(http.post(records, content=b"")) == (422, 422)
    assert answer(http.post(records, content=b'{"value": ')) == (400, 400)
    text = http.post(records, content=b"{}", headers={"content-type": "text/plain"})
    assert answer(text) == (415, 415)
    assert answer(http.get(f"{cluster}/no/such/path")) == (404, 404)


def test_consumer_groups_and_lag(
    http: httpx.Client,  # noqa: F811
    cluster: str,
    topic_factory: Callable[..., str],
    kaspar_broker: Any,
) -> None:
    topic = topic_factory(partitions=2)
    producer = Producer({"bootstrap.servers": kaspar_broker.bootstrap_servers})
    for i in range(10):
        producer.produce(topic, b"v", partition=i % 2)
    producer.flush(10)
    group = f"{topic}-group"
    consumer = Consumer(
        {
            "bootstrap.servers": kaspar_broker.bootstrap_servers,
            "group.id": group,
            "client.id": "lag-test",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, 0, 0), TopicPartition(topic, 1, 0)])
    consumer.commit(
        offsets=[TopicPartition(topic, 0, 5), TopicPartition(topic, 1, 2)], asynchronous=False
    )
    try:
        groups = http.get(f"{cluster}/consumer-groups").json()
        assert group in [g["consumer_group_id"] for g in groups["data"]]
        one = http.get(f"{cluster}/consumer-groups/{group}").json()
        assert one["kind"] == "KafkaConsumerGroup" and one["lag_summary"]["related"]
        consumers = http.get(f"{cluster}/consumer-groups/{group}/consumers").json()
        assert consumers["kind"] == "KafkaConsumerList"
        lags = http.get(f"{cluster}/consumer-groups/{group}/lags").json()["data"]
        assert [
            (x["partition_id"], x["current_offset"], x["log_end_offset"], x["lag"]) for x in lags
        ] == [(0, 5, 5, 0), (1, 2, 5, 3)]
        one_lag = http.get(f"{cluster}/consumer-groups/{group}/lags/{topic}/partitions/1").json()
        assert one_lag["kind"] == "KafkaConsumerLag" and one_lag["lag"] == 3
        summary = http.get(f"{cluster}/consumer-groups/{group}/lag-summary").json()
        assert (summary["max_lag"], summary["total_lag"], summary["max_lag_partition_id"]) == (
            3,
            3,
            1,
        )
        assert http.get(f"{cluster}/consumer-groups/no-such-group").status_code == 404
    finally:
        consumer.close()


def test_batch_partitions_offsets_and_assignments(
    http: httpx.Client,  # noqa: F811
    cluster: str,
    topic_factory: Callable[..., str],
    kaspar_broker: Any,
) -> None:
    topic = topic_factory()
    entries = [
        {"id": "a", "value": {"type": "STRING", "data": "one"}},
        {"id": "b", "value": {"type": "BINARY", "data": "***"}},
        {"id": "c", "value": {"type": "JSON", "data": 3}},
    ]
    batch = http.post(f"{cluster}/topics/{topic}/records:batch", json={"entries": entries})
    assert batch.status_code == 207, batch.text
    assert [s["id"] for s in batch.json()["successes"]] == ["a", "c"]
    assert batch.json()["failures"][0]["id"] == "b"
    assert batch.json()["failures"][0]["error_code"] == 42206
    duplicate = {"entries": [entries[0], entries[0]]}
    refused = http.post(f"{cluster}/topics/{topic}/records:batch", json=duplicate)
    assert (refused.status_code, refused.json()["error_code"]) == (422, 42208)
    offsets = http.get(f"{cluster}/topics/{topic}/partitions/0/offset").json()
    assert offsets["kind"] == "KafkaPartitionWithOffsets"
    assert (offsets["earliest_offset"], offsets["latest_offset"]) == (0, 2)
    grown = http.patch(f"{cluster}/topics/{topic}", json={"partitions_count": 3})
    assert grown.status_code == 200 and grown.json()["partitions_count"] == 3
    group = f"{topic}-members"
    consumer = Consumer({"bootstrap.servers": kaspar_broker.bootstrap_servers, "group.id": group})
    consumer.subscribe([topic])
    try:
        members: list[Any] = []
        for _ in range(50):
            consumer.poll(0.2)
            members = http.get(f"{cluster}/consumer-groups/{group}/consumers").json()["data"]
            if members and consumer.assignment():
                break
        consumer_id = members[0]["consumer_id"]
        url = f"{cluster}/consumer-groups/{group}/consumers/{consumer_id}/assignments"
        assignments = http.get(url).json()
        assert assignments["kind"] == "KafkaConsumerAssignmentList"
        assert sorted(a["partition_id"] for a in assignments["data"]) == [0, 1, 2]
        one = http.get(f"{url}/{topic}/partitions/2").json()
        assert one["kind"] == "KafkaConsumerAssignment" and one["lag"]["related"]
    finally:
        consumer.close()
