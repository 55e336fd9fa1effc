"""A running streaming query: the micro-batch loop on a background thread.

Each trigger follows Spark's ``MicroBatchExecution.executeOneBatch``:

1. Status "Getting offsets from <sources>", trigger active; ``run_batch`` runs the next batch
   if some source has new data (its progress reaches ``on_progress`` from the engine).
2. A batch ran: its progress is kept in ``recent_progress`` and posted as a ``progress`` event.
3. No batch: status "Waiting for data to arrive"; an idle progress is recorded at most every
   ``no_data_progress_interval_s`` (``spark.sql.streaming.noDataProgressEventInterval``) since
   the last progress, and posted as an ``idle`` event, except the first one after the start;
   the last commit is waited for (when ``processAllAvailable`` returns, the checkpoint is on
   disk); ``once`` / ``availableNow`` queries stop here; otherwise sleep the polling delay.
4. Status "Waiting for next trigger" until the trigger's interval is over.

The loop also ends on ``stop()``, or when a batch fails. A failure never escapes the thread:
it becomes ``exception`` (a ``StreamingQueryException`` worded as Spark's) and is raised by
``await_termination``. Events go to ``listener(kind, payload)`` with Spark Connect's JSON
payloads (``started``, ``progress``, ``idle``, ``terminated``); the facade delivers them.
"""

from __future__ import annotations

import collections
import contextlib
import json
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kaspar.engine.streaming.microbatch import MicroBatchExecution
from kaspar.engine.streaming.progress_report import latest_and_metrics
from kaspar.engine.streaming.realtime import RealTimeExecution
from kaspar.errors import PySparkException, StreamingQueryException

_POLLING_DELAY_S = 0.01  # spark.sql.streaming.pollingDelay
_PROGRESS_KEPT = 100  # spark.sql.streaming.numRecentProgressUpdates
NO_DATA_PROGRESS_INTERVAL_S = 10.0  # spark.sql.streaming.noDataProgressEventInterval

Listener = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class QueryFailure:
    """Why a query stopped: the error and Spark's wording of it."""

    cause: BaseException
    message: str  # the cause's message (Spark's ``getMessage``)
    error_class: str | None  # its error class, if it has one
    debug: str  # Spark's "=== Streaming Query ===" block

    @property
    def stack(self) -> str:
        """The error and where it happened (``QueryTerminatedEvent.exception``)."""
        kind = type(self.cause)
        lines = traceback.format_tb(self.cause.__traceback__)
        return f"{kind.__module__}.{kind.__qualname__}: {self.message}\n{''.join(lines)}"


