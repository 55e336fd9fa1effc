"""confluent-kafka's own serializers round-trip through the kaspar registry and broker:
Avro, JSON Schema and Protobuf values produced with a Producer, consumed back and decoded."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from tests.integration import registry_fixture

registry_broker, registry_url = registry_fixture.registry_broker, registry_fixture.registry_url

FieldProto = descriptor_pb2.FieldDescriptorProto
AVRO_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "namespace": "kaspar.test",
        "fields": [
            {"name": "id", "type": "long"},
            {"name": "item", "type": "string"},
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }
)
JSON_SCHEMA = json.dumps(
    {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Order",
        "type": "object",
        "properties": {"id": {"type": "integer"}, "item": {"type": "string"}},
        "required": ["id"],
    }
)


@pytest.fixture
def client(registry_url: str) -> Iterator[SchemaRegistryClient]:
    with SchemaRegistryClient({"url": registry_url}) as registry_client:
        yield registry_client


def round_trip(
    bootstrap_servers: str,
    serialize: Callable[[Any, SerializationContext], bytes | None],
    deserialize: Callable[[bytes | None, SerializationContext], Any],
    values: list[Any],
) -> list[Any]:
    """`values` serialized, produced to a new topic, consumed back and deserialized."""
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(15)
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap_servers, "acks": "all"})
    for value in values:
        producer.produce(topic, value=serialize(value, context))
    assert producer.flush(15) == 0
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"g-{topic}",
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    read: list[Any] = []
    try:
        for _ in range(200):
            message = consumer.poll(0.2)
            if message is not None and message.error() is None:
                read.append(deserialize(message.value(), context))
            if len(read) == len(values):
                break
    finally:
        consumer.close()
    return read


def test_avro(registry_broker: Any, client: SchemaRegistryClient) -> None:
    values = [{"id": 1, "item": "book", "note": None}, {"id": 2, "item": "pen", "note": "blue"}]
    serializer = AvroSerializer(client, AVRO_SCHEMA)
    deserializer = AvroDeserializer(client)
    assert round_trip(registry_broker.bootstrap_servers, serializer, deserializer, values) == values
    assert any(subject.startswith("orders-") for subject in client.get_subjects())


def test_avro_evolution_through_the_registry(client: SchemaRegistryClient) -> None:
    from confluent_kafka.schema_registry import Schema
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    subject = f"evolving-{uuid.uuid4().hex[:8]}-value"
    first = client.register_schema(subject, Schema(AVRO_SCHEMA, "AVRO"))
    evolved = json.loads(AVRO_SCHEMA)
    evolved["fields"].append({"name": "qty", "type": "int", "default": 1})
    second = client.register_schema(subject, Schema(json.dumps(evolved), "AVRO"))
    assert second != first
    assert client.get_versions(subject) == [1, 2]
    evolved["fields"].append({"name": "price", "type": "double"})
    with pytest.raises(SchemaRegistryError) as raised:
        client.register_schema(subject, Schema(json.dumps(evolved), "AVRO"))
    assert raised.value.http_status_code == 409
    assert client.test_compatibility(subject, Schema(json.dumps(evolved), "AVRO")) is False
    assert client.delete_subject(subject) == [1, 2]
    assert client.delete_subject(subject, permanent=True) == [1, 2]


def test_json_schema(registry_broker: Any, client: SchemaRegistryClient) -> None:
    values = [{"id": 1, "item": "book"}, {"id": 2}]
    serializer = JSONSerializer(JSON_SCHEMA, client)
    deserializer = JSONDeserializer(None, schema_registry_client=client)
    assert round_trip(registry_broker.bootstrap_servers, serializer, deserializer, values) == values


def order_message_class() -> Any:
    """A protobuf message class built at run time (what protoc would generate)."""
    file = descriptor_pb2.FileDescriptorProto(
        name=f"kaspar_test_{uuid.uuid4().hex[:8]}.proto", package="kaspar.test", syntax="proto3"
    )
    message = file.message_type.add(name="Order")
    message.field.add(name="id", number=1, type=FieldProto.TYPE_INT64, label=1)
    message.field.add(name="item", number=2, type=FieldProto.TYPE_STRING, label=1)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("kaspar.test.Order"))


def test_protobuf(registry_broker: Any, client: SchemaRegistryClient) -> None:
    order = order_message_class()
    values = [order(id=1, item="book"), order(id=2, item="pen")]
    serializer = ProtobufSerializer(order, client, {"use.deprecated.format": False})
    deserializer = ProtobufDeserializer(order, {"use.deprecated.format": False})
    read = round_trip(registry_broker.bootstrap_servers, serializer, deserializer, values)
    assert [(o.id, o.item) for o in read] == [(1, "book"), (2, "pen")]
    latest = [client.get_latest_version(subject) for subject in client.get_subjects()]
    registered = [v for v in latest if v.schema.schema_type == "PROTOBUF"]
    assert len(registered) == 1
    assert "message Order {" in registered[0].schema.schema_str  # base64 sent, text answered
