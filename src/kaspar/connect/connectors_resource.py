"""What `/connectors` does, apart from HTTP: reads of the replayed state, writes to the config
topic (returning once read back; the herder acts on them), restarts queued to the herder.
Reads come from the topics' state, so every worker of a cluster answers the same."""

from __future__ import annotations

from typing import Any

from kaspar.connect.errors import connector_not_found, not_stopped, task_not_found
from kaspar.connect.herder import Herder
from kaspar.connect.plugins import find_connector
from kaspar.connect.validation import check_config

TARGET_STATES = ("RUNNING", "PAUSED", "STOPPED")


class ConnectorsResource:
    """The handlers, over one herder (and through it the store and the replayed state)."""

    def __init__(self, herder: Herder) -> None:
        self.herder, self.store, self.state = herder, herder.store, herder.state

    # -- reads -------------------------------------------------------------------------------

    def config(self, name: str) -> dict[str, str]:
        with self.state.lock:
            found = self.state.connector_configs.get(name)
        if found is None:
            raise connector_not_found(name)
        return dict(found)

    def kind(self, config: dict[str, str]) -> str:
        cls = find_connector(config.get("connector.class", ""))
        return cls.plugin_type if cls is not None else "unknown"

    def task_count(self, name: str) -> int:
        with self.state.lock:
            return len(self.state.task_configs.get(name, []))

    def info(self, name: str) -> dict[str, Any]:
        config = self.config(name)
        tasks = [{"connector": name, "task": i} for i in range(self.task_count(name))]
        return {"name": name, "config": config, "tasks": tasks, "type": self.kind(config)}

    def _state_json(self, status: dict[str, Any] | None) -> dict[str, Any]:
        status = status or {"state": "UNASSIGNED", "worker_id": self.herder.worker_id}
        out = {"state": status.get("state"), "worker_id": status.get("worker_id")}
        if status.get("trace"):
            out["trace"] = status["trace"]
        return out

    def task_status(self, name: str, index: int) -> dict[str, Any]:
        with self.state.lock:
            status = self.state.task_status.get((name, index))
        return {"id": index, **self._state_json(status)}

    def status(self, name: str) -> dict[str, Any]:
        config = self.config(name)
        with self.state.lock:
            connector = self.state.connector_status.get(name)
        tasks = [self.task_status(name, i) for i in range(self.task_count(name))]
        return {
            "name": name,
            "connector": self._state_json(connector),
            "tasks": tasks,
            "type": self.kind(config),
        }

    # -- writes ------------------------------------------------------------------------------

    def put_config(self, name: str, config: dict[str, str], initial: str | None = None) -> None:
        config = {**config, "name": name}
        check_config(config)
        if initial is not None:
            state = {"RUNNING": "STARTED"}.get(initial, initial)
            legacy = "PAUSED" if state == "PAUSED" else "STARTED"
            self.store.write_config(f"target-state-{name}", {"state": legacy, "state.v2": state})
        self.store.write_config(f"connector-{name}", {"properties": config})

    def set_target_state(self, name: str, state: str) -> None:
        self.config(name)
        legacy = "PAUSED" if state == "PAUSED" else "STARTED"
        self.store.write_config(f"target-state-{name}", {"state": legacy, "state.v2": state})

    def delete(self, name: str) -> None:
        self.config(name)
        self.store.write_config(f"connector-{name}", None)
        self.store.write_config(f"target-state-{name}", None)

    def task_index(self, name: str, raw: str) -> int:
        self.config(name)
        if not raw.isdigit() or int(raw) >= self.task_count(name):
            raise task_not_found(name, int(raw) if raw.isdigit() else -1)
        return int(raw)

    def require_stopped(self, name: str) -> str:
        config = self.config(name)
        with self.state.lock:
            target = self.state.target_states.get(name)
        if target != "STOPPED":
            raise not_stopped(name)
        return self.kind(config)

    def restart(self, name: str, include_tasks: bool, only_failed: bool) -> dict[str, Any]:
        """Writes Connect's restart request to the config topic (every worker restarts what it
        runs of it); returns the status with the restarted parts RESTARTING."""
        status = self.status(name)
        restart_connector = not only_failed or status["connector"]["state"] == "FAILED"
        tasks = [
            t["id"]
            for t in status["tasks"]
            if include_tasks and (not only_failed or t["state"] == "FAILED")
        ]

        request = {"include-tasks": include_tasks, "only-failed": only_failed}
        self.store.write_config(f"restart-connector-{name}", request)
        if restart_connector:
            status["connector"] = {**status["connector"], "state": "RESTARTING"}
            status["connector"].pop("trace", None)
        for task in status["tasks"]:
            if task["id"] in tasks:
                task["state"] = "RESTARTING"
                task.pop("trace", None)
        return status
