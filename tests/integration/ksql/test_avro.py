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

from kaspar.ksql import KsqlServer
from kaspar.registry import SchemaRegistryServer
from tests.integration.ksql.conftest import WAIT_S, Ksql, ksql_config
from tests.integration.registry_fixture import registry_config


@pytest.fixture(scope="module")
def avro_ksql(kaspar_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ksql]:
    servers = kaspar_broker.bootstrap_servers
    topic = f"_schemas-{uuid.uuid4().hex[:8]}"
    registry = SchemaRegistryServer(registry_config(servers, topic))
    registry_url = registry.start()
    config = ksql_config(
        servers, Path(tmp_path_factory.mktemp("ksql-avro")), f"avro_{uuid.uuid4().hex[:6]}_"
    ).with_properties({"ksql.schema.registry.url": registry_url})
    server = KsqlServer(config)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=WAIT_S) as http:
            ksql = Ksql(http, servers)
            ksql.registry = registry_url  # type: ignore[attr-defined]
            yield ksql
    finally:
        server.stop()
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


def test_json_sr_out_and_back(avro_ksql: Ksql) -> None:
    ksql, name = avro_ksql, f"J{uuid.uuid4().hex[:6].upper()}"
    registry: str = ksql.registry  # type: ignore[attr-defined]
    ksql.run(
        f"CREATE STREAM {name} (id STRING KEY, n INT, tags ARRAY<STRING>) WITH "
        f"(kafka_topic='{name.lower()}', value_format='JSON', partitions=1);"
        f"INSERT INTO {name} (id, n, tags, ROWTIME) VALUES ('a', 1, ARRAY['x'], 1000);"
    )
    ksql.run(
        f"CREATE STREAM {name}_SR WITH (value_format='JSON_SR') AS SELECT * FROM {name};",
        **{"auto.offset.reset": "earliest"},
    )
    ((key, framed, timestamp),) = ksql.read(f"{name}_SR", 1)
    assert (key, timestamp, framed[:1]) == (b"a", 1_000, b"\x00")
    (schema_id,) = struct.unpack(">i", framed[1:5])
    registered = httpx.get(f"{registry}/schemas/ids/{schema_id}").json()
    assert registered["schemaType"] == "JSON"
    assert json.loads(framed[5:]) == {"N": 1, "TAGS": ["x"]}
    ksql.run(
        f"CREATE STREAM {name}_BACK (id STRING KEY, n INT, tags ARRAY<STRING>) WITH "
        f"(kafka_topic='{name}_SR', value_format='JSON_SR');"
    )
    scan = ksql.http.post("/query-stream", json={"sql": f"SELECT * FROM {name}_BACK;"})
    assert [json.loads(line) for line in scan.text.splitlines()][1:] == [["a", 1, ["x"]]]
    ksql.run("TERMINATE ALL;")
