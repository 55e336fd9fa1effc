"""Connector statements forwarded to a kaspar Connect worker (`ksql.connect.url`): CREATE
SOURCE CONNECTOR, SHOW CONNECTORS, DESCRIBE CONNECTOR, DROP CONNECTOR."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaspar.connect import ConnectWorker, WorkerConfig
from tests.integration import registry_fixture
from tests.integration.ksql.conftest import WAIT_S, Ksql, ksql_serving

registry_broker = registry_fixture.registry_broker  # groups form at once


@pytest.fixture(scope="module")
def connect_ksql(registry_broker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ksql]:
    servers, cluster = registry_broker.bootstrap_servers, f"connect-{uuid.uuid4().hex[:8]}"
    worker = ConnectWorker(
        WorkerConfig(bootstrap_servers=servers, listeners="http://127.0.0.1:0").with_properties(
            {
                "group.id": cluster,
                "config.storage.topic": f"{cluster}-configs",
                "offset.storage.topic": f"{cluster}-offsets",
                "status.storage.topic": f"{cluster}-status",
            }
        )
    )
    connect_url = worker.start()
    data_dir = Path(tmp_path_factory.mktemp("ksql-connect"))
    try:
        with ksql_serving(servers, data_dir, "conn", **{"ksql.connect.url": connect_url}) as ksql:
            yield ksql
    finally:
        worker.stop()


def test_connector_statements(connect_ksql: Ksql, tmp_path: Path) -> None:
    ksql, name = connect_ksql, f"files_{uuid.uuid4().hex[:6]}"
    source = tmp_path / "lines.txt"
    source.write_text("one\ntwo\n")
    created = ksql.run(
        f"CREATE SOURCE CONNECTOR {name} WITH ('connector.class'='FileStreamSource', "
        f"'file'='{source}', 'topic'='{name}-lines', 'tasks.max'='1');"
    )[0]
    assert created["@type"] == "connector_info"
    assert (created["info"]["name"], created["info"]["type"]) == (name, "source")
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        listed = ksql.run("SHOW CONNECTORS;")[0]
        states = {c["name"]: c["state"] for c in listed["connectors"]}
        if states.get(name) == "RUNNING":
            break
        time.sleep(0.1)
    assert listed["@type"] == "connector_list"
    assert states[name] == "RUNNING"
    described = ksql.run(f"DESCRIBE CONNECTOR {name};")[0]
    assert described["@type"] == "connector_description"
    assert described["status"]["name"] == name
    dropped = ksql.run(f"DROP CONNECTOR {name};")[0]
    assert (dropped["@type"], dropped["connectorName"]) == ("drop_connector", name)
    assert ksql.run(f"DROP CONNECTOR IF EXISTS {name};")[0]["@type"] == "warning_entity"
    status, error = ksql.fail(f"DESCRIBE CONNECTOR {name};")
    assert status == 400
    assert error["message"].startswith(f"Failed to execute the connector statement on {name}")


def test_without_connect_a_connector_statement_is_refused(ksql: Ksql) -> None:
    status, error = ksql.fail("SHOW CONNECTORS;")
    assert (status, error["error_code"]) == (500, 50000)
    assert "'ksql.connect.url' is not set" in error["message"]
