"""What the source and sink runtimes share: one thread per task, its state, pause/resume/stop,
and status reports (RUNNING, PAUSED, FAILED with the trace, UNASSIGNED once stopped)."""

from __future__ import annotations

import logging
import threading
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kaspar.connect.config import WorkerConfig
from kaspar.connect.converters import Converter, make_converter
from kaspar.connect.data import ConnectRecord
from kaspar.connect.dead_letter_queue import ErrorPolicy
from kaspar.connect.kafka_store import KafkaStore
from kaspar.connect.transforms import PREDICATES, TRANSFORMS, apply_chain, build_chain

log = logging.getLogger(__name__)
StatusReport = Callable[[str, int, str, str | None], None]
"""(connector, task, state, trace) -> None."""


@dataclass(frozen=True)
class WorkerContext:
    """The worker's pieces a task runtime uses."""

    config: WorkerConfig
    store: KafkaStore
    worker_id: str
    report: StatusReport


def converter(props: Mapping[str, str], worker: WorkerConfig, which: str) -> Converter:
    """The connector's `key.converter` / `value.converter`, else the worker's."""
    name = props.get(which) or getattr(worker, which.replace(".", "_"))
    source = props if props.get(which) else worker.converter_config
    settings = {
        k.removeprefix(f"{which}."): v for k, v in source.items() if k.startswith(f"{which}.")
    }
    return make_converter(name, settings, is_key=which == "key.converter")


class WorkerTask(ABC):
    """One task on its own thread: `start`, `pause`, `resume`, `stop`."""

    def __init__(
        self,
        context: WorkerContext,
        connector: str,
        index: int,
        props: Mapping[str, str],
        task_class: type[Any],
    ) -> None:
        self.context, self.connector, self.index = context, connector, index
        self.props, self.task_class = dict(props), task_class
        self.errors = ErrorPolicy(props, context.config, connector, index)
        self.state = "UNASSIGNED"
        self.trace: str | None = None
        self._stopping = threading.Event()
        self._resumed = threading.Event()
        self._resumed.set()
        self._thread: threading.Thread | None = None
        self.chain = build_chain(props, TRANSFORMS, PREDICATES)
        self.key_converter = converter(props, context.config, "key.converter")
        self.value_converter = converter(props, context.config, "value.converter")

    def transform(self, record: ConnectRecord) -> ConnectRecord | None:
        return apply_chain(self.chain, record)

    def _report(self, state: str, trace: str | None = None) -> None:
        self.state, self.trace = state, trace
        self.context.report(self.connector, self.index, state, trace)

    def start(self, paused: bool = False) -> None:
        if paused:
            self._resumed.clear()
        name = f"kaspar-connect-{self.connector}-{self.index}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.initialize()
            self._report("RUNNING" if self._resumed.is_set() else "PAUSED")
            self.execute()
        except Exception as exc:  # a task failure is a status, never a crash of the worker
            log.exception("connect: task %s-%d failed", self.connector, self.index)
            self._report("FAILED", "".join(traceback.format_exception(exc)))
        finally:
            for used in (self.key_converter, self.value_converter):
                close = getattr(used, "close", None)  # converters holding a registry client
                if close is not None:
                    close()
            try:
                self.close()
            except Exception:
                log.exception(
                    "connect: task %s-%d did not close cleanly", self.connector, self.index
                )

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wait_if_paused(self) -> bool:
        """True when running; while paused, waits (bounded) and returns False."""
        if self._resumed.is_set():
            return True
        self._resumed.wait(0.2)
        return False

    def pause(self) -> None:
        self._resumed.clear()
        if self.state == "RUNNING":
            self._report("PAUSED")

    def resume(self) -> None:
        self._resumed.set()
        if self.state == "PAUSED":
            self._report("RUNNING")

    def stop(self, timeout: float) -> None:
        """Ask the task to stop and wait for its thread (at most `timeout` seconds)."""
        self._stopping.set()
        self._resumed.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning(
                    "connect: task %s-%d did not stop in %.0f s",
                    self.connector,
                    self.index,
                    timeout,
                )

    @abstractmethod
    def initialize(self) -> None:
        """Create the clients and start the plugin's task."""

    @abstractmethod
    def execute(self) -> None:
        """The loop, until `stopping`."""

    @abstractmethod
    def close(self) -> None:
        """Commit what can be committed, stop the plugin's task, close the clients."""

    def task_instance(self, cls: type[Any]) -> Any:
        return cls()
