"""The herder: makes the connectors and tasks this worker owns follow the config topic.

Every config record read back from the topic wakes the herder's thread (as does a restart
request, a change of this worker's share of the work (assignment.py), and a tick every
half second); each pass follows these steps:

1. Poll the group (rebalance callbacks: units no longer owned are stopped there), then run the
   queued requests (restarts), which stop what they restart.
2. Stop the connectors (and their tasks) whose config was deleted or changed, and the units
   this worker no longer owns.
3. For each connector, by its target state (the connector instance on the worker owning the
   connector, each task on the worker owning the task):
   * STOPPED: stop its tasks and the connector; the owner reports STOPPED and stores zero task
     configs.
   * STARTED / PAUSED: the owner starts the connector if it is not running (a failure is its
     status FAILED, kept until a restart or a new config); if the task configs it asks for
     differ from the stored ones, it writes them (`task-<n>-<i>`, then `commit-<n>`) and the
     pass after their read-back starts the tasks. Each worker starts its missing tasks,
     restarts those whose config changed, stops the extra ones, and pauses or resumes them.

Connector and task statuses go to the status topic when they change.
"""

from __future__ import annotations

import logging
import queue
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kaspar.connect.assignment import WorkAssignment
from kaspar.connect.config import WorkerConfig
from kaspar.connect.connector import Connector, SinkTask, SourceTask
from kaspar.connect.exactly_once_source import ExactlyOnceSourceWorker
from kaspar.connect.kafka_store import KafkaStore
from kaspar.connect.plugins import find_connector
from kaspar.connect.sink_worker import SinkWorker
from kaspar.connect.source_worker import SourceWorker
from kaspar.connect.state import ConnectState
from kaspar.connect.worker_task import WorkerContext

log = logging.getLogger(__name__)
TICK_S = 0.5


@dataclass
class RunningConnector:
    """A started connector instance (or one that failed to start: `instance` None)."""

    props: dict[str, str]
    instance: Connector | None
    task_configs: list[dict[str, str]] = field(default_factory=list)


class FailedTask:
    """A task that could not even be created: it stays FAILED until restarted."""

    state = "FAILED"

    def __init__(self, props: dict[str, str]) -> None:
        self.props = props

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def stop(self, timeout: float) -> None: ...


Task = SourceWorker | SinkWorker | FailedTask


