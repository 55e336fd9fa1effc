"""The PostgreSQL CDC source against a real PostgreSQL (wal_level=logical) and a real broker:
every event's key and envelope as Debezium writes them, for the snapshot, inserts, updates,
deletes (and their tombstones), REPLICA IDENTITY FULL, a transaction of many rows, truncate,
one column per type kind; the slot acknowledged only after the events are in Kafka; a worker
restarted resumes without losing or repeating a change; connection errors as Connect's."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from kaspar.connect import ConnectWorker
from tests.integration.connect.conftest import read_topic, wait_for_state, wait_until
from tests.integration.connect.postgres_fixture import PostgresServer

SCHEMA_SQL = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email varchar(100));
INSERT INTO customers (name, email) VALUES ('ada', 'ada@example.com'), ('bob', NULL);
CREATE TABLE full_rows (id int PRIMARY KEY, v text);
ALTER TABLE full_rows REPLICA IDENTITY FULL;
INSERT INTO full_rows VALUES (1, 'one');
CREATE TABLE kinds (
  id int PRIMARY KEY, b bool, i2 smallint, i8 bigint, f4 real, f8 double precision,
  n numeric(10, 2), nv numeric, t text, u uuid, j json, jb jsonb, d date, ts timestamp,
  ts3 timestamp(3), tstz timestamptz, tm time, iv interval, by bytea, e mood, arr int[],
  tarr text[]
);
INSERT INTO kinds VALUES (
  1, true, 7, 9000000000, 1.5, 2.25, 12345.67, 3.14159, 'text',
  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}', '{"b": [1, 2]}', '2024-02-29',
  '2024-02-29 12:34:56.789012', '2024-02-29 12:34:56.789',
  '2024-02-29 12:34:56.5+02', '01:02:03.25', '1 day 2 hours', '\\x0102ff', 'happy', '{1,NULL,3}',
  '{"a b","c"}'
);
"""


def envelope(message: Any) -> dict[str, Any]:
    return json.loads(message.value())


@pytest.fixture(scope="module")
def cdc(
    postgres: PostgresServer,
    worker_factory: Callable[..., ConnectWorker],
) -> Iterator[dict[str, Any]]:
    """The database filled, a connector `cdc` on a worker of the cluster `cluster`."""
    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute(SCHEMA_SQL)
    cluster = f"cdc-{uuid.uuid4().hex[:8]}"
    worker = worker_factory(cluster)
    prefix = f"pg{uuid.uuid4().hex[:6]}"
    config = postgres.connector_config(
        **{
            "topic.prefix": prefix,
            "slot.name": f"slot_{prefix}",
            "publication.name": f"pub_{prefix}",
            "skipped.operations": "none",
        }
    )
    with httpx.Client(base_url=worker.url, timeout=30) as http:
        assert http.post("/connectors", json={"name": "cdc", "config": config}).status_code == 201
        wait_for_state(http, "cdc", "RUNNING")
    yield {"cluster": cluster, "prefix": prefix, "worker": worker, "config": config}


def sql(postgres: PostgresServer, statement: str) -> None:
    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute(statement)


def test_snapshot_events(cdc: dict[str, Any], connect_broker: Any) -> None:
    prefix = cdc["prefix"]
    records = read_topic(connect_broker.bootstrap_servers, f"{prefix}.public.customers", 2)
    key = json.loads(records[0].key())
    assert key["schema"]["name"] == f"{prefix}.public.customers.Key"
    assert key["payload"] == {"id": 1}
    value = envelope(records[0])
    assert value["schema"]["name"] == f"{prefix}.public.customers.Envelope"
    assert [f["field"] for f in value["schema"]["fields"]] == [
        "before",
        "after",
        "source",
        "transaction",
        "op",
        "ts_ms",
        "ts_us",
        "ts_ns",
    ]
    payload = value["payload"]
    assert payload["op"] == "r" and payload["before"] is None
    assert payload["after"] == {"id": 1, "name": "ada", "email": "ada@example.com"}
    source = payload["source"]
    assert set(source) == {
        "version",
        "connector",
        "name",
        "ts_ms",
        "snapshot",
        "db",
        "sequence",
        "ts_us",
        "ts_ns",
        "schema",
        "table",
        "txId",
        "lsn",
        "xmin",
    }
    assert source["connector"] == "postgresql" and source["name"] == prefix
    assert (source["db"], source["schema"], source["table"]) == ("postgres", "public", "customers")
    assert isinstance(source["lsn"], int) and isinstance(source["txId"], int)
    snapshots = [envelope(r)["payload"]["source"]["snapshot"] for r in records]
    assert snapshots[0] == "first" and set(snapshots) <= {"first", "true", "last"}
    assert envelope(records[1])["payload"]["after"]["email"] is None