class StreamExecution:
    def __init__(
        self, execution: MicroBatchExecution, on_terminated: Callable[[StreamExecution], None]
    ) -> None:
        self.execution = execution
        self.identity = execution.identity
        self.exception: StreamingQueryException | None = None
        self.failure: QueryFailure | None = None
        self.status: dict[str, Any] = _status("Initializing sources", False, False)
        self.listener: Listener = lambda kind, payload: None
        self.no_data_progress_interval_s = NO_DATA_PROGRESS_INTERVAL_S
        self._progress: collections.deque[dict[str, Any]] = collections.deque(maxlen=_PROGRESS_KEPT)
        self._progress_lock = threading.Lock()
        self._last_executed: dict[str, Any] | None = None
        self._last_no_execution: float | None = None  # Spark's Long.MinValue: none yet
        self._active = True
        self._stop = threading.Event()
        self._terminated = threading.Event()
        self._caught_up = threading.Condition()
        self._caught_up_at = 0.0
        self._on_terminated = on_terminated
        execution.on_progress = self._on_progress
        if isinstance(execution, RealTimeExecution):  # an epoch runs the whole interval
            execution.should_stop = self._stop.is_set
            execution.on_caught_up = self._mark_caught_up
        self._thread = threading.Thread(
            target=self._run, name=f"stream execution thread for {self.pretty_id}", daemon=True
        )

    @property
    def pretty_id(self) -> str:
        """``name [id = ..., runId = ...]``, as Spark names a query in its messages."""
        name = f"{self.identity.name} " if self.identity.name else ""
        return f"{name}[id = {self.identity.id}, runId = {self.identity.run_id}]"

    def start(self) -> None:
        """Post the ``started`` event (the facade delivers it before returning), then run."""
        self.listener("started", {**self._ids(), "name": self.identity.name, "timestamp": _now()})
        self._thread.start()

    @property
    def is_active(self) -> bool:
        return self._active

    @property
    def recent_progress(self) -> list[dict[str, Any]]:
        with self._progress_lock:
            return list(self._progress)

    def _ids(self) -> dict[str, Any]:
        return {"id": self.identity.id, "runId": self.identity.run_id}

    def _run(self) -> None:
        try:
            self.execution.recover()
            self._loop()
        except Exception as e:  # noqa: BLE001 - a failed query must not kill the process
            self._fail(e)
        finally:
            self._close()

    def _loop(self) -> None:
        trigger = self.execution.trigger
        getting_offsets = "Getting offsets from " + ", ".join(
            s.description for s in self.execution.sources
        )
        self.execution.on_batch_planned = lambda: setattr(
            self, "status", _status("Processing new data", True, True)
        )
        while not self._stop.is_set():
            started, started_ms = time.monotonic(), _now_ms()
            self.status = _status(getting_offsets, self.status["isDataAvailable"], True)
            if self.execution.run_batch():
                self.status = _status("Waiting for next trigger", True, False)
                if trigger.kind == "once":
                    return
            else:
                self.status = _status("Waiting for data to arrive", False, False)
                self._report_idle(started, started_ms)
                self.execution.checkpoint.wait_durable()  # caught up: all on disk too
                self._mark_caught_up(started)
                if trigger.stops_when_caught_up:
                    return
                self._stop.wait(_POLLING_DELAY_S)
                self.status = _status("Waiting for next trigger", False, False)
            wait = trigger.interval_ms / 1000 - (time.monotonic() - started)
            if wait > 0:
                self._stop.wait(wait)

    def _on_progress(self, progress: dict[str, Any]) -> None:
        with self._progress_lock:
            self._progress.append(progress)
        self._last_executed = progress
        self._last_no_execution = time.monotonic()
        self.listener("progress", {"progress": progress})

    def _report_idle(self, started: float, started_ms: int) -> None:
        """Spark's ``updateIdleness``: an idle progress now and then, and an idle event."""
        now = time.monotonic()
        last = self._last_no_execution
        if last is not None and now - self.no_data_progress_interval_s < last:
            return
        progress = self._idle_progress(started_ms, int((now - started) * 1000))
        with self._progress_lock:
            self._progress.append(progress)
        if last is not None:
            self.listener("idle", {**self._ids(), "timestamp": progress["timestamp"]})
        self._last_no_execution = now

    def _idle_progress(self, started_ms: int, elapsed_ms: int) -> dict[str, Any]:
        """A trigger without a batch, reported from the last batch's snapshot."""
        last = self._last_executed or {}
        watermark = (last.get("eventTime") or {}).get("watermark")
        sink = last.get("sink") or {"numOutputRows": -1}
        execution = self.execution
        return {
            **self._ids(),
            "name": self.identity.name,
            "timestamp": _iso(started_ms),
            "batchId": execution.batch_id,
            "batchDuration": elapsed_ms,
            "numInputRows": 0,
            "inputRowsPerSecond": 0.0,
            "processedRowsPerSecond": 0.0,
            "durationMs": {"latestOffset": elapsed_ms, "triggerExecution": elapsed_ms},
            "eventTime": {"watermark": watermark} if watermark else {},
            "stateOperators": [
                {**s, "numRowsUpdated": 0, "numRowsDroppedByWatermark": 0}
                for s in last.get("stateOperators") or []
            ],
            "sources": [
                _idle_source(source, offset)
                for source, offset in zip(execution.sources, execution.committed, strict=False)
            ],
            "sink": {
                "description": execution.sink.description,
                "numOutputRows": min(int(sink["numOutputRows"]), 0),
            },
        }

    def _mark_caught_up(self, observed_at: float) -> None:
        with self._caught_up:
            self._caught_up_at = observed_at
            self._caught_up.notify_all()

    def _fail(self, error: Exception) -> None:
        message = error.getMessage() if isinstance(error, PySparkException) else str(error)
        if not isinstance(error, PySparkException):
            message = f"{type(error).__name__}: {message}" if message else type(error).__name__
        error_class = error.getCondition() if isinstance(error, PySparkException) else None
        self.failure = QueryFailure(error, message, error_class, self._debug_string())
        wrapped = StreamingQueryException(
            f"Query [id = {self.identity.id}, runId = {self.identity.run_id}] terminated with "
            f"exception: {message}\n{self.failure.debug}",
            "STREAM_FAILED",
        )
        wrapped.__cause__ = error
        self.exception = wrapped
        self.status = _status(f"Terminated with exception: {message}", False, False)

    def _debug_string(self) -> str:
        execution = self.execution
        names = [s.description for s in execution.sources]
        available: list[Any] = list(execution.committed)
        with contextlib.suppress(Exception):  # the checkpoint may be what failed
            latest = execution.checkpoint.latest_offsets()
            if latest is not None:
                available = list(latest[1].offsets)
        return (
            f"=== Streaming Query ===\nIdentifier: {self.pretty_id}\n"
            f"Current Committed Offsets: {_offsets(names, execution.committed)}\n"
            f"Current Available Offsets: {_offsets(names, available)}\n"
        )

    def _close(self) -> None:
        self._active = False
        if self.exception is None:
            self.status = _status("Stopped", False, False)
        else:
            self.status = {**self.status, "isDataAvailable": False, "isTriggerActive": False}
        parts: list[Any] = [*self.execution.sources, self.execution.sink]
        for part in parts:
            with contextlib.suppress(Exception):  # closing is best effort
                part.stop()
        with contextlib.suppress(Exception):
            self.execution.checkpoint.wait_durable()  # the last commit's fsync
        with contextlib.suppress(Exception):
            self.execution.incremental.close()  # waits for a state snapshot being written
        failure = self.failure
        self.listener(
            "terminated",
            {
                **self._ids(),
                "exception": failure.stack if failure else None,
                "errorClassOnException": failure.error_class if failure else None,
            },
        )
        self._on_terminated(self)
        self._terminated.set()
        with self._caught_up:
            self._caught_up.notify_all()

    def stop(self) -> None:
        """Stop after the running batch; waits for it unless called from the query itself."""
        self._stop.set()
        if threading.current_thread() is not self._thread and self._thread.is_alive():
            self._thread.join()

    def await_termination(self, timeout: float | None = None) -> bool:
        finished = self._terminated.wait(timeout)
        if self.exception is not None:
            raise self.exception
        return finished

    def process_all_available(self) -> None:
        """Block until the data available now is processed (or the query stopped)."""
        called_at = time.monotonic()
        with self._caught_up:
            while self.is_active and self._caught_up_at < called_at:
                self._caught_up.wait(0.1)
        if self.exception is not None:
            raise self.exception


