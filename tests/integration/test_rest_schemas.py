"""REST Proxy AVRO / JSONSCHEMA data through the kaspar schema registry, read back and written by
confluent-kafka's own serializers."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from kaspar.registry import RegistryConfig, SchemaRegistryServer
from kaspar.rest import RestProxyConfig, create_app
from kaspar.service.asgi_server import AsgiServer

pytestmark = pytest.mark.timeout(60)

V2 = "application/vnd.kafka.v2+json"
USER = json.dumps(
    {
        "type": "record",
        "name": "User",
        "namespace": "kaspar.test",
        "fields": [{"name": "name", "type": "string"}, {"name": "age", "type": "int"}],
    }
)
JSON_SCHEMA = json.dumps(
    {
        "type": "object",
        "title": "Point",
        "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
        "required": ["x", "y"],
    }
)


@pytest.fixture(scope="module")
def registry_url(kaspar_broker: Any) -> Iterator[str]:
    config = RegistryConfig(
        bootstrap_servers=kaspar_broker.bootstrap_servers, listeners="http://127.0.0.1:0"
    )
    server = SchemaRegistryServer(config)
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
def registry_client(registry_url: str) -> Iterator[SchemaRegistryClient]:
    client = SchemaRegistryClient({"url": registry_url})
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def rest(kaspar_broker: Any, registry_url: str) -> Iterator[httpx.Client]:
    config = RestProxyConfig.from_properties(
        {"schema.registry.url": registry_url}, bootstrap_servers=kaspar_broker.bootstrap_servers
    )
    server = AsgiServer(create_app(config), name="rest-schemas")
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield client
    finally:
        server.stop()


def records_path(rest: httpx.Client, topic: str) -> str:
    cluster = rest.get("/v3/clusters").json()["data"][0]["cluster_id"]
    return f"/v3/clusters/{cluster}/topics/{topic}/records"


def read_values(bootstrap: str, topic: str, count: int) -> list[bytes]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "schemas-read"})
    consumer.assign([TopicPartition(topic, 0, 0)])
    values: list[bytes] = []
    try:
        for _ in range(100):
            values += [m.value() for m in consumer.consume(count, 0.2) if m.error() is None]
            if len(values) >= count:
                break
    finally:
        consumer.close()
    return values


def consume_through_instance(rest: httpx.Client, topic: str, fmt: str, count: int) -> list[Any]:
    """A v2 consumer instance of format `fmt` reads `count` records of `topic`, then leaves."""
    group = f"{topic}-{fmt}"
    create = {"name": "c", "format": fmt, "auto.offset.reset": "earliest"}
    rest.post(f"/consumers/{group}", headers={"content-type": V2}, json=create)
    instance = f"/consumers/{group}/instances/c"
    rest.post(f"{instance}/subscription", json={"topics": [topic]})
    accept = {"accept": f"application/vnd.kafka.{fmt}.v2+json"}
    records: list[Any] = []
    for _ in range(60):
        answer = rest.get(f"{instance}/records", params={"timeout": 500}, headers=accept)
        assert answer.status_code == 200, answer.text
        records += answer.json()
        if len(records) >= count:
            break
    rest.delete(instance)
    return records


def test_v3_avro_read_back_by_confluent_deserializer(
    rest: httpx.Client,
    registry_client: SchemaRegistryClient,
    topic_factory: Callable[..., str],
    kaspar_broker: Any,
) -> None:
    topic = topic_factory()
    path = records_path(rest, topic)
    first = rest.post(
        path, json={"value": {"type": "AVRO", "schema": USER, "data": {"name": "ada", "age": 36}}}
    )
    assert first.status_code == 200, first.text
    value = first.json()["value"]
    assert value["type"] == "AVRO" and value["subject"] == f"{topic}-value"
    by_id = {"type": "AVRO", "schema_id": value["schema_id"], "data": {"name": "bob", "age": 7}}
    assert rest.post(path, json={"value": by_id}).json()["error_code"] == 200
    latest = {"subject": f"{topic}-value", "data": {"name": "cy", "age": 1}}  # no type: Avro's
    typed = rest.post(path, json={"value": latest}).json()
    assert (typed["error_code"], typed["value"]["type"]) == (200, "AVRO")
    bad = rest.post(path, json={"value": {**by_id, "data": {"name": 3}}})
    assert (bad.status_code, bad.json()["error_code"]) == (422, 42207)
    deserialize = AvroDeserializer(registry_client)
    context = SerializationContext(topic, MessageField.VALUE)
    raws = read_values(kaspar_broker.bootstrap_servers, topic, 3)
    assert [deserialize(raw, context)["name"] for raw in raws] == ["ada", "bob", "cy"]


def test_v3_jsonschema_and_protobuf(
    rest: httpx.Client,
    registry_client: SchemaRegistryClient,
    topic_factory: Callable[..., str],
    kaspar_broker: Any,
) -> None:
    topic = topic_factory()
    path = records_path(rest, topic)
    value = {"type": "JSONSCHEMA", "schema": JSON_SCHEMA, "data": {"x": 1, "y": 2}}
    answer = rest.post(path, json={"value": value})
    assert answer.status_code == 200, answer.text
    deserialize = JSONDeserializer(None, schema_registry_client=registry_client)
    [raw] = read_values(kaspar_broker.bootstrap_servers, topic, 1)
    assert deserialize(raw, SerializationContext(topic, MessageField.VALUE)) == {"x": 1, "y": 2}


PROTO = """
syntax = "proto3";
package kaspar.test;
import "google/protobuf/timestamp.proto";
message Order {
  string id = 1;
  int64 cents = 2;
  google.protobuf.Timestamp at = 3;
}
"""


def test_protobuf_both_ways(
    rest: httpx.Client,
    registry_client: SchemaRegistryClient,
    topic_factory: Callable[..., str],
    kaspar_broker: Any,
) -> None:
    topic = topic_factory()
    order = {"id": "o-1", "cents": "250", "at": "2024-05-01T12:00:00Z"}
    value = {"type": "PROTOBUF", "schema": PROTO, "data": order}
    answer = rest.post(records_path(rest, topic), json={"value": value})
    assert answer.status_code == 200, answer.text
    schema_id = answer.json()["value"]["schema_id"]
    body = {"value_schema_id": schema_id, "records": [{"value": {"id": "o-2", "cents": 3}}]}
    produced = rest.post(
        f"/topics/{topic}",
        json=body,
        headers={"content-type": "application/vnd.kafka.protobuf.v2+json"},
    )
    assert produced.status_code == 200, produced.text
    records = consume_through_instance(rest, topic, "protobuf", 2)
    assert [r["value"] for r in records] == [order, {"id": "o-2", "cents": "3"}]


def test_v2_avro_produce_and_consume_both_ways(
    rest: httpx.Client,
    registry_client: SchemaRegistryClient,
    topic_factory: Callable[..., str],
    kaspar_broker: Any,
) -> None:
    topic = topic_factory()
    body = {"value_schema": USER, "records": [{"value": {"name": "rest", "age": 2}}]}
    produced = rest.post(
        f"/topics/{topic}",
        json=body,
        headers={"content-type": "application/vnd.kafka.avro.v2+json"},
    )
    assert produced.status_code == 200, produced.text
    assert produced.json()["value_schema_id"] is not None
    mismatch = {"value_schema": USER, "records": [{"value": {"name": 1}}]}
    refused = rest.post(
        f"/topics/{topic}",
        json=mismatch,
        headers={"content-type": "application/vnd.kafka.avro.v2+json"},
    )
    assert (refused.status_code, refused.json()["error_code"]) == (422, 42203)
    serialize = AvroSerializer(registry_client, Schema(USER, "AVRO"))
    producer = Producer({"bootstrap.servers": kaspar_broker.bootstrap_servers})
    context = SerializationContext(topic, MessageField.VALUE)
    producer.produce(topic, serialize({"name": "confluent", "age": 3}, context))
    producer.flush(10)
    records = consume_through_instance(rest, topic, "avro", 2)
    assert [r["value"] for r in records] == [
        {"name": "rest", "age": 2},
        {"name": "confluent", "age": 3},
    ]


NOTE = json.dumps(
    {
        "type": "record",
        "name": "Note",
        "fields": [{"name": "text", "type": ["null", "string"]}, {"name": "raw", "type": "bytes"}],
    }
)


def test_v2_avro_unions_in_avro_json_encoding(
    rest: httpx.Client,
    registry_client: SchemaRegistryClient,
    topic_factory: Callable[..., str],
    kaspar_broker: Any,
) -> None:
    """Union values wrapped as `{"string": "x"}` and bytes as code points, as Confluent's REST
    Proxy takes and answers them; a bare union value is still taken."""
    topic = topic_factory()
    values = [
        {"text": {"string": "wrapped"}, "raw": "\u00ff\u0001"},
        {"text": None, "raw": ""},
        {"text": "bare", "raw": "a"},
    ]
    body = {"value_schema": NOTE, "records": [{"value": value} for value in values]}
    media = {"content-type": "application/vnd.kafka.avro.v2+json"}
    produced = rest.post(f"/topics/{topic}", json=body, headers=media)
    assert produced.status_code == 200, produced.text
    consumer = Consumer(
        {
            "bootstrap.servers": kaspar_broker.bootstrap_servers,
            "group.id": f"{topic}-plain",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    deserialize = AvroDeserializer(registry_client)
    context = SerializationContext(topic, MessageField.VALUE)
    read = [deserialize(m.value(), context) for m in consumer.consume(3, timeout=10)]
    consumer.close()
    assert read == [
        {"text": "wrapped", "raw": b"\xff\x01"},
        {"text": None, "raw": b""},
        {"text": "bare", "raw": b"a"},
    ]
    records = consume_through_instance(rest, topic, "avro", 3)
    assert [r["value"] for r in records] == [
        values[0],
        values[1],
        {"text": {"string": "bare"}, "raw": "a"},
    ]
