"""The FileStream pair end to end: lines -> topic -> file, with transforms, a dead letter
queue for poison records, and a restarted worker resuming from the stored offsets."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Producer

from kaspar.connect import ConnectWorker
from tests.integration.connect.conftest import read_topic, wait_for_state, wait_until

STRING = "org.apache.kafka.connect.storage.StringConverter"
JSON = "org.apache.kafka.connect.json.JsonConverter"
PREDICATES = "org.apache.kafka.connect.transforms.predicates."


def test_source_to_topic_with_a_router(
    http: httpx.Client, connect_broker: Any, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    source_file = tmp_path / "in.txt"
    source_file.write_text("alpha\nbeta\n")
    source = {
        "connector.class": "FileStreamSource",
        "file": str(source_file),
        "topic": f"raw-{tag}",
        "value.converter": STRING,
        "transforms": "route",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "raw-(.*)",
        "transforms.route.replacement": "lines-$1",
    }
    http.post("/connectors", json={"name": f"src-{tag}", "config": source})
    records = read_topic(connect_broker.bootstrap_servers, f"lines-{tag}", 2)
    assert [r.value() for r in records] == [b"alpha", b"beta"]
    with source_file.open("a") as out:
        out.write("gamma\npartial")
    records = read_topic(connect_broker.bootstrap_servers, f"lines-{tag}", 3)
    assert records[2].value() == b"gamma"
    http.delete(f"/connectors/src-{tag}")


def test_topic_to_file_with_transforms(
    http: httpx.Client, connect_broker: Any, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    topic, sink_file = f"users-{tag}", tmp_path / "users.txt"
    producer = Producer({"bootstrap.servers": connect_broker.bootstrap_servers})
    for user in ({"id": 1, "name": "ada", "secret": "x"}, {"id": 2, "name": "bob", "secret": "y"}):
        producer.produce(topic, key=str(user["id"]).encode(), value=json.dumps(user).encode())
    producer.produce(topic, key=b"3", value=None)
    producer.flush(10)
    sink = {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "file": str(sink_file),
        "topics": topic,
        "key.converter": STRING,
        "value.converter": JSON,
        "value.converter.schemas.enable": "false",
        "transforms": "dropTombstones,hide,where",
        "transforms.dropTombstones.type": "org.apache.kafka.connect.transforms.Filter",
        "transforms.dropTombstones.predicate": "tombstone",
        "transforms.hide.type": "org.apache.kafka.connect.transforms.ReplaceField$Value",
        "transforms.hide.exclude": "secret",
        "transforms.hide.renames": "name:user",
        "transforms.where.type": "org.apache.kafka.connect.transforms.InsertField$Value",
        "transforms.where.topic.field": "topic",
        "transforms.where.offset.field": "offset",
        "predicates": "tombstone",
        "predicates.tombstone.type": PREDICATES + "RecordIsTombstone",
    }
    http.post("/connectors", json={"name": f"sink-{tag}", "config": sink})
    wait_until(
        lambda: sink_file.exists() and sink_file.read_text().count("\n") >= 2, "the sink file"
    )
    lines = [json.loads(line) for line in sink_file.read_text().splitlines()]
    assert lines == [
        {"id": 1, "user": "ada", "topic": topic, "offset": 0},
        {"id": 2, "user": "bob", "topic": topic, "offset": 1},
    ]
    http.delete(f"/connectors/sink-{tag}")


def test_poison_records_go_to_the_dead_letter_queue(
    http: httpx.Client, connect_broker: Any, tmp_path: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    topic, dlq, sink_file = f"events-{tag}", f"dlq-{tag}", tmp_path / "events.txt"
    producer = Producer({"bootstrap.servers": connect_broker.bootstrap_servers})
    good = json.dumps({"schema": {"type": "string", "optional": False}, "payload": "ok"}).encode()
    for value in (good, b"not json at all", good):
        producer.produce(topic, value=value)
    producer.flush(10)
    sink = {
        "connector.class": "FileStreamSink",
        "file": str(sink_file),
        "topics": topic,
        "errors.tolerance": "all",
        "errors.deadletterqueue.topic.name": dlq,
        "errors.deadletterqueue.topic.replication.factor": "1",
        "errors.deadletterqueue.context.headers.enable": "true",
    }
    http.post("/connectors", json={"name": f"dlq-{tag}", "config": sink})
    wait_until(
        lambda: sink_file.exists() and sink_file.read_text() == "ok\nok\n", "the good records"
    )
    (poison,) = read_topic(connect_broker.bootstrap_servers, dlq, 1)
    assert poison.value() == b"not json at all"
    headers = dict(poison.headers())
    assert headers["__connect.errors.topic"] == topic.encode()
    assert headers["__connect.errors.offset"] == b"1"
    assert headers["__connect.errors.stage"] == b"VALUE_CONVERTER"
    assert headers["__connect.errors.connector.name"] == f"dlq-{tag}".encode()
    http.delete(f"/connectors/dlq-{tag}")


def test_a_restarted_worker_resumes_from_its_topics(
    worker_factory: Callable[..., ConnectWorker], connect_broker: Any, tmp_path: Path
) -> None:
    cluster = f"resume-{uuid.uuid4().hex[:8]}"
    source_file, topic = tmp_path / "in.txt", f"resume-{cluster}"
    source_file.write_text("1\n2\n3\n")
    config = {"connector.class": "FileStreamSource", "file": str(source_file), "topic": topic}
    first = worker_factory(cluster)
    with httpx.Client(base_url=first.url, timeout=30) as http:
        http.post("/connectors", json={"name": "files", "config": config})
        wait_for_state(http, "files", "RUNNING")
        read_topic(connect_broker.bootstrap_servers, topic, 3)
        http.put("/connectors/files/pause")
        wait_for_state(http, "files", "PAUSED")
    first.stop()
    with source_file.open("a") as out:
        out.write("4\n")
    second = worker_factory(cluster)
    with httpx.Client(base_url=second.url, timeout=30) as http:
        assert http.get("/connectors").json() == ["files"]
        wait_for_state(http, "files", "PAUSED")
        http.put("/connectors/files/resume")
        wait_for_state(http, "files", "RUNNING")
        records = read_topic(connect_broker.bootstrap_servers, topic, 4)
        assert [json.loads(r.value())["payload"] for r in records] == ["1", "2", "3", "4"]
        assert len(read_topic(connect_broker.bootstrap_servers, topic, 4, timeout=1)) == 4