class Herder:
    """Steps 1-3 of the module docstring, on a thread of its own."""

    def __init__(self, config: WorkerConfig, store: KafkaStore) -> None:
        self.config, self.store, self.worker_id = config, store, ""
        self.state: ConnectState = store.state
        self.connectors: dict[str, RunningConnector] = {}
        self.tasks: dict[tuple[str, int], Task] = {}
        self._requests: queue.Queue[Callable[[], None]] = queue.Queue()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self.assignment = WorkAssignment(config, self._release_unowned)
        self._thread: threading.Thread | None = None
        self.context = WorkerContext(config, store, "", self._report_task)

    def start(self, worker_id: str) -> None:
        """Start following the config topic, as `worker_id` (host:port) in the statuses."""
        self.worker_id = worker_id
        self.context = WorkerContext(self.config, self.store, worker_id, self._report_task)
        self.state.on_config_change = self._wake.set
        self.assignment.start()
        self._thread = threading.Thread(
            target=self._loop, name="kaspar-connect-herder", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(30)
        for name in list(self.connectors):
            self._stop_connector(name)
        for key in list(self.tasks):
            self._stop_task(key)
        self.assignment.stop()

    def submit(self, request: Callable[[], None]) -> None:
        """Run `request` on the herder's thread at its next pass."""
        self._requests.put(request)
        self._wake.set()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(TICK_S)
            self._wake.clear()
            if self._stopping.is_set():
                return
            try:
                self.reconcile()
            except Exception:  # the herder keeps going; the failure is logged
                log.exception("connect: herder pass failed")

    def reconcile(self) -> None:
        """Steps 1-3."""
        self.assignment.poll()
        while not self._requests.empty():
            self._requests.get_nowait()()
        with self.state.lock:
            restarts, self.state.restart_requests = self.state.restart_requests, []
        for name, include_tasks, only_failed in restarts:
            self._restart(name, include_tasks, only_failed)
        with self.state.lock:
            configs = {n: dict(p) for n, p in self.state.connector_configs.items()}
            targets = dict(self.state.target_states)
            stored = {n: list(t) for n, t in self.state.task_configs.items()}
        for name in list(self.connectors):
            if configs.get(name) != self.connectors[name].props:
                self._stop_connector(name, deleted=name not in configs)
        for key in self.tasks_of_deleted(configs):
            self._stop_task(key, deleted=True)
        self._release_unowned()
        for name, props in configs.items():
            self._reconcile_connector(
                name, props, targets.get(name, "STARTED"), stored.get(name, [])
            )

    def tasks_of_deleted(self, configs: dict[str, dict[str, str]]) -> list[tuple[str, int]]:
        return [key for key in self.tasks if key[0] not in configs]

    def owns_task(self, name: str, index: int) -> bool:
        return self.assignment.owns(f"{name}-{index}")

    def _release_unowned(self) -> None:
        """Stop the connectors and tasks another worker owns now (step 2)."""
        for name in [n for n in self.connectors if not self.assignment.owns(n)]:
            self._stop_instance(name)
        for key in [k for k in self.tasks if not self.owns_task(*k)]:
            self._stop_task(key)

    def _reconcile_connector(
        self, name: str, props: dict[str, str], target: str, stored: list[dict[str, str]]
    ) -> None:
        owner = self.assignment.owns(name)
        if target == "STOPPED":
            self._stop_connector(name)
            if owner:
                self.report_connector(name, "STOPPED")
                if stored:
                    self._write_task_configs(name, [])
            return
        if owner:
            running = self.connectors.get(name) or self._start_connector(name, props)
            if running.instance is None:
                return
            if running.task_configs != stored:
                self._write_task_configs(name, running.task_configs)
                return
            self.report_connector(name, "PAUSED" if target == "PAUSED" else "RUNNING")
        self._reconcile_tasks(name, stored, target, props)

    def _start_connector(self, name: str, props: dict[str, str]) -> RunningConnector:
        running = RunningConnector(props, None)
        self.connectors[name] = running
        try:
            cls = find_connector(props.get("connector.class", ""))
            if cls is None:
                raise LookupError(
                    "Failed to find any class that implements Connector and which name matches"
                    f" {props.get('connector.class')}"
                )
            instance = cls()
            instance.start(props)
            max_tasks = int(props.get("tasks.max", "1"))
            task_class = instance.task_class()
            task_name = f"{task_class.__module__}.{task_class.__qualname__}"
            configs = instance.task_configs(max_tasks)[:max_tasks]
            running.task_configs = [{**props, **c, "task.class": task_name} for c in configs]
            running.instance = instance
        except Exception as exc:
            log.exception("connect: connector %s failed to start", name)
            self.report_connector(name, "FAILED", "".join(traceback.format_exception(exc)))
        return running

    def _write_task_configs(self, name: str, configs: list[dict[str, str]]) -> None:
        for index, task_config in enumerate(configs):
            self.store.write_config(f"task-{name}-{index}", {"properties": task_config})
        self.store.write_config(f"commit-{name}", {"tasks": len(configs)})

    def _reconcile_tasks(
        self, name: str, configs: list[dict[str, str]], target: str, connector: dict[str, str]
    ) -> None:
        for key in [k for k in self.tasks if k[0] == name and k[1] >= len(configs)]:
            self._stop_task(key)
        for index, props in enumerate(configs):
            if not self.owns_task(name, index):
                continue
            task = self.tasks.get((name, index))
            if task is not None and task.props != props:
                self._stop_task((name, index))
                task = None
            if task is None:
                task = self._start_task(name, index, props, connector, paused=target == "PAUSED")
            elif target == "PAUSED":
                task.pause()
            else:
                task.resume()

    def _start_task(
        self, name: str, index: int, props: dict[str, str], connector: dict[str, str], paused: bool
    ) -> Task:
        task: Task
        try:
            cls = find_connector(connector.get("connector.class", ""))
            if cls is None:
                raise LookupError(f"No connector class {connector.get('connector.class')}")
            task_class: Any = cls().task_class()
            if issubclass(task_class, SourceTask):
                exactly_once = self.config.exactly_once_source_support == "enabled"
                runtime = ExactlyOnceSourceWorker if exactly_once else SourceWorker
                task = runtime(self.context, name, index, props, task_class)
            elif issubclass(task_class, SinkTask):
                task = SinkWorker(self.context, name, index, props, task_class)
            else:
                raise TypeError(f"{task_class} is neither a SourceTask nor a SinkTask")
            task.start(paused=paused)
        except Exception as exc:
            log.exception("connect: task %s-%d could not be created", name, index)
            task = FailedTask(props)
            self._report_task(name, index, "FAILED", "".join(traceback.format_exception(exc)))
        self.tasks[(name, index)] = task
        return task

    def _stop_task(self, key: tuple[str, int], deleted: bool = False) -> None:
        task = self.tasks.pop(key, None)
        if task is not None:
            task.stop(self.config.task_shutdown_graceful_timeout_ms / 1000)
        status_key = f"status-task-{key[0]}-{key[1]}"
        if deleted:
            self.store.write_status(status_key, None)
        elif task is not None and task.state != "FAILED":
            self._report_task(key[0], key[1], "UNASSIGNED", None)

    def _stop_connector(self, name: str, deleted: bool = False) -> None:
        for key in [k for k in self.tasks if k[0] == name]:
            self._stop_task(key, deleted)
        was_running = self._stop_instance(name)
        if deleted and was_running:
            self.store.write_status(f"status-connector-{name}", None)

    def _stop_instance(self, name: str) -> bool:
        """Stop the connector instance (not its tasks); False if this worker had none."""
        running = self.connectors.pop(name, None)
        if running is None:
            return False
        if running.instance is not None:
            try:
                running.instance.stop()
            except Exception:
                log.exception("connect: connector %s did not stop cleanly", name)
        return True

    def _restart(self, name: str, include_tasks: bool, only_failed: bool) -> None:
        """A restart request: the parts of it this worker runs (step 1)."""
        with self.state.lock:
            status = self.state.connector_status.get(name, {})
            count = len(self.state.task_configs.get(name, []))
            failed = {i for i in range(count) if self._failed(name, i)}
        if self.assignment.owns(name) and (not only_failed or status.get("state") == "FAILED"):
            self.restart_connector(name)
        for index in range(count) if include_tasks else ():
            if self.owns_task(name, index) and (not only_failed or index in failed):
                self.restart_task(name, index)

    def _failed(self, name: str, index: int) -> bool:
        return self.state.task_status.get((name, index), {}).get("state") == "FAILED"

    def restart_connector(self, name: str) -> None:
        """Stop the connector instance only; the next pass starts it again."""
        self._stop_instance(name)
        self.report_connector(name, "RESTARTING")

    def restart_task(self, name: str, index: int) -> None:
        """Stop the task; the next pass starts it again."""
        task = self.tasks.pop((name, index), None)
        if task is not None:
            task.stop(self.config.task_shutdown_graceful_timeout_ms / 1000)
        self._report_task(name, index, "RESTARTING", None)

    def _status(self, state: str, trace: str | None) -> dict[str, Any]:
        return {"state": state, "trace": trace, "worker_id": self.worker_id, "generation": 0}

    def report_connector(self, name: str, state: str, trace: str | None = None) -> None:
        with self.state.lock:
            current = self.state.connector_status.get(name, {})
        if current.get("state") != state or current.get("worker_id") != self.worker_id:
            self.store.write_status(f"status-connector-{name}", self._status(state, trace))

    def _report_task(self, name: str, index: int, state: str, trace: str | None) -> None:
        self.store.write_status(f"status-task-{name}-{index}", self._status(state, trace))
