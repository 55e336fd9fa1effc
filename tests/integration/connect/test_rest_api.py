"""Connect's REST API on a real worker: shapes, status codes and error bodies as Apache
Connect answers them (shared/reference/kafka-connect)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.integration.connect.conftest import wait_for_state, wait_until

SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


@pytest.fixture
def name() -> str:
    return f"c-{uuid.uuid4().hex[:8]}"


def source_config(tmp_path: Path, topic: str = "rest-lines") -> dict[str, str]:
    path = tmp_path / "in.txt"
    path.write_text("one\ntwo\n")
    return {"connector.class": SOURCE, "file": str(path), "topic": topic, "tasks.max": "1"}


def test_root_health_and_plugins(http: httpx.Client) -> None:
    root = http.get("/").json()
    assert set(root) == {"version", "commit", "kafka_cluster_id"} and root["kafka_cluster_id"]
    assert http.get("/health").json()["status"] == "healthy"
    classes = {p["class"]: p["type"] for p in http.get("/connector-plugins").json()}
    assert classes[SOURCE] == "source"
    assert classes["io.debezium.connector.postgresql.PostgresConnector"] == "source"
    assert classes["org.apache.kafka.connect.file.FileStreamSinkConnector"] == "sink"
    everything = http.get("/connector-plugins", params={"connectorsOnly": "false"}).json()
    kinds = {p["type"] for p in everything}
    assert {"converter", "transformation", "predicate"} <= kinds
    keys = [k["name"] for k in http.get("/connector-plugins/FileStreamSource/config").json()]
    assert {"name", "connector.class", "tasks.max", "file", "topic"} <= set(keys)


def test_create_read_delete(http: httpx.Client, tmp_path: Path, name: str) -> None:
    config = source_config(tmp_path)
    created = http.post("/connectors", json={"name": name, "config": config})
    assert created.status_code == 201
    assert created.json()["name"] == name and created.json()["type"] == "source"
    assert created.json()["config"] == {**config, "name": name}
    status = wait_for_state(http, name, "RUNNING")
    assert status["type"] == "source" and status["tasks"][0]["id"] == 0
    assert name in http.get("/connectors").json()
    info = http.get(f"/connectors/{name}").json()
    assert info["tasks"] == [{"connector": name, "task": 0}]
    assert http.get(f"/connectors/{name}/config").json() == {**config, "name": name}
    tasks = http.get(f"/connectors/{name}/tasks").json()
    assert tasks[0]["id"] == {"connector": name, "task": 0}
    assert tasks[0]["config"]["file"] == config["file"]
    assert http.get(f"/connectors/{name}/tasks/0/status").json()["state"] == "RUNNING"
    expanded = http.get("/connectors", params=[("expand", "status"), ("expand", "info")]).json()
    assert expanded[name]["status"]["connector"]["state"] == "RUNNING"
    assert expanded[name]["info"]["type"] == "source"
    assert http.delete(f"/connectors/{name}").status_code == 204
    assert name not in http.get("/connectors").json()
    assert http.get(f"/connectors/{name}").status_code == 404


def test_errors_as_connect_answers_them(http: httpx.Client, tmp_path: Path, name: str) -> None:
    missing = http.get("/connectors/no-such-connector/status")
    assert missing.status_code == 404
    assert missing.json() == {"error_code": 404, "message": "Connector no-such-connector not found"}
    config = source_config(tmp_path)
    assert http.post("/connectors", json={"name": name, "config": config}).status_code == 201
    again = http.post("/connectors", json={"name": name, "config": config})
    assert again.status_code == 409
    assert again.json() == {"error_code": 409, "message": f"Connector {name} already exists"}
    invalid = http.post(
        "/connectors", json={"name": f"{name}-x", "config": {"connector.class": SOURCE}}
    )
    assert invalid.status_code == 400
    message = invalid.json()["message"]
    assert message.startswith(
        "Connector configuration is invalid and contains the following 2 error(s):"
    )
    assert 'Missing required configuration "topic" which has no default value.' in message
    unknown = http.post(
        "/connectors", json={"name": f"{name}-y", "config": {"connector.class": "com.example.Nope"}}
    )
    assert unknown.status_code == 500
    assert unknown.json()["message"].startswith(
        "Failed to find any class that implements Connector and which name matches com.example.Nope"
    )
    mismatch = http.put(f"/connectors/{name}/config", json={**config, "name": "other"})
    assert mismatch.status_code == 400 and mismatch.json()["error_code"] == 400
    assert http.get(f"/connectors/{name}/tasks/7/status").status_code == 404
    not_json = http.post(
        "/connectors", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400
    http.delete(f"/connectors/{name}")


def test_validate(http: httpx.Client) -> None:
    response = http.put(
        "/connector-plugins/FileStreamSource/config/validate",
        json={"connector.class": SOURCE, "name": "v", "topic": "t", "tasks.max": "zero"},
    )
    assert response.status_code == 200
    infos = response.json()
    assert infos["name"] == SOURCE and infos["error_count"] == 2
    errors = {c["value"]["name"]: c["value"]["errors"] for c in infos["configs"]}
    assert errors["file"] == ['Missing required configuration "file" which has no default value.']
    assert errors["tasks.max"] and errors["topic"] == []
    assert "Common" in infos["groups"]
    bad_transform = http.put(
        "/connector-plugins/FileStreamSource/config/validate",
        json={
            "connector.class": SOURCE,
            "name": "v",
            "topic": "t",
            "file": "/x",
            "transforms": "a",
            "transforms.a.type": "NoSuchTransform",
        },
    ).json()
    assert bad_transform["error_count"] == 1


def test_put_config_creates_then_updates(http: httpx.Client, tmp_path: Path, name: str) -> None:
    config = source_config(tmp_path)
    assert http.put(f"/connectors/{name}/config", json=config).status_code == 201
    wait_for_state(http, name, "RUNNING")
    updated = http.put(f"/connectors/{name}/config", json={**config, "batch.size": "10"})
    assert updated.status_code == 200 and updated.json()["config"]["batch.size"] == "10"
    patched = http.patch(f"/connectors/{name}/config", json={"batch.size": None})
    assert "batch.size" not in patched.json()["config"]
    wait_until(
        lambda: "batch.size" not in http.get(f"/connectors/{name}/tasks").json()[0]["config"],
        "new task config",
    )
    http.delete(f"/connectors/{name}")


def test_pause_resume_stop_offsets(http: httpx.Client, tmp_path: Path, name: str) -> None:
    config = source_config(tmp_path)
    http.post("/connectors", json={"name": name, "config": config})
    wait_for_state(http, name, "RUNNING")
    assert http.put(f"/connectors/{name}/pause").status_code == 202
    wait_for_state(http, name, "PAUSED")
    assert http.put(f"/connectors/{name}/resume").status_code == 202
    wait_for_state(http, name, "RUNNING")
    partition = {"filename": config["file"]}
    wait_until(lambda: http.get(f"/connectors/{name}/offsets").json()["offsets"], "stored offsets")
    assert http.get(f"/connectors/{name}/offsets").json() == {
        "offsets": [{"partition": partition, "offset": {"position": 8}}]
    }
    refused = http.delete(f"/connectors/{name}/offsets")
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("Connectors must be in the STOPPED state")
    assert http.put(f"/connectors/{name}/stop").status_code == 204
    stopped = wait_for_state(http, name, "STOPPED", tasks=0)
    assert stopped["tasks"] == []
    body = {"offsets": [{"partition": partition, "offset": {"position": 4}}]}
    altered = http.patch(f"/connectors/{name}/offsets", json=body)
    assert altered.status_code == 200 and "altered successfully" in altered.json()["message"]
    assert http.get(f"/connectors/{name}/offsets").json()["offsets"][0]["offset"] == {"position": 4}
    reset = http.delete(f"/connectors/{name}/offsets")
    assert reset.status_code == 200 and "reset successfully" in reset.json()["message"]
    assert http.get(f"/connectors/{name}/offsets").json() == {"offsets": []}
    assert http.put(f"/connectors/{name}/resume").status_code == 202
    wait_for_state(http, name, "RUNNING")
    http.delete(f"/connectors/{name}")


def test_failed_task_has_a_trace_and_restarts(
    http: httpx.Client, tmp_path: Path, name: str
) -> None:
    target = tmp_path / "later" / "out.txt"
    config = {"connector.class": "FileStreamSink", "file": str(target), "topics": "rest-lines"}
    http.post("/connectors", json={"name": name, "config": config})
    status = wait_until(
        lambda: (
            (s := http.get(f"/connectors/{name}/status").json())["tasks"]
            and s["tasks"][0]["state"] == "FAILED"
            and s
        ),
        "the task to fail",
    )
    assert "No such file or directory" in status["tasks"][0]["trace"]
    target.parent.mkdir()
    restarted = http.post(
        f"/connectors/{name}/restart", params={"includeTasks": "true", "onlyFailed": "true"}
    )
    assert restarted.status_code == 202
    body = restarted.json()
    assert body["connector"]["state"] == "RUNNING" and body["tasks"][0]["state"] == "RESTARTING"
    wait_for_state(http, name, "RUNNING")
    assert http.post(f"/connectors/{name}/restart").status_code == 204
    assert http.post(f"/connectors/{name}/tasks/0/restart").status_code == 204
    wait_for_state(http, name, "RUNNING")
    http.delete(f"/connectors/{name}")


def test_loggers(http: httpx.Client) -> None:
    changed = http.put("/admin/loggers/kaspar.connect", json={"level": "DEBUG"})
    assert changed.status_code == 200 and "kaspar.connect" in changed.json()
    assert http.get("/admin/loggers/kaspar.connect").json() == {"level": "DEBUG"}
    listed = http.get("/admin/loggers").json()
    assert listed["root"]["level"] and listed["kaspar.connect"]["level"] == "DEBUG"
    bad = http.put("/admin/loggers/kaspar.connect", json={"level": "LOUD"})
    assert bad.status_code == 400 and bad.json()["error_code"] == 400
    http.put("/admin/loggers/kaspar.connect", json={"level": "INFO"})
    assert http.get("/admin/loggers/no.such.logger").status_code == 404