def test_type_mapping(cdc: dict[str, Any], connect_broker: Any) -> None:
    (record,) = read_topic(connect_broker.bootstrap_servers, f"{cdc['prefix']}.public.kinds", 1)
    value = envelope(record)
    row_schema = value["schema"]["fields"][1]
    fields = {f["field"]: f for f in row_schema["fields"]}
    after = value["payload"]["after"]
    assert after["b"] is True and after["i2"] == 7 and after["i8"] == 9000000000
    assert (fields["i2"]["type"], fields["i8"]["type"], fields["f4"]["type"]) == (
        "int16",
        "int64",
        "float32",
    )
    assert after["f4"] == 1.5 and after["f8"] == 2.25
    assert fields["n"]["name"] == "org.apache.kafka.connect.data.Decimal"
    assert fields["n"]["parameters"] == {"scale": "2", "connect.decimal.precision": "10"}
    unscaled = int.from_bytes(base64.b64decode(after["n"]), "big", signed=True)
    assert Decimal(unscaled).scaleb(-2) == Decimal("12345.67")
    assert fields["nv"]["name"] == "io.debezium.data.VariableScaleDecimal"
    assert after["nv"]["scale"] == 5
    assert int.from_bytes(base64.b64decode(after["nv"]["value"]), "big") == 314159
    assert fields["u"]["name"] == "io.debezium.data.Uuid"
    assert after["u"] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
    assert fields["j"]["name"] == fields["jb"]["name"] == "io.debezium.data.Json"
    assert json.loads(after["j"]) == {"a": 1} and json.loads(after["jb"]) == {"b": [1, 2]}
    assert fields["d"]["name"] == "io.debezium.time.Date" and after["d"] == 19782
    assert fields["ts"]["name"] == "io.debezium.time.MicroTimestamp"
    assert after["ts"] == 1709210096789012
    assert fields["ts3"]["name"] == "io.debezium.time.Timestamp" and after["ts3"] == 1709210096789
    assert fields["tstz"]["name"] == "io.debezium.time.ZonedTimestamp"
    assert after["tstz"] == "2024-02-29T10:34:56.5Z"
    assert fields["tm"]["name"] == "io.debezium.time.MicroTime" and after["tm"] == 3723250000
    assert fields["iv"]["name"] == "io.debezium.time.MicroDuration"
    assert after["iv"] == (26 * 3600) * 1_000_000
    assert base64.b64decode(after["by"]) == b"\x01\x02\xff"
    assert fields["e"]["name"] == "io.debezium.data.Enum"
    assert fields["e"]["parameters"] == {"allowed": "sad,ok,happy"} and after["e"] == "happy"
    assert fields["arr"]["type"] == "array" and after["arr"] == [1, None, 3]
    assert after["tarr"] == ["a b", "c"]


def test_insert_update_delete(
    cdc: dict[str, Any], connect_broker: Any, postgres: PostgresServer
) -> None:
    topic = f"{cdc['prefix']}.public.customers"
    sql(postgres, "INSERT INTO customers (name) VALUES ('cy')")
    sql(postgres, "UPDATE customers SET email = 'cy@example.com' WHERE name = 'cy'")
    sql(postgres, "DELETE FROM customers WHERE name = 'cy'")
    records = read_topic(connect_broker.bootstrap_servers, topic, 6)[2:]
    created, updated, deleted, tomb = records
    assert [envelope(r)["payload"]["op"] for r in records[:3]] == ["c", "u", "d"]
    c, u, d = (envelope(r)["payload"] for r in (created, updated, deleted))
    assert c["before"] is None and c["after"] == {"id": 3, "name": "cy", "email": None}
    assert u["before"] is None and u["after"]["email"] == "cy@example.com"
    assert d["after"] is None and d["before"] == {"id": 3, "name": None, "email": None}
    assert c["source"]["snapshot"] == "false" and c["source"]["txId"] != u["source"]["txId"]
    assert c["source"]["lsn"] < u["source"]["lsn"] < d["source"]["lsn"]
    assert json.loads(c["source"]["sequence"])[1] == str(c["source"]["lsn"])
    assert json.loads(tomb.key())["payload"] == {"id": 3} and tomb.value() is None
    assert json.loads(deleted.key()) == json.loads(tomb.key())


