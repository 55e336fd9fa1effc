"""A connector written in Python against the plugin API, found through its package's entry
point (group `kaspar.connect`) and run by the worker like the built-ins."""

from __future__ import annotations

import json
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kaspar.connect import plugins
from tests.integration.connect.conftest import read_topic

PLUGIN = """
from kaspar.connect.config_def import ConfigDef, ConfigKey
from kaspar.connect.connector import SourceConnector, SourceTask
from kaspar.connect.data import Schema, SourceRecord


class CounterSource(SourceConnector):
    @classmethod
    def config_def(cls):
        return ConfigDef((ConfigKey("topic", documentation="where to count"),))

    def start(self, props):
        self.props = dict(props)

    def task_class(self):
        return CounterTask


class CounterTask(SourceTask):
    def start(self, props):
        self.topic = props["topic"]
        stored = self.context.offset({"counter": "one"}) or {}
        self.next = stored.get("n", 0) + 1 if stored else 0

    def poll(self):
        if self.next >= 3:
            return None
        n, self.next = self.next, self.next + 1
        return [SourceRecord({"counter": "one"}, {"n": n}, self.topic,
                             value_schema=Schema("int64"), value=n)]

    def stop(self):
        pass
"""


@pytest.fixture
def installed_plugin(tmp_path: Path) -> Iterator[str]:
    """A package `counter_plugin` with the entry point `counter`, importable from tmp_path."""
    (tmp_path / "counter_plugin.py").write_text(PLUGIN)
    info = tmp_path / "counter_plugin-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: counter-plugin\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        textwrap.dedent("[kaspar.connect]\ncounter = counter_plugin:CounterSource\n")
    )
    sys.path.insert(0, str(tmp_path))
    plugins.connectors.cache_clear()
    try:
        yield "counter"
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("counter_plugin", None)
        plugins.connectors.cache_clear()


def test_an_entry_point_plugin_runs(
    http: httpx.Client, connect_broker: Any, installed_plugin: str
) -> None:
    listed = {p["class"] for p in http.get("/connector-plugins").json()}
    assert "counter_plugin.CounterSource" in listed
    topic = f"counts-{uuid.uuid4().hex[:8]}"
    config = {"connector.class": installed_plugin, "topic": topic}
    assert http.post("/connectors", json={"name": topic, "config": config}).status_code == 201
    records = read_topic(connect_broker.bootstrap_servers, topic, 3)
    assert [json.loads(r.value())["payload"] for r in records] == [0, 1, 2]
    missing = http.put("/connector-plugins/counter/config/validate", json={"name": "x"}).json()
    assert missing["error_count"] == 1  # topic
    http.delete(f"/connectors/{topic}")
