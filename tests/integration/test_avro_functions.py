"""from_avro / to_avro: Spark's semantics on plain Avro binary, and Confluent's wire format
through the kaspar registry (confluent-kafka's AvroSerializer in, a kaspar query out)."""

from __future__ import annotations

import datetime
import decimal
import io
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import fastavro
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from kaspar.errors import AnalysisException, SparkException, StreamingQueryException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql.avro.functions import from_avro, to_avro
from tests.integration import registry_fixture

registry_broker, registry_url = registry_fixture.registry_broker, registry_fixture.registry_url

RICH = {
    "type": "record",
    "name": "Event",
    "namespace": "kaspar.test",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "ok", "type": "boolean"},
        {"name": "name", "type": ["null", "string"], "default": None},
        {"name": "score", "type": "float"},
        {"name": "raw", "type": "bytes"},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {
            "name": "price",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
        },
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "int"}},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 2}},
        {"name": "either", "type": ["null", "int", "string"]},
        {
            "name": "where",
            "type": {"type": "record", "name": "Place", "fields": [{"name": "x", "type": "int"}]},
        },
    ],
}
AT = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=datetime.UTC)
EVENT = {
    "id": 7,
    "ok": True,
    "name": "seven",
    "score": 1.5,
    "raw": b"\x01\x02",
    "day": datetime.date(2024, 5, 6),
    "at": AT,
    "price": decimal.Decimal("12.34"),
    "tags": ["a", "b"],
    "attrs": {"k": 1},
    "kind": "B",
    "hash": b"ab",
    "either": "text",
    "where": {"x": 3},
}
ORDER_V1 = {
    "type": "record",
    "name": "Order",
    "namespace": "kaspar.test",
    "fields": [{"name": "id", "type": "long"}, {"name": "item", "type": "string"}],
}
ORDER_V2 = {
    **ORDER_V1,
    "fields": [*ORDER_V1["fields"], {"name": "qty", "type": "int", "default": 1}],
}


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


def avro_bytes(schema: dict[str, Any], value: Any) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), value)
    return out.getvalue()


def test_from_avro_gives_sparks_types_and_values(spark: SparkSession) -> None:
    df = spark.createDataFrame([(avro_bytes(RICH, EVENT),), (None,)], "value binary")
    decoded = df.select(from_avro("value", json.dumps(RICH)).alias("e"))
    assert decoded.schema.simpleString() == (
        "struct<e:struct<id:bigint,ok:boolean,name:string,score:float,raw:binary,day:date,"
        "at:timestamp,price:decimal(9,2),tags:array<string>,attrs:map<string,int>,kind:string,"
        "hash:binary,either:struct<member0:int,member1:string>,where:struct<x:int>>>"
    )
    first, second = decoded.collect()
    assert second.e is None
    e = first.e
    assert (e.id, e.ok, e.name, e.score, bytes(e.raw), e.day) == (
        7, True, "seven", 1.5, b"\x01\x02", datetime.date(2024, 5, 6)
    )  # fmt: skip
    assert e.at.timestamp() == AT.timestamp()  # a local time, as PySpark collects it
    assert (e.price, e.tags, e.attrs, e.kind, bytes(e.hash)) == (
        decimal.Decimal("12.34"), ["a", "b"], {"k": 1}, "B", b"ab"
    )  # fmt: skip
    assert e.either.asDict() == {"member0": None, "member1": "text"}
    assert e.where.x == 3


