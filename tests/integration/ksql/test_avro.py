"""AVRO and JSON_SR through the kaspar schema registry: a stream's values are read with the
schema each value names, a CSAS writes values framed with the id of the schema it registers
under `<topic>-value` (for AVRO ksqlDB's record `KsqlDataSourceSchema`, every field optional)."""

from __future__ import annotations

import io
import json
import struct
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import httpx
import pytest

from kaspar.registry import SchemaRegistryServer
from tests.integration.ksql.conftest import Ksql, ksql_serving
from tests.integration.registry_fixture import registry_config


@pytest.fixture(scope="module")
def avro_ksql(kaspar_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ksql]:
    servers = kaspar_broker.bootstrap_servers
    topic = f"_schemas-{uuid.uuid4().hex[:8]}"
    registry = SchemaRegistryServer(registry_config(servers, topic))
    registry_url = registry.start()
    data_dir = Path(tmp_path_factory.mktemp("ksql-avro"))
    properties = {"ksql.schema.registry.url": registry_url}
    try:
        with ksql_serving(servers, data_dir, "avro", **properties) as ksql:
            ksql.registry = registry_url  # type: ignore[attr-defined]
            yield ksql
    finally:
        registry.stop()


def decode(registry: str, framed: bytes) -> tuple[dict[str, Any], Any]:
    """(the schema the frame names, the value)."""
    assert framed[0] == 0
    (schema_id,) = struct.unpack(">i", framed[1:5])
    schema = json.loads(httpx.get(f"{registry}/schemas/ids/{schema_id}").json()["schema"])
    value = fastavro.schemaless_reader(io.BytesIO(framed[5:]), fastavro.parse_schema(schema))
    return schema, value


def test_avro_in_and_out(avro_ksql: Ksql) -> None:
    ksql, name = avro_ksql, f"A{uuid.uuid4().hex[:6].upper()}"
    registry: str = ksql.registry  # type: ignore[attr-defined]
    ksql.run(
        f"CREATE STREAM {name} (id STRING KEY, amount DOUBLE, tags ARRAY<STRING>, "
        f"item STRUCT<sku STRING>) WITH (kafka_topic='{name.lower()}', value_format='AVRO', "
        "partitions=1);"
        f"INSERT INTO {name} (id, amount, tags, item, ROWTIME) VALUES "
        "('o1', 2.5, ARRAY['a'], STRUCT(sku := 'x'), 1000);"
        f"INSERT INTO {name} (id, amount, ROWTIME) VALUES ('o2', 30, 2000);"
    )
    ksql.run(
        f"CREATE STREAM {name}_BIG AS SELECT id, amount * 2 AS twice, item->sku AS sku "
        f"FROM {name} WHERE amount > 1 EMIT CHANGES;",
        **{"auto.offset.reset": "earliest"},
    )
    records = ksql.read(f"{name}_BIG", 2)
    assert [(key, ts) for key, _, ts in records] == [(b"o1", 1_000), (b"o2", 2_000)]
    schema, first = decode(registry, records[0][1])
    assert (schema["name"], schema["namespace"]) == (
        "KsqlDataSourceSchema", "io.confluent.ksql.avro_schemas"
    )  # fmt: skip
    assert [f["name"] for f in schema["fields"]] == ["TWICE", "SKU"]
    assert first == {"TWICE": 5.0, "SKU": "x"}
    assert decode(registry, records[1][1])[1] == {"TWICE": 60.0, "SKU": None}
    subjects = httpx.get(f"{registry}/subjects").json()
    assert {f"{name.lower()}-value", f"{name}_BIG-value"} <= set(subjects)
    scan = ksql.http.post("/query-stream", json={"sql": f"SELECT * FROM {name};"})
    _, *rows = [json.loads(line) for line in scan.text.splitlines()]
    assert rows == [["o1", 2.5, ["a"], {"SKU": "x"}], ["o2", 30.0, None, None]]
    ksql.run(  # the value columns inferred from the registered schema
        f"CREATE STREAM {name}_INFERRED (id STRING KEY) WITH (kafka_topic='{name.lower()}', "
        "value_format='AVRO');"
    )
    described = ksql.run(f"DESCRIBE {name}_INFERRED;")[0]["sourceDescription"]
    assert [(f["name"], f["schema"]["type"]) for f in described["fields"]] == [
        ("ID", "STRING"), ("AMOUNT", "DOUBLE"), ("TAGS", "ARRAY"), ("ITEM", "STRUCT"),
    ]  # fmt: skip
    ksql.run("TERMINATE ALL;")


def test_avro_without_a_registry_is_refused(ksql: Ksql, name: str) -> None:
    status, error = ksql.fail(
        f"CREATE STREAM {name} (id STRING KEY, n INT) WITH (kafka_topic='{name.lower()}', "
        f"value_format='AVRO', partitions=1); INSERT INTO {name} (id, n) VALUES ('k', 1);"
    )
    assert (status, error["error_code"]) == (428, 42801)
    assert "'ksql.schema.registry.url' is not set" in error["message"]


@pytest.mark.parametrize(
    ("value_format", "schema_type"), [("JSON_SR", "JSON"), ("PROTOBUF", "PROTOBUF")]
)
def test_registry_format_out_and_back(avro_ksql: Ksql, value_format: str, schema_type: str) -> None:
    """A CSAS writes the format (framed, its schema registered); a stream over that topic in
    the same format reads it back."""
    ksql, name = avro_ksql, f"F{uuid.uuid4().hex[:6].upper()}"
    registry: str = ksql.registry  # type: ignore[attr-defined]
    columns = "id STRING KEY, n INT, tags ARRAY<STRING>, item STRUCT<sku STRING, qty BIGINT>"
    ksql.run(
        f"CREATE STREAM {name} ({columns}) WITH (kafka_topic='{name.lower()}', "
        "value_format='JSON', partitions=1);"
        f"INSERT INTO {name} (id, n, tags, item, ROWTIME) VALUES "
        "('a', 7, ARRAY['x', 'y'], STRUCT(sku := 's1', qty := 3), 1000);"
    )
    ksql.run(
        f"CREATE STREAM {name}_OUT WITH (value_format='{value_format}') AS SELECT * FROM {name};",
        **{"auto.offset.reset": "earliest"},
    )
    ((key, framed, timestamp),) = ksql.read(f"{name}_OUT", 1)
    assert (key, timestamp, framed[:1]) == (b"a", 1_000, b"\x00")
    (schema_id,) = struct.unpack(">i", framed[1:5])
    registered = httpx.get(f"{registry}/schemas/ids/{schema_id}").json()
    assert registered["schemaType"] == schema_type
    if value_format == "JSON_SR":
        assert json.loads(framed[5:]) == {
            "N": 7,
            "TAGS": ["x", "y"],
            "ITEM": {"SKU": "s1", "QTY": 3},
        }
    else:
        assert "message ConnectDefault1" in registered["schema"]
    ksql.run(
        f"CREATE STREAM {name}_BACK ({columns}) WITH (kafka_topic='{name}_OUT', "
        f"value_format='{value_format}');"
    )
    scan = ksql.http.post("/query-stream", json={"sql": f"SELECT * FROM {name}_BACK;"})
    rows = [json.loads(line) for line in scan.text.splitlines()][1:]
    assert rows == [["a", 7, ["x", "y"], {"SKU": "s1", "QTY": 3}]]
    ksql.run("TERMINATE ALL;")
