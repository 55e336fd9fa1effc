"""A deposed registry leader cannot write: the new leader's `fence()` makes the broker refuse
the old one's transactions (producer epoch), whether or not it has noticed it lost the group."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

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