def test_to_avro_round_trip_and_bytes_fastavro_reads(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1, "a", 2.5), (2, None, None)], "id long, name string, s double")
    encoded = df.select(to_avro(F.struct("id", "name", "s")).alias("v"))
    # Spark's toAvroType: a struct is a record "topLevelRecord", nullable fields [type, "null"]
    schema = {
        "type": "record",
        "name": "topLevelRecord",
        "fields": [
            {"name": "id", "type": ["long", "null"]},
            {"name": "name", "type": ["string", "null"]},
            {"name": "s", "type": ["double", "null"]},
        ],
    }
    parsed = fastavro.parse_schema(schema)
    rows = [fastavro.schemaless_reader(io.BytesIO(r.v), parsed, None) for r in encoded.collect()]
    assert rows == [{"id": 1, "name": "a", "s": 2.5}, {"id": 2, "name": None, "s": None}]
    back = encoded.select(from_avro("v", json.dumps(schema)).alias("r")).select("r.*")
    assert [tuple(r) for r in back.collect()] == [(1, "a", 2.5), (2, None, None)]


def test_to_avro_with_a_schema_writes_it(spark: SparkSession) -> None:
    df = spark.createDataFrame([(5, "pen")], "id long, item string")
    encoded = df.select(to_avro(F.struct("id", "item"), json.dumps(ORDER_V1)).alias("v"))
    assert bytes(encoded.collect()[0].v) == avro_bytes(ORDER_V1, {"id": 5, "item": "pen"})


def test_malformed_failfast_raises_and_permissive_gives_null(spark: SparkSession) -> None:
    good = avro_bytes(ORDER_V1, {"id": 1, "item": "x"})
    df = spark.createDataFrame([(good,), (b"\x02\xff\xff\xff",)], "value binary")
    with pytest.raises(SparkException) as failed:
        df.select(from_avro("value", json.dumps(ORDER_V1))).collect()
    assert failed.value.getCondition() == "MALFORMED_RECORD_IN_PARSING.WITHOUT_SUGGESTION"
    assert "Parse Mode: FAILFAST" in str(failed.value)
    rows = df.select(from_avro("value", json.dumps(ORDER_V1), {"mode": "PERMISSIVE"}).alias("o"))
    assert [r.o for r in rows.collect()] == [(1, "x"), None]
    with pytest.raises(AnalysisException, match="PARSE_MODE_UNSUPPORTED"):
        from_avro("value", json.dumps(ORDER_V1), {"mode": "DROPMALFORMED"})


def test_pyspark_import_path_under_activation() -> None:
    code = (
        "import kaspar; kaspar.activate()\n"
        "from pyspark.sql.avro.functions import from_avro, to_avro\n"
        "from pyspark.sql.protobuf.functions import from_protobuf, to_protobuf\n"
        "print(from_avro.__module__, from_protobuf.__module__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.split() == ["kaspar.sql.avro.functions", "kaspar.sql.protobuf.functions"]


def test_pyspark_parity() -> None:
    pytest.skip(
        "PySpark parity needs spark-avro, an external Spark module that pip's pyspark does not "
        "bundle (no org.apache.spark.sql.avro jar here, and no network to fetch it)"
    )


# Through the registry: Confluent's wire format.


def new_topic(servers: str) -> str:
    topic = f"avro-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": servers})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(15)
    return topic


def produce_avro(
    servers: str, url: str, topic: str, schema: dict[str, Any], values: list[Any]
) -> None:
    with SchemaRegistryClient({"url": url}) as client:
        serializer = AvroSerializer(client, json.dumps(schema))
        context = SerializationContext(topic, MessageField.VALUE)
        producer = Producer({"bootstrap.servers": servers, "acks": "all"})
        for value in values:
            producer.produce(topic, value=serializer(value, context))
        assert producer.flush(15) == 0


def registry_stream(spark: SparkSession, servers: str, topic: str, url: str, **options: str) -> Any:
    """A Kafka stream of ``topic`` from the start, values framed by the registry at ``url``."""
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("schema.registry.url", url)
    )
    for key, value in options.items():
        reader = reader.option(key, value)
    return reader.load()


