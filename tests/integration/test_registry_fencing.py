"""A deposed registry leader cannot write: the new leader's `fence()` makes the broker refuse
the old one's transactions (producer epoch), whether or not it has noticed it lost the group."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest

from kaspar.registry import SchemaRegistryServer
from kaspar.registry.errors import RegistryError
from kaspar.registry.kafka_store import KafkaStore
from kaspar.registry.records import config_key
from kaspar.registry.state import RegistryState
from tests.integration import registry_fixture
from tests.integration.registry_fixture import registry_config

registry_broker = registry_fixture.registry_broker
NONE = {"compatibilityLevel": "NONE"}


def test_a_deposed_leader_cannot_write(registry_broker: Any) -> None:
    topic = f"_schemas-{uuid.uuid4().hex[:8]}"
    config = registry_config(registry_broker.bootstrap_servers, topic)
    old, new = KafkaStore(config, RegistryState()), KafkaStore(config, RegistryState())
    fenced: list[bool] = []
    old.on_fenced = lambda: fenced.append(True)
    old.start()
    new.start()
    try:
        with pytest.raises(RegistryError) as not_leading:
            old.write(config_key("never"), NONE)
        assert not_leading.value.error_code == 50004
        old.fence()
        old.write(config_key("before"), NONE)
        new.fence()  # the new leader takes over; the old one has not noticed
        with pytest.raises(RegistryError) as deposed:
            old.write(config_key("after"), NONE)
        assert deposed.value.error_code == 50004
        assert fenced == [True]
        new.write(config_key("new"), NONE)
        for store in (old, new):
            store.wait_caught_up()
            assert store.state.config("before") == NONE
            assert store.state.config("new") == NONE
            assert store.state.config("after") is None
    finally:
        old.stop()
        new.stop()


def test_a_write_to_a_fenced_leader_goes_to_the_new_one(registry_broker: Any) -> None:
    """The deposed leader's write is refused by the broker; it stops leading and forwards the
    request to the leader the coordination topic names."""
    topic = f"_schemas-{uuid.uuid4().hex[:8]}"
    bootstrap = registry_broker.bootstrap_servers
    old = SchemaRegistryServer(registry_config(bootstrap, topic))
    new = SchemaRegistryServer(registry_config(bootstrap, topic, **{"leader.eligibility": "false"}))
    old_url, new_url = old.start(), new.start()
    try:
        deadline = time.monotonic() + 20
        while not old.is_leader:
            assert time.monotonic() < deadline, "no leader"
            time.sleep(0.05)
        assert new.election is not None
        new.store.fence()  # `new` takes over as a new leader would; `old` has not noticed
        new.store.write(
            {"keytype": "LEADER", "magic": 0}, {"url": new_url}, new.config.leader_topic
        )
        new.election.is_leader = True
        schema = json.dumps({"type": "record", "name": "Fenced", "fields": []})
        answer = httpx.post(f"{old_url}/subjects/s/versions", json={"schema": schema}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert not old.is_leader
        assert httpx.get(f"{new_url}/subjects/s/versions").json() == [1]
    finally:
        old.stop()
        new.stop()
