"""The Delta sink: append and upsert (with deletes from tombstones), and exactly once when the
consumer offsets are lost: the versions in the Delta log say where to start again."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Producer
from deltalake import DeltaTable

from tests.integration.connect.conftest import wait_for_state, wait_until

JSON = "org.apache.kafka.connect.json.JsonConverter"


def produce(bootstrap: str, topic: str, records: list[tuple[dict[str, Any], Any]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for key, value in records:
        encoded = None if value is None else json.dumps(value).encode()
        producer.produce(topic, key=json.dumps(key).encode(), value=encoded)
    producer.flush(10)


def sink_config(topic: str, path: Path, **extra: str) -> dict[str, str]:
    return {
        "connector.class": "DeltaSink",
        "topics": topic,
        "delta.table.path": str(path / "${topic}"),
        "key.converter": JSON,
        "key.converter.schemas.enable": "false",
        "value.converter": JSON,
        "value.converter.schemas.enable": "false",
        **extra,
    }


def rows(path: Path) -> list[dict[str, Any]]:
    try:
        table = DeltaTable(str(path)).to_pyarrow_table()
    except Exception:
        return []
    return sorted(table.to_pylist(), key=lambda r: (r["id"], json.dumps(r, sort_keys=True)))


def test_upsert_with_deletes(http: httpx.Client, connect_broker: Any, tmp_path: Path) -> None:
    topic = f"customers-{uuid.uuid4().hex[:8]}"
    produce(
        connect_broker.bootstrap_servers,
        topic,
        [
            ({"id": 1}, {"id": 1, "name": "ada"}),
            ({"id": 2}, {"id": 2, "name": "bob"}),
            ({"id": 1}, {"id": 1, "name": "ada lovelace"}),
        ],
    )
    config = sink_config(topic, tmp_path, **{"insert.mode": "upsert", "delete.enabled": "true"})
    http.post("/connectors", json={"name": f"delta-{topic}", "config": config})
    table = tmp_path / topic
    expected = [{"id": 1, "name": "ada lovelace"}, {"id": 2, "name": "bob"}]
    wait_until(lambda: rows(table) == expected, "the upserted rows")
    produce(
        connect_broker.bootstrap_servers,
        topic,
        [({"id": 2}, None), ({"id": 3}, {"id": 3, "name": "cy"})],
    )
    expected = [{"id": 1, "name": "ada lovelace"}, {"id": 3, "name": "cy"}]
    wait_until(lambda: rows(table) == expected, "the delete and the insert")
    http.delete(f"/connectors/delta-{topic}")


def test_append_exactly_once_when_offsets_are_lost(
    http: httpx.Client, connect_broker: Any, tmp_path: Path
) -> None:
    topic, name = f"events-{uuid.uuid4().hex[:8]}", f"delta-{uuid.uuid4().hex[:8]}"
    produce(connect_broker.bootstrap_servers, topic, [({"id": i}, {"id": i}) for i in range(5)])
    http.post("/connectors", json={"name": name, "config": sink_config(topic, tmp_path)})
    table = tmp_path / topic
    wait_until(lambda: len(rows(table)) == 5, "five rows")
    http.put(f"/connectors/{name}/stop")
    wait_for_state(http, name, "STOPPED", tasks=0)
    assert http.delete(f"/connectors/{name}/offsets").status_code == 200  # the group is gone
    assert http.get(f"/connectors/{name}/offsets").json() == {"offsets": []}
    produce(connect_broker.bootstrap_servers, topic, [({"id": 5}, {"id": 5})])
    http.put(f"/connectors/{name}/resume")
    wait_until(lambda: len(rows(table)) >= 6, "the sixth row")
    wait_until(
        lambda: http.get(f"/connectors/{name}/offsets").json()["offsets"], "committed offsets"
    )
    assert [r["id"] for r in rows(table)] == [0, 1, 2, 3, 4, 5]
    history = DeltaTable(str(table)).history()
    assert len(history) == 2  # the replayed records were skipped, not written again
    http.delete(f"/connectors/{name}")
