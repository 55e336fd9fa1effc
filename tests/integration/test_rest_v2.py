"""REST Proxy v2 against the kaspar broker: produce, metadata, consumer instances, errors."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from kaspar.rest import RestProxyConfig, create_app
from kaspar.service.asgi_server import AsgiServer
from tests.integration.rest_proxy_fixture import http, rest_url  # noqa: F401 (fixtures)

pytestmark = pytest.mark.timeout(60)

V2 = "application/vnd.kafka.v2+json"


def media(fmt: str) -> dict[str, str]:
    return {"content-type": f"application/vnd.kafka.{fmt}.v2+json", "accept": V2}


def poll_records(http: httpx.Client, instance: str, fmt: str, count: int) -> list[Any]:  # noqa: F811
    """GET .../records until `count` records came (joining the group takes a moment)."""
    records: list[Any] = []
    accept = {"accept": f"application/vnd.kafka.{fmt}.v2+json"}
    for _ in range(60):
        response = http.get(f"{instance}/records", params={"timeout": 500}, headers=accept)
        assert response.status_code == 200, response.text
        records += response.json()
        if len(records) >= count:
            break
    return records


def test_metadata(http: httpx.Client, topic_factory: Callable[..., str]) -> None:  # noqa: F811
    topic = topic_factory(partitions=2)
    assert topic in http.get("/topics").json()
    body = http.get(f"/topics/{topic}").json()
    assert body["name"] == topic and body["configs"]["cleanup.policy"] == "delete"
    assert [p["partition"] for p in body["partitions"]] == [0, 1]
    assert body["partitions"][0]["replicas"][0]["leader"] is True
    assert http.get(f"/topics/{topic}/partitions/1").json()["partition"] == 1
    assert http.get(f"/topics/{topic}/partitions/1/offsets").json() == {
        "beginning_offset": 0,
        "end_offset": 0,
    }
    assert http.get("/brokers").json() == {"brokers": [0]}
    missing = http.get("/topics/no-such-topic-v2")
    assert (missing.status_code, missing.json()["error_code"]) == (404, 40401)
    assert http.get("/topics", headers={"accept": "text/html"}).json()["error_code"] == 40601


def test_produce_binary_and_json_read_back(
    http: httpx.Client,  # noqa: F811
    topic_factory: Callable[..., str],
    kaspar_broker: Any,
) -> None:
    topic = topic_factory(partitions=2)
    binary = {
        "records": [
            {
                "key": base64.b64encode(b"k").decode(),
                "value": base64.b64encode(b"\xff").decode(),
                "partition": 0,
            },
            {"value": base64.b64encode(b"p1").decode(), "partition": 1},
        ]
    }
    answer = http.post(f"/topics/{topic}", json=binary, headers=media("binary"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == V2
    offsets = answer.json()["offsets"]
    assert offsets[1] == {"partition": 1, "offset": 0, "error_code": None, "error": None}
    to_partition = http.post(
        f"/topics/{topic}/partitions/1",
        json={"records": [{"value": {"a": [1]}}]},
        headers=media("json"),
    )
    assert to_partition.json()["offsets"][0]["partition"] == 1
    assert to_partition.json()["offsets"][0]["offset"] == 1
    consumer = Consumer(
        {"bootstrap.servers": kaspar_broker.bootstrap_servers, "group.id": "v2-read"}
    )
    consumer.assign([TopicPartition(topic, 0, 0), TopicPartition(topic, 1, 0)])
    try:
        messages: list[Any] = []
        for _ in range(50):
            messages += [m for m in consumer.consume(10, timeout=0.2) if m.error() is None]
            if len(messages) >= 3:
                break
    finally:
        consumer.close()
    assert sorted((m.partition(), m.key() or b"", m.value()) for m in messages) == [
        (0, b"k", b"\xff"),
        (1, b"", b"p1"),
        (1, b"", b'{"a":[1]}'),
    ]


def test_partial_batch_says_which_records_failed(
    http: httpx.Client,  # noqa: F811
    topic_factory: Callable[..., str],
) -> None:
    # keyless records are refused by a compacted topic; the broker refuses a whole batch, so the
    # keyless record goes to a partition (a batch) of its own
    topic = topic_factory(partitions=2, config={"cleanup.policy": "compact"})
    records = {
        "records": [
            {"key": "a", "value": 1, "partition": 0},
            {"value": 2, "partition": 1},
            {"key": "b", "value": 3, "partition": 0},
        ]
    }
    offsets = http.post(f"/topics/{topic}", json=records, headers=media("json")).json()["offsets"]
    assert [o["error_code"] for o in offsets] == [None, 1, None]
    assert offsets[1]["error"] and offsets[0]["offset"] is not None


def test_consumer_instance_flow(
    http: httpx.Client,  # noqa: F811
    topic_factory: Callable[..., str],
    kaspar_broker: Any,
) -> None:
    topic = topic_factory()
    producer = Producer({"bootstrap.servers": kaspar_broker.bootstrap_servers})
    for i in range(5):
        producer.produce(topic, json.dumps({"i": i}).encode(), key=b"%d" % i)
    producer.flush(10)
    group = f"{topic}-g"
    created = http.post(
        f"/consumers/{group}",
        headers={"content-type": V2},
        json={
            "name": "one",
            "format": "json",
            "auto.offset.reset": "earliest",
            "auto.commit.enable": "false",
        },
    )
    assert created.status_code == 200, created.text
    instance = f"/consumers/{group}/instances/one"
    assert created.json() == {
        "instance_id": "one",
        "base_uri": f"{http.base_url}".rstrip("/") + instance,
    }
    duplicate = http.post(f"/consumers/{group}", json={"name": "one"}, headers={"content-type": V2})
    assert (duplicate.status_code, duplicate.json()["error_code"]) == (409, 40902)
    assert http.post(f"{instance}/subscription", json={"topics": [topic]}).status_code == 204
    assert http.get(f"{instance}/subscription").json() == {"topics": [topic]}
    wrong = http.get(
        f"{instance}/records", headers={"accept": "application/vnd.kafka.binary.v2+json"}
    )
    assert (wrong.status_code, wrong.json()["error_code"]) == (406, 40601)
    records = poll_records(http, instance, "json", 5)
    assert [r["value"] for r in records] == [{"i": i} for i in range(5)]
    assert records[0]["topic"] == topic and records[0]["offset"] == 0
    commit = {"offsets": [{"topic": topic, "partition": 0, "offset": records[2]["offset"]}]}
    assert http.post(f"{instance}/offsets", json=commit).status_code == 200
    committed = http.request(
        "GET", f"{instance}/offsets", json={"partitions": [{"topic": topic, "partition": 0}]}
    )
    assert committed.json()["offsets"][0]["offset"] == 3
    assert http.post(f"{instance}/offsets").status_code == 200  # everything consumed
    admin = AdminClient({"bootstrap.servers": kaspar_broker.bootstrap_servers})
    from confluent_kafka import ConsumerGroupTopicPartitions

    future = admin.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)])[group]
    assert [tp.offset for tp in future.result(10).topic_partitions] == [5]
    assert http.delete(f"{instance}/subscription").status_code == 204
    assert http.delete(instance).status_code == 204
    gone = http.get(f"{instance}/subscription")
    assert (gone.status_code, gone.json()["error_code"]) == (404, 40403)


def test_assign_and_seek(
    http: httpx.Client,  # noqa: F811
    topic_factory: Callable[..., str],
) -> None:
    topic = topic_factory()
    values = [base64.b64encode(b"r%d" % i).decode() for i in range(4)]
    http.post(
        f"/topics/{topic}",
        json={"records": [{"value": v} for v in values]},
        headers=media("binary"),
    )
    group = f"{topic}-a"
    http.post(
        f"/consumers/{group}", json={"name": "a", "format": "binary"}, headers={"content-type": V2}
    )
    instance = f"/consumers/{group}/instances/a"
    partitions = {"partitions": [{"topic": topic, "partition": 0}]}
    assert http.post(f"{instance}/assignments", json=partitions).status_code == 204
    assert http.get(f"{instance}/assignments").json() == partitions
    refused = http.post(f"{instance}/subscription", json={"topics": [topic]})
    assert refused.status_code == 409
    assert http.post(f"{instance}/positions/beginning", json=partitions).status_code == 204
    assert [r["value"] for r in poll_records(http, instance, "binary", 4)] == values
    seek = {"offsets": [{"topic": topic, "partition": 0, "offset": 2}]}
    assert http.post(f"{instance}/positions", json=seek).status_code == 204
    assert [r["offset"] for r in poll_records(http, instance, "binary", 2)] == [2, 3]
    assert http.post(f"{instance}/positions/end", json=partitions).status_code == 204
    assert http.delete(instance).status_code == 204


def test_bad_input(http: httpx.Client, topic_factory: Callable[..., str]) -> None:  # noqa: F811
    topic = topic_factory()

    def code(response: httpx.Response) -> tuple[int, int]:
        return response.status_code, response.json()["error_code"]

    records = {"records": [{"value": 1}]}
    assert code(
        http.post(f"/topics/{topic}", json=records, headers={"content-type": "text/plain"})
    ) == (415, 41501)
    assert code(http.post("/topics/no-such-topic-v2b", json=records, headers=media("json"))) == (
        404,
        40401,
    )
    assert code(
        http.post(f"/topics/{topic}/partitions/9", json=records, headers=media("json"))
    ) == (404, 40402)
    assert code(
        http.post(f"/topics/{topic}", json={"records": [{"value": "***"}]}, headers=media("binary"))
    ) == (422, 42206)
    assert code(
        http.post(
            f"/topics/{topic}", json={"records": [{"value": {"a": 1}}]}, headers=media("avro")
        )
    ) == (422, 42202)
    assert code(
        http.post(
            f"/topics/{topic}",
            json={"records": [{"key": 1, "value": {"a": 1}}], "value_schema_id": 1},
            headers=media("avro"),
        )
    ) == (422, 42201)
    assert code(
        http.post("/consumers/g", json={"format": "xml"}, headers={"content-type": V2})
    ) == (422, 42204)
    assert code(http.get("/consumers/g/instances/nobody/records")) == (404, 40403)


def test_instances_expire(kaspar_broker: Any, topic_factory: Callable[..., str]) -> None:
    config = RestProxyConfig.from_properties(
        {"consumer.instance.timeout.ms": "300"}, bootstrap_servers=kaspar_broker.bootstrap_servers
    )
    server = AsgiServer(create_app(config), name="rest-expiry")
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            client.post("/consumers/gx", json={"name": "soon"}, headers={"content-type": V2})
            time.sleep(2.0)  # untouched for many timeouts (any request would renew it)
            status = client.get("/consumers/gx/instances/soon/subscription").status_code
            assert status == 404
    finally:
        server.stop()