def test_replica_identity_full_before_images(
    cdc: dict[str, Any],
    connect_broker: Any,
    postgres: PostgresServer,
) -> None:
    sql(postgres, "UPDATE full_rows SET v = 'uno' WHERE id = 1")
    sql(postgres, "DELETE FROM full_rows WHERE id = 1")
    records = read_topic(connect_broker.bootstrap_servers, f"{cdc['prefix']}.public.full_rows", 4)
    update, delete = envelope(records[1])["payload"], envelope(records[2])["payload"]
    assert update["before"] == {"id": 1, "v": "one"} and update["after"] == {"id": 1, "v": "uno"}
    assert delete["before"] == {"id": 1, "v": "uno"}


def test_a_transaction_of_many_rows_then_truncate(
    cdc: dict[str, Any],
    connect_broker: Any,
    postgres: PostgresServer,
) -> None:
    sql(postgres, "CREATE TABLE bulk (id int PRIMARY KEY, v text)")
    sql(postgres, "INSERT INTO bulk SELECT g, 'v' || g FROM generate_series(1, 3000) g")
    sql(postgres, "TRUNCATE bulk")
    topic = f"{cdc['prefix']}.public.bulk"
    records = read_topic(connect_broker.bootstrap_servers, topic, 3001)
    payloads = [envelope(r)["payload"] for r in records]
    assert [p["after"]["id"] for p in payloads[:3000]] == list(range(1, 3001))
    assert len({p["source"]["txId"] for p in payloads[:3000]}) == 1
    assert payloads[3000]["op"] == "t" and records[3000].key() is None


def test_schema_changes_are_picked_up(
    cdc: dict[str, Any], connect_broker: Any, postgres: PostgresServer
) -> None:
    sql(postgres, "ALTER TABLE full_rows ADD COLUMN score numeric(5, 1)")
    sql(postgres, "INSERT INTO full_rows VALUES (2, 'two', 9.5)")
    records = read_topic(connect_broker.bootstrap_servers, f"{cdc['prefix']}.public.full_rows", 5)
    value = envelope(records[4])
    assert value["payload"]["after"]["id"] == 2 and value["payload"]["after"]["v"] == "two"
    fields = {f["field"]: f for f in value["schema"]["fields"][1]["fields"]}
    assert fields["score"]["name"] == "org.apache.kafka.connect.data.Decimal"
    assert fields["score"]["parameters"]["scale"] == "1"


def test_the_slot_is_acknowledged_after_the_events_are_durable(
    cdc: dict[str, Any],
    connect_broker: Any,
    postgres: PostgresServer,
) -> None:
    sql(postgres, "INSERT INTO customers (name) VALUES ('dee')")
    records = read_topic(connect_broker.bootstrap_servers, f"{cdc['prefix']}.public.customers", 7)
    lsn = envelope(records[6])["payload"]["source"]["lsn"]

    def flushed() -> bool:
        with postgres.connect() as connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT confirmed_flush_lsn - '0/0'::pg_lsn FROM pg_replication_slots"
                " WHERE slot_name = %s",
                (f"slot_{cdc['prefix']}",),
            )
            return int(cursor.fetchone()[0]) > lsn

    wait_until(flushed, "the slot's confirmed_flush_lsn to pass the event")


