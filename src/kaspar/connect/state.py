"""What the worker knows of the cluster: the three topics replayed into memory.

The records are Connect's distributed-mode records (see docs/connect.md):

* configs: `connector-<n>` (`{"properties"}`, null deletes the connector), `task-<n>-<i>`
  (`{"properties"}`, pending until `commit-<n>` `{"tasks": N}` makes N of them visible),
  `target-state-<n>` (`{"state", "state.v2"}`: STARTED, PAUSED or STOPPED);
* offsets: key `["<connector>", {partition}]`, value the offset map (null resets it);
* status: `status-connector-<n>` / `status-task-<n>-<i>` -> `{"state", "trace", "worker_id",
  "generation"}`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CONNECTOR_PREFIX = "connector-"
TASK_PREFIX = "task-"
COMMIT_PREFIX = "commit-"
TARGET_STATE_PREFIX = "target-state-"
RESTART_PREFIX = "restart-connector-"
STATUS_CONNECTOR_PREFIX = "status-connector-"
STATUS_TASK_PREFIX = "status-task-"


def partition_key(partition: Any) -> str:
    """A source partition as a dict key (its canonical JSON)."""
    return json.dumps(partition, sort_keys=True, separators=(",", ":"))


@dataclass
class ConnectState:
    """The replayed view; `on_config_change` is called (outside the lock) after a config record."""

    connector_configs: dict[str, dict[str, str]] = field(default_factory=dict)
    task_configs: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    target_states: dict[str, str] = field(default_factory=dict)
    offsets: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    connector_status: dict[str, dict[str, Any]] = field(default_factory=dict)
    task_status: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    on_config_change: Callable[[], None] | None = None
    restart_requests: list[tuple[str, bool, bool]] = field(default_factory=list)
    live: bool = False
    """Set once the topics are replayed: restart requests read before are history."""
    _pending_tasks: dict[str, dict[int, dict[str, str]]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def apply_config(self, key: str, value: dict[str, Any] | None) -> None:
        with self.lock:
            self._apply_config(key, value)
        if self.on_config_change is not None:
            self.on_config_change()

    def _apply_config(self, key: str, value: dict[str, Any] | None) -> None:
        if key.startswith(CONNECTOR_PREFIX):
            name = key.removeprefix(CONNECTOR_PREFIX)
            if value is None:
                for table in (self.connector_configs, self.task_configs, self.target_states):
                    table.pop(name, None)
            else:
                self.connector_configs[name] = dict(value.get("properties", {}))
                self.target_states.setdefault(name, "STARTED")
        elif key.startswith(TARGET_STATE_PREFIX):
            name = key.removeprefix(TARGET_STATE_PREFIX)
            if value is not None:
                self.target_states[name] = value.get("state.v2") or value.get("state", "STARTED")
        elif key.startswith(TASK_PREFIX) and value is not None:
            name, _, index = key.removeprefix(TASK_PREFIX).rpartition("-")
            if index.isdigit():
                pending = self._pending_tasks.setdefault(name, {})
                pending[int(index)] = dict(value.get("properties", {}))
        elif key.startswith(RESTART_PREFIX) and value is not None and self.live:
            request = (key.removeprefix(RESTART_PREFIX), bool(value.get("include-tasks")))
            self.restart_requests.append((*request, bool(value.get("only-failed"))))
        elif key.startswith(COMMIT_PREFIX) and value is not None:
            name = key.removeprefix(COMMIT_PREFIX)
            pending = self._pending_tasks.pop(name, {})
            count = int(value.get("tasks", 0))
            self.task_configs[name] = [pending.get(i, {}) for i in range(count)]

    def apply_offset(self, key: Any, value: Any) -> None:
        if not (isinstance(key, list) and len(key) == 2 and isinstance(key[0], str)):
            return
        with self.lock:
            partitions = self.offsets.setdefault(key[0], {})
            if value is None:
                partitions.pop(partition_key(key[1]), None)
            else:
                partitions[partition_key(key[1])] = (key[1], value)

    def apply_status(self, key: str, value: dict[str, Any] | None) -> None:
        with self.lock:
            if key.startswith(STATUS_CONNECTOR_PREFIX):
                name = key.removeprefix(STATUS_CONNECTOR_PREFIX)
                _set_or_pop(self.connector_status, name, value)
            elif key.startswith(STATUS_TASK_PREFIX):
                name, _, index = key.removeprefix(STATUS_TASK_PREFIX).rpartition("-")
                if index.isdigit():
                    _set_or_pop(self.task_status, (name, int(index)), value)

    def offset(self, connector: str, partition: Any) -> Any:
        with self.lock:
            found = self.offsets.get(connector, {}).get(partition_key(partition))
        return None if found is None else found[1]

    def connector_offsets(self, connector: str) -> list[dict[str, Any]]:
        with self.lock:
            stored = list(self.offsets.get(connector, {}).values())
        return [{"partition": p, "offset": o} for p, o in stored]


def _set_or_pop(table: dict[Any, dict[str, Any]], key: Any, value: dict[str, Any] | None) -> None:
    if value is None:
        table.pop(key, None)
    else:
        table[key] = value