def test_kafka_source_value_format_avro_into_delta(
    spark: SparkSession, registry_broker: Any, registry_url: str, tmp_path: Path
) -> None:
    servers = registry_broker.bootstrap_servers
    topic = new_topic(servers)
    produce_avro(servers, registry_url, topic, ORDER_V1, [{"id": 1, "item": "pen"}])
    # a newer writer schema, and the reader (the subject's latest) resolves both
    produce_avro(servers, registry_url, topic, ORDER_V2, [{"id": 2, "item": "ink", "qty": 5}])
    stream = registry_stream(spark, servers, topic, registry_url, valueFormat="avro")
    assert stream.schema["value"].dataType.simpleString() == "struct<id:bigint,item:string,qty:int>"
    table = str(tmp_path / "orders")
    query = (
        stream.select("value.*")
        .writeStream.format("delta")
        .option("checkpointLocation", str(tmp_path / "ckpt"))
        .trigger(availableNow=True)
        .start(table)
    )
    assert query.awaitTermination(30)
    rows = spark.read.format("delta").load(table).orderBy("id").collect()
    assert [tuple(r) for r in rows] == [(1, "pen", 1), (2, "ink", 5)]


def test_from_avro_with_registry_options_on_a_batch_read(
    spark: SparkSession, registry_broker: Any, registry_url: str
) -> None:
    servers = registry_broker.bootstrap_servers
    topic = new_topic(servers)
    produce_avro(servers, registry_url, topic, ORDER_V1, [{"id": 3, "item": "cup"}])
    records = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .load()
    )
    options = {"schemaRegistryAddress": registry_url, "schema.registry.subject": f"{topic}-value"}
    decoded = records.select(from_avro("value", None, options).alias("o")).select("o.*")
    assert [tuple(r) for r in decoded.collect()] == [(3, "cup")]


def test_to_avro_with_registry_is_read_by_confluents_deserializer(
    spark: SparkSession, registry_url: str
) -> None:
    subject = f"written-{uuid.uuid4().hex[:8]}-value"
    df = spark.createDataFrame([(9, "hat")], "id long, item string")
    encoded = df.select(
        to_avro(
            F.struct("id", "item"),
            json.dumps(ORDER_V1),
            {"schema.registry.url": registry_url, "schema.registry.subject": subject},
        ).alias("v")
    )
    value = bytes(encoded.collect()[0].v)
    assert value[0] == 0
    with SchemaRegistryClient({"url": registry_url}) as client:
        read = AvroDeserializer(client)(value, SerializationContext("t", MessageField.VALUE))
    assert read == {"id": 9, "item": "hat"}


def test_unknown_schema_id_fails_the_query_or_gives_null(
    spark: SparkSession, registry_broker: Any, registry_url: str, tmp_path: Path
) -> None:
    servers = registry_broker.bootstrap_servers
    topic = new_topic(servers)
    produce_avro(servers, registry_url, topic, ORDER_V1, [{"id": 1, "item": "pen"}])
    producer = Producer({"bootstrap.servers": servers})
    producer.produce(
        topic, value=b"\x00\x00\x0f\x42\x40" + avro_bytes(ORDER_V1, {"id": 2, "item": "?"})
    )
    producer.produce(topic, value=b"not framed")
    assert producer.flush(15) == 0

    def run(mode: str, name: str) -> Any:
        stream = registry_stream(spark, servers, topic, registry_url, valueFormat="avro", mode=mode)
        return (
            stream.select("offset", "value")
            .writeStream.format("memory")
            .queryName(name)
            .option("checkpointLocation", str(tmp_path / name))
            .trigger(availableNow=True)
            .start()
        )

    failing = run("FAILFAST", "avro_failfast")
    with pytest.raises(StreamingQueryException, match="schema id 1000000 is not in the schema"):
        failing.awaitTermination(30)
    assert run("PERMISSIVE", "avro_permissive").awaitTermination(30)
    rows = spark.sql("select offset, value from avro_permissive order by offset").collect()
    assert [r.value for r in rows] == [(1, "pen"), None, None]