def test_a_lost_connection_fails_the_task_until_restarted(
    cdc: dict[str, Any],
    connect_broker: Any,
    postgres: PostgresServer,
) -> None:
    sql(
        postgres,
        "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
        f" WHERE slot_name = 'slot_{cdc['prefix']}'",
    )
    with httpx.Client(base_url=cdc["worker"].url, timeout=30) as http:
        status = wait_until(
            lambda: (
                (s := http.get("/connectors/cdc/status").json())["tasks"][0]["state"] == "FAILED"
                and s
            ),
            "the task to fail",
        )
        assert "terminat" in status["tasks"][0]["trace"]
        restart = {"includeTasks": "true", "onlyFailed": "true"}
        assert http.post("/connectors/cdc/restart", params=restart).status_code == 202
        wait_for_state(http, "cdc", "RUNNING")
    sql(postgres, "INSERT INTO customers (name) VALUES ('dan')")
    records = read_topic(connect_broker.bootstrap_servers, f"{cdc['prefix']}.public.customers", 8)
    assert [envelope(r)["payload"]["after"]["name"] for r in records[6:]] == ["dee", "dan"]


def test_a_restarted_worker_loses_and_repeats_nothing(
    cdc: dict[str, Any],
    connect_broker: Any,
    postgres: PostgresServer,
    worker_factory: Callable[..., ConnectWorker],
) -> None:
    topic = f"{cdc['prefix']}.public.customers"
    before = len(read_topic(connect_broker.bootstrap_servers, topic, 8))
    cdc["worker"].stop()
    sql(postgres, "INSERT INTO customers (name) VALUES ('eve'), ('fay')")
    worker = worker_factory(cdc["cluster"])
    with httpx.Client(base_url=worker.url, timeout=30) as http:
        wait_for_state(http, "cdc", "RUNNING")
    records = read_topic(connect_broker.bootstrap_servers, topic, before + 2)
    names = [envelope(r)["payload"]["after"]["name"] for r in records[before:]]
    assert names == ["eve", "fay"]
    sql(postgres, "INSERT INTO customers (name) VALUES ('gus')")
    records = read_topic(connect_broker.bootstrap_servers, topic, before + 3)
    assert len(records) == before + 3
    assert envelope(records[-1])["payload"]["after"]["name"] == "gus"
    with httpx.Client(base_url=worker.url, timeout=30) as http:
        http.delete("/connectors/cdc")


@pytest.mark.parametrize("fmt", ["avro", "json"])
def test_registry_converters(
    worker: ConnectWorker,
    connect_broker: Any,
    postgres: PostgresServer,
    registry_url: str,
    fmt: str,
    cdc: dict[str, Any],  # the tables created and filled, also when this test runs alone
) -> None:
    """Confluent's AvroConverter and JsonSchemaConverter: confluent-kafka's own deserializers
    (the JSON one validating against the registered schema) read the events and heartbeats."""
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroDeserializer
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    prefix = f"{fmt}{uuid.uuid4().hex[:6]}"
    converter = {
        "avro": "io.confluent.connect.avro.AvroConverter",
        "json": "io.confluent.connect.json.JsonSchemaConverter",
    }[fmt]
    config = postgres.connector_config(
        **{
            "topic.prefix": prefix,
            "slot.name": f"slot_{prefix}",
            "publication.name": f"pub_{prefix}",
            "table.include.list": "public.customers",
            "key.converter": converter,
            "key.converter.schema.registry.url": registry_url,
            "value.converter": converter,
            "value.converter.schema.registry.url": registry_url,
            "heartbeat.interval.ms": "100",
        }
    )
    with httpx.Client(base_url=worker.url, timeout=30) as http:
        assert http.post("/connectors", json={"name": prefix, "config": config}).status_code == 201
        topic = f"{prefix}.public.customers"
        (first, *_) = read_topic(connect_broker.bootstrap_servers, topic, 1)
        (beat,) = read_topic(connect_broker.bootstrap_servers, f"__debezium-heartbeat.{prefix}", 1)
        with SchemaRegistryClient({"url": registry_url}) as client:
            deserializer = (
                AvroDeserializer(client)
                if fmt == "avro"
                else JSONDeserializer(None, schema_registry_client=client)
            )
            value = deserializer(first.value(), SerializationContext(topic, MessageField.VALUE))
            key = deserializer(first.key(), SerializationContext(topic, MessageField.KEY))
            heartbeat_key = deserializer(beat.key(), SerializationContext(topic, MessageField.KEY))
        assert key == {"id": 1} and heartbeat_key == {"serverName": prefix}
        assert value["op"] == "r"
        assert value["after"] == {"id": 1, "name": "ada", "email": "ada@example.com"}
        assert value["source"]["connector"] == "postgresql"
        subjects = httpx.get(f"{registry_url}/subjects").json()
        assert {f"{topic}-key", f"{topic}-value"} <= set(subjects)
        registered = httpx.get(f"{registry_url}/subjects/{topic}-value/versions/latest").json()
        schema = json.loads(registered["schema"])
        if fmt == "avro":
            assert schema["name"] == "Envelope" and schema["namespace"] == topic
            assert schema["connect.name"] == f"{topic}.Envelope"
        else:
            assert registered["schemaType"] == "JSON" and schema["title"] == f"{topic}.Envelope"
            assert schema["properties"]["op"] == {"type": "string", "connect.index": 4}
        http.delete(f"/connectors/{prefix}")


