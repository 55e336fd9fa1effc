"""The JDBC sink into a real PostgreSQL: a table created from the records, upserts by key,
deletes from tombstones."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from tests.integration.connect.conftest import wait_until
from tests.integration.connect.postgres_fixture import PostgresServer
from tests.integration.connect.test_delta_sink import produce, sink_config


def table_rows(postgres: PostgresServer, table: str) -> list[tuple[Any, ...]]:
    with postgres.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", (table,))
        if cursor.fetchone()[0] is None:
            return []
        cursor.execute(f'SELECT id, name, tags FROM "{table}" ORDER BY id')
        return cursor.fetchall()


def test_upserts_and_deletes(
    http: httpx.Client, connect_broker: Any, postgres: PostgresServer, tmp_path: Path
) -> None:
    topic = f"jdbc_{uuid.uuid4().hex[:8]}"
    produce(
        connect_broker.bootstrap_servers,
        topic,
        [
            ({"id": 1}, {"id": 1, "name": "ada", "tags": ["a"]}),
            ({"id": 2}, {"id": 2, "name": "bob", "tags": []}),
            ({"id": 1}, {"id": 1, "name": "ada lovelace", "tags": ["a", "b"]}),
            ({"id": 2}, None),
            ({"id": 3}, {"id": 3, "name": "cy", "tags": None}),
        ],
    )
    config = {
        **sink_config(topic, tmp_path),
        "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
        "connection.url": f"jdbc:postgresql://{postgres.host}:{postgres.port}/{postgres.dbname}",
        "connection.user": postgres.user,
        "insert.mode": "upsert",
        "pk.mode": "record_key",
        "pk.fields": "id",
        "delete.enabled": "true",
        "auto.create": "true",
    }
    assert http.post("/connectors", json={"name": topic, "config": config}).status_code == 201
    expected = [(1, "ada lovelace", ["a", "b"]), (3, "cy", None)]
    wait_until(lambda: table_rows(postgres, topic) == expected, "the rows in PostgreSQL")
    produce(
        connect_broker.bootstrap_servers,
        topic,
        [({"id": 3}, {"id": 3, "name": "cyd", "tags": None})],
    )
    expected = [(1, "ada lovelace", ["a", "b"]), (3, "cyd", None)]
    wait_until(lambda: table_rows(postgres, topic) == expected, "the update")
    http.delete(f"/connectors/{topic}")
