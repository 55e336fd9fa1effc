"""Several registries on one broker: one leader writes, followers forward, all agree; a restart
rebuilds every subject and id from the `_schemas` topic."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from kaspar.registry import SchemaRegistryServer
from tests.integration import registry_fixture
from tests.integration.registry_fixture import registry_config

registry_broker = registry_fixture.registry_broker
AGREE_TIMEOUT_S = 20
SETTLED_S = 3


def schema(name: str) -> str:
    return json.dumps({"type": "record", "name": name, "fields": [{"name": "a", "type": "int"}]})


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + AGREE_TIMEOUT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def settled_leader(*servers: SchemaRegistryServer) -> SchemaRegistryServer:
    """The one leader once it has stayed the leader for `SETTLED_S` (a member joining the group
    moves the leadership once more)."""
    deadline = time.monotonic() + AGREE_TIMEOUT_S
    since, current = time.monotonic(), None
    while time.monotonic() < deadline:
        leaders = [s for s in servers if s.is_leader]
        now = leaders[0] if len(leaders) == 1 else None
        if now is not current:
            since, current = time.monotonic(), now
        elif current is not None and time.monotonic() - since >= SETTLED_S:
            return current
        time.sleep(0.05)
    raise AssertionError("no leader stayed the leader")


def snapshot(url: str) -> dict[str, Any]:
    """Every subject with its versions' ids, and the global config, as one registry answers."""
    subjects = httpx.get(f"{url}/subjects").json()
    return {
        "subjects": {
            s: [
                httpx.get(f"{url}/subjects/{s}/versions/{v}").json()["id"]
                for v in httpx.get(f"{url}/subjects/{s}/versions").json()
            ]
            for s in subjects
        },
        "config": httpx.get(f"{url}/config").json(),
    }


def register(url: str, subject: str, text: str) -> int:
    answer = httpx.post(f"{url}/subjects/{subject}/versions", json={"schema": text}, timeout=30)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["id"])


def test_two_registries_agree_and_a_restart_rebuilds(registry_broker: Any) -> None:
    config = registry_config(registry_broker.bootstrap_servers, f"_schemas-{uuid.uuid4().hex[:8]}")
    first, second = SchemaRegistryServer(config), SchemaRegistryServer(config)
    urls = [first.start(), second.start()]
    try:
        wait_until(lambda: first.is_leader or second.is_leader, "a leader")
        assert not (first.is_leader and second.is_leader)
        ids = [register(url, f"s{i}-value", schema(f"R{i}")) for i, url in enumerate(urls)]
        assert sorted(ids) == [1, 2]
        assert register(urls[1], "copy-value", schema("R0")) == ids[0]  # same schema, same id
        follower = urls[1] if first.is_leader else urls[0]
        put = httpx.put(f"{follower}/config", json={"compatibility": "FULL"}, timeout=30)
        assert put.json() == {"compatibility": "FULL"}
        assert httpx.get(f"{follower}/config").json() == {"compatibilityLevel": "FULL"}
        wait_until(lambda: snapshot(urls[0]) == snapshot(urls[1]), "both registries to agree")
        expected = snapshot(urls[0])
        assert expected["subjects"] == {
            "copy-value": [1],
            "s0-value": [ids[0]],
            "s1-value": [ids[1]],
        }
        leader, survivor = (first, second) if first.is_leader else (second, first)
        leader.stop()
        wait_until(lambda: survivor.is_leader, "the survivor to take over")
        assert register(survivor.url, "late-value", schema("Late")) == 3
        expected = snapshot(survivor.url)
    finally:
        first.stop()
        second.stop()
    restarted = SchemaRegistryServer(config)
    try:
        assert snapshot(restarted.start()) == expected
        wait_until(lambda: restarted.is_leader, "the restarted registry to lead")
        assert register(restarted.url, "after-value", schema("After")) == 4
    finally:
        restarted.stop()


def test_a_request_forwarded_to_a_process_that_no_longer_leads_is_sent_again(
    registry_broker: Any,
) -> None:
    """The leadership can move while a forwarded write is on its way: the process it reaches
    answers 50004 at once instead of waiting for a leadership it will not get, and the
    sender asks the leader it now knows."""
    config = registry_config(registry_broker.bootstrap_servers, f"_schemas-{uuid.uuid4().hex[:8]}")
    first, second = SchemaRegistryServer(config), SchemaRegistryServer(config)
    urls = [first.start(), second.start()]
    try:
        leader = settled_leader(first, second)
        follower = urls[1] if leader is first else urls[0]
        started = time.monotonic()
        stale = httpx.post(
            f"{follower}/subjects/stale-value/versions",
            json={"schema": schema("Stale")},
            headers={"x-kaspar-registry-forwarded": "1"},
            timeout=30,
        )
        assert stale.status_code == 500
        assert stale.json()["error_code"] == 50004
        assert time.monotonic() - started < 10
        assert register(follower, "fresh-value", schema("Fresh")) == 1
    finally:
        first.stop()
        second.stop()