def slots(postgres: PostgresServer) -> set[str]:
    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT slot_name FROM pg_replication_slots")
        return {row[0] for row in cursor.fetchall()}


def test_snapshot_modes_and_slot_drop(
    worker: ConnectWorker, connect_broker: Any, postgres: PostgresServer
) -> None:
    tag = uuid.uuid4().hex[:6]
    sql(postgres, f"CREATE TABLE modes_{tag} (id int PRIMARY KEY)")
    sql(postgres, f"INSERT INTO modes_{tag} VALUES (1)")
    with httpx.Client(base_url=worker.url, timeout=30) as http:
        for mode in ("initial_only", "never"):
            config = postgres.connector_config(
                **{
                    "topic.prefix": f"{mode}{tag}",
                    "slot.name": f"{mode}_{tag}",
                    "publication.name": f"{mode}_{tag}",
                    "table.include.list": f"public.modes_{tag}",
                    "snapshot.mode": mode,
                    "slot.drop.on.stop": "true",
                }
            )
            http.post("/connectors", json={"name": f"{mode}-{tag}", "config": config})
            wait_for_state(http, f"{mode}-{tag}", "RUNNING")
        wait_until(lambda: {f"initial_only_{tag}", f"never_{tag}"} <= slots(postgres), "slots")
        sql(postgres, f"INSERT INTO modes_{tag} VALUES (2)")
        (snapshot,) = read_topic(
            connect_broker.bootstrap_servers, f"initial_only{tag}.public.modes_{tag}", 1
        )
        assert envelope(snapshot)["payload"]["after"] == {"id": 1}
        (streamed,) = read_topic(
            connect_broker.bootstrap_servers, f"never{tag}.public.modes_{tag}", 1
        )
        assert envelope(streamed)["payload"]["after"] == {"id": 2}
        for mode in ("initial_only", "never"):
            http.delete(f"/connectors/{mode}-{tag}")
        wait_until(lambda: not {f"initial_only_{tag}", f"never_{tag}"} & slots(postgres), "drops")
    # nothing more arrived: initial_only streams nothing, never snapshots nothing
    topic = f"initial_only{tag}.public.modes_{tag}"
    assert len(read_topic(connect_broker.bootstrap_servers, topic, 1, timeout=0.5)) == 1
    topic = f"never{tag}.public.modes_{tag}"
    assert len(read_topic(connect_broker.bootstrap_servers, topic, 1, timeout=0.5)) == 1


def test_connection_errors(worker: ConnectWorker, postgres: PostgresServer) -> None:
    closed = PostgresServer("127.0.0.1", 1)
    config = closed.connector_config(**{"topic.prefix": "nowhere"})
    with httpx.Client(base_url=worker.url, timeout=30) as http:
        validated = http.put(
            "/connector-plugins/PostgresConnector/config/validate", json={**config, "name": "v"}
        ).json()
        errors = {c["value"]["name"]: c["value"]["errors"] for c in validated["configs"]}
        assert (
            validated["error_count"] == 1 and "Connection refused" in errors["database.hostname"][0]
        )
        refused = http.post("/connectors", json={"name": "pg-down", "config": config})
        assert refused.status_code == 400
        assert "Connection refused" in refused.json()["message"]
        missing = http.post(
            "/connectors",
            json={"name": "pg-bad", "config": {"connector.class": "PostgresConnector"}},
        )
        assert missing.status_code == 400
        assert 'Missing required configuration "topic.prefix"' in missing.json()["message"]