def _status(message: str, data_available: bool, trigger_active: bool) -> dict[str, Any]:
    """A new status dict each time, so a reader never sees half an update."""
    return {
        "message": message,
        "isDataAvailable": data_available,
        "isTriggerActive": trigger_active,
    }


def _offsets(names: list[str], offsets: list[Any]) -> str:
    """Spark's ``StreamProgress`` string: ``{source: offset json, ...}``."""
    pairs = zip(names, offsets, strict=False)
    return "{" + ", ".join(f"{n}: {json.dumps(o, separators=(',', ':'))}" for n, o in pairs) + "}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _iso(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _now() -> str:
    return _iso(_now_ms())


def _idle_source(source: Any, offset: Any) -> dict[str, Any]:
    """A source's part of a trigger that found no new data: it stays at ``offset``, and
    reports what it learned of the latest offset (a Kafka source its lag) as in a batch."""
    latest, metrics = latest_and_metrics(source, offset)
    out: dict[str, Any] = {
        "description": source.description,
        "startOffset": offset,
        "endOffset": offset,
        "latestOffset": latest,
        "numInputRows": 0,
        "inputRowsPerSecond": 0.0,
        "processedRowsPerSecond": 0.0,
    }
    if metrics is not None:
        out["metrics"] = metrics
    return out
