"""from_protobuf / to_protobuf: descriptor sets, Spark's null-for-unset semantics, modes, and
Confluent's wire format through the kaspar registry (confluent-kafka's ProtobufSerializer in,
a kaspar query with ``valueFormat=protobuf`` out)."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, timestamp_pb2

from kaspar.errors import SparkException, StreamingQueryException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql.protobuf.functions import from_protobuf, to_protobuf
from tests.integration import registry_fixture

registry_broker, registry_url = registry_fixture.registry_broker, registry_fixture.registry_url
Field = descriptor_pb2.FieldDescriptorProto
AT = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=datetime.UTC)


def event_file(name: str) -> descriptor_pb2.FileDescriptorProto:
    """``Event`` with scalars, an enum, a nested message, repeated, a map and a Timestamp."""
    file = descriptor_pb2.FileDescriptorProto(
        name=name,
        package="kaspar.test",
        syntax="proto3",
        dependency=["google/protobuf/timestamp.proto"],
    )
    file.enum_type.add(name="Kind").value.extend(
        [descriptor_pb2.EnumValueDescriptorProto(name=n, number=i) for i, n in enumerate("AB")]
    )
    event = file.message_type.add(name="Event")
    place = event.nested_type.add(name="Place")
    place.field.add(name="x", number=1, type=Field.TYPE_INT32, label=1)
    entry = event.nested_type.add(name="AttrsEntry")
    entry.options.map_entry = True
    entry.field.add(name="key", number=1, type=Field.TYPE_STRING, label=1)
    entry.field.add(name="value", number=2, type=Field.TYPE_INT64, label=1)
    add = event.field.add
    add(name="id", number=1, type=Field.TYPE_INT64, label=1)
    add(name="name", number=2, type=Field.TYPE_STRING, label=1)
    add(name="score", number=3, type=Field.TYPE_DOUBLE, label=1)
    add(name="kind", number=4, type=Field.TYPE_ENUM, type_name=".kaspar.test.Kind", label=1)
    add(
        name="where",
        number=5,
        type=Field.TYPE_MESSAGE,
        type_name=".kaspar.test.Event.Place",
        label=1,
    )
    add(name="tags", number=6, type=Field.TYPE_STRING, label=3)
    add(
        name="attrs",
        number=7,
        type=Field.TYPE_MESSAGE,
        type_name=".kaspar.test.Event.AttrsEntry",
        label=3,
    )
    add(
        name="at",
        number=8,
        type=Field.TYPE_MESSAGE,
        type_name=".google.protobuf.Timestamp",
        label=1,
    )
    add(name="raw", number=9, type=Field.TYPE_BYTES, label=1)
    return file


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


@pytest.fixture(scope="module")
def events() -> tuple[bytes, Any]:
    """(a descriptor set with the Event file and its import, the Event message class)."""
    file = event_file(f"event_{uuid.uuid4().hex[:8]}.proto")
    timestamp = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(timestamp)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(timestamp)
    pool.Add(file)
    files = descriptor_pb2.FileDescriptorSet(file=[timestamp, file])
    event = message_factory.GetMessageClass(pool.FindMessageTypeByName("kaspar.test.Event"))
    return files.SerializeToString(), event


def an_event(event: Any) -> Any:
    message = event(id=7, name="seven", score=1.5, kind=1, tags=["a", "b"], raw=b"\x01")
    message.where.x = 3
    message.attrs["k"] = 9
    message.at.FromDatetime(AT)
    return message


def test_from_protobuf_types_values_and_unset_fields(
    spark: SparkSession, events: tuple[bytes, Any]
) -> None:
    descriptors, event = events
    values = [(an_event(event).SerializeToString(),), (event(id=1).SerializeToString(),), (None,)]
    df = spark.createDataFrame(values, "value binary")
    decoded = df.select(from_protobuf("value", "Event", binaryDescriptorSet=descriptors).alias("e"))
    assert decoded.schema.simpleString() == (
        "struct<e:struct<id:bigint,name:string,score:double,kind:string,where:struct<x:int>,"
        "tags:array<string>,attrs:map<string,bigint>,at:timestamp,raw:binary>>"
    )
    full, sparse, missing = (r.e for r in decoded.collect())
    assert (full.id, full.name, full.score, full.kind, full.where.x, full.tags, full.attrs) == (
        7, "seven", 1.5, "B", 3, ["a", "b"], {"k": 9}
    )  # fmt: skip
    assert full.at.timestamp() == AT.timestamp()
    assert bytes(full.raw) == b"\x01"
    # Spark's default (emit.default.values false): fields a message does not hold are NULL
    assert sparse.asDict() == {
        "id": 1, "name": None, "score": None, "kind": None, "where": None, "tags": None,
        "attrs": None, "at": None, "raw": None,
    }  # fmt: skip
    assert missing is None


def test_to_protobuf_round_trip_with_a_descriptor_file(
    spark: SparkSession, events: tuple[bytes, Any], tmp_path: Path
) -> None:
    descriptors, event = events
    path = tmp_path / "events.desc"
    path.write_bytes(descriptors)
    df = spark.createDataFrame([(an_event(event).SerializeToString(),)], "value binary")
    decoded = df.select(from_protobuf("value", "kaspar.test.Event", str(path)).alias("e"))
    encoded = decoded.select(to_protobuf("e", "kaspar.test.Event", str(path)).alias("v"))
    assert event.FromString(bytes(encoded.collect()[0].v)) == an_event(event)


def test_malformed_failfast_and_permissive(spark: SparkSession, events: tuple[bytes, Any]) -> None:
    descriptors, _ = events
    df = spark.createDataFrame([(b"\x0a\xff\xff",)], "value binary")
    with pytest.raises(SparkException, match="Parse Mode: FAILFAST") as failed:
        df.select(from_protobuf("value", "Event", binaryDescriptorSet=descriptors)).collect()
    assert failed.value.getCondition() == "MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION"
    permissive = df.select(
        from_protobuf(
            "value", "Event", options={"mode": "PERMISSIVE"}, binaryDescriptorSet=descriptors
        )
    )
    assert [r[0] for r in permissive.collect()] == [None]


def order_class() -> Any:
    file = descriptor_pb2.FileDescriptorProto(
        name=f"order_{uuid.uuid4().hex[:8]}.proto", package="kaspar.test", syntax="proto3"
    )
    file.message_type.add(name="Other").field.add(
        name="z", number=1, type=Field.TYPE_INT32, label=1
    )
    message = file.message_type.add(name="Order")
    message.field.add(name="id", number=1, type=Field.TYPE_INT64, label=1)
    message.field.add(name="item", number=2, type=Field.TYPE_STRING, label=1)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("kaspar.test.Order"))


def test_kafka_source_value_format_protobuf_into_memory(
    spark: SparkSession, registry_broker: Any, registry_url: str, tmp_path: Path
) -> None:
    servers = registry_broker.bootstrap_servers
    topic = f"proto-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": servers})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(15)
    order = order_class()
    with SchemaRegistryClient({"url": registry_url}) as client:
        serializer = ProtobufSerializer(order, client, {"use.deprecated.format": False})
        context = SerializationContext(topic, MessageField.VALUE)
        producer = Producer({"bootstrap.servers": servers, "acks": "all"})
        for i, item in enumerate(["pen", "ink"]):
            producer.produce(topic, value=serializer(order(id=i + 1, item=item), context))
        producer.produce(topic, value=b"\x00\x00\x0f\x42\x40\x00\x08\x01")  # unknown schema id
        assert producer.flush(15) == 0

    def run(mode: str, name: str) -> Any:
        return (
            spark.readStream.format("kafka")
            .option("kafka.bootstrap.servers", servers)
            .option("subscribe", topic)
            .option("startingOffsets", "earliest")
            .option("valueFormat", "protobuf")
            .option("valueMessageName", "Order")
            .option("schema.registry.url", registry_url)
            .option("mode", mode)
            .load()
            .select("offset", "value")
            .writeStream.format("memory")
            .queryName(name)
            .option("checkpointLocation", str(tmp_path / name))
            .trigger(availableNow=True)
            .start()
        )

    assert run("PERMISSIVE", "proto_orders").awaitTermination(30)
    rows = spark.sql("select value from proto_orders order by offset").collect()
    assert [r.value for r in rows] == [(1, "pen"), (2, "ink"), None]
    with pytest.raises(StreamingQueryException, match="schema id 1000000 is not in the schema"):
        run("FAILFAST", "proto_failfast").awaitTermination(30)


def test_to_protobuf_with_registry_is_read_by_confluents_deserializer(
    spark: SparkSession, registry_url: str
) -> None:
    order = order_class()
    descriptors = descriptor_pb2.FileDescriptorSet()
    order.DESCRIPTOR.file.CopyToProto(descriptors.file.add())
    subject = f"proto-{uuid.uuid4().hex[:8]}-value"
    options = {"schema.registry.address": registry_url, "schema.registry.subject": subject}
    df = spark.createDataFrame([(5, "cup")], "id long, item string")
    encoded = df.select(
        to_protobuf(
            F.struct("id", "item"), "Order", options=options,
            binaryDescriptorSet=descriptors.SerializeToString(),
        ).alias("v")
    )  # fmt: skip
    value = bytes(encoded.collect()[0].v)
    deserializer = ProtobufDeserializer(order, {"use.deprecated.format": False})
    read = deserializer(value, SerializationContext("t", MessageField.VALUE))
    assert (read.id, read.item) == (5, "cup")
    back = encoded.select(from_protobuf("v", "Order", options=options).alias("o")).select("o.*")
    assert [tuple(r) for r in back.collect()] == [(5, "cup")]
