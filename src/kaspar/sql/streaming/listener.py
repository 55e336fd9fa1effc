"""``StreamingQueryListener`` and its events (PySpark's ``pyspark.sql.streaming.listener``).

Register a listener with ``spark.streams.addListener``. The session's listener bus delivers
the events of its queries on one thread, in the order they happened, so a slow listener never
stalls a query; a listener that raises is logged and the others still get the event. As in
Spark, ``onQueryStarted`` is the exception: it runs before ``start()`` returns.

The engine reports events as the JSON Spark Connect uses (``fromJson``); each event object is
built once and given to every listener.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kaspar.sql.streaming.progress import (
    SinkProgress,
    SourceProgress,
    StateOperatorProgress,
    StreamingQueryProgress,
    progress_json,
)

if TYPE_CHECKING:
    from kaspar.sql.session import SparkSession

__all__ = [
    "QueryIdleEvent",
    "QueryProgressEvent",
    "QueryStartedEvent",
    "QueryTerminatedEvent",
    "SinkProgress",
    "SourceProgress",
    "StateOperatorProgress",
    "StreamingQueryListener",
    "StreamingQueryProgress",
]

_log = logging.getLogger(__name__)
_EXIT_TIMEOUT_S = 2.0  # how long the exit waits for the events still queued


class StreamingQueryListener(ABC):
    """Receives the life-cycle events of the session's streaming queries.

    The methods may be called from different threads (``onQueryStarted`` from the one that
    starts the query, the others from the listener bus), as in Spark.
    """

    @property
    def spark(self) -> SparkSession | None:
        return getattr(self, "_sparkSession", None)

    @spark.setter
    def spark(self, session: SparkSession) -> None:
        self._sparkSession = session

    def _set_spark_session(self, session: SparkSession) -> None:
        if self.spark is None:
            self.spark = session

    @abstractmethod
    def onQueryStarted(self, event: QueryStartedEvent) -> None:
        """Called when a query is started, before ``DataStreamWriter.start()`` returns."""

    @abstractmethod
    def onQueryProgress(self, event: QueryProgressEvent) -> None:
        """Called after each trigger that ran a batch."""

    def onQueryIdle(self, event: QueryIdleEvent) -> None:  # noqa: B027 - optional, as in PySpark
        """Called when the query is idle and waiting for new data to process."""

    @abstractmethod
    def onQueryTerminated(self, event: QueryTerminatedEvent) -> None:
        """Called when a query is stopped, with or without error."""


class QueryStartedEvent:
    """A query started (or restarted from its checkpoint: same ``id``, new ``runId``)."""

    def __init__(
        self,
        id: uuid.UUID,
        runId: uuid.UUID,
        name: str | None,
        timestamp: str,
        jobTags: set[str] | None = None,
    ) -> None:
        self.id, self.runId, self.name, self.timestamp = id, runId, name, timestamp
        self.jobTags: set[str] = set(jobTags or ())

    @classmethod
    def fromJson(cls, j: dict[str, Any]) -> QueryStartedEvent:
        tags = set(j.get("jobTags", ()))
        return cls(uuid.UUID(j["id"]), uuid.UUID(j["runId"]), j["name"], j["timestamp"], tags)


class QueryProgressEvent:
    """A trigger ran a batch; ``progress`` is its ``StreamingQueryProgress``."""

    def __init__(self, progress: StreamingQueryProgress) -> None:
        self.progress = progress

    @classmethod
    def fromJson(cls, j: dict[str, Any]) -> QueryProgressEvent:
        return cls(StreamingQueryProgress.fromJson(j["progress"]))


class QueryIdleEvent:
    """The query has been waiting for new data (at most one per
    ``spark.sql.streaming.noDataProgressEventInterval``)."""

    def __init__(self, id: uuid.UUID, runId: uuid.UUID, timestamp: str) -> None:
        self.id, self.runId, self.timestamp = id, runId, timestamp

    @classmethod
    def fromJson(cls, j: dict[str, Any]) -> QueryIdleEvent:
        return cls(uuid.UUID(j["id"]), uuid.UUID(j["runId"]), j["timestamp"])


class QueryTerminatedEvent:
    """A query stopped; ``exception`` is the error (with its stack) if it failed."""

    def __init__(
        self,
        id: uuid.UUID,
        runId: uuid.UUID,
        exception: str | None,
        errorClassOnException: str | None = None,
    ) -> None:
        self.id, self.runId = id, runId
        self.exception, self.errorClassOnException = exception, errorClassOnException

    @classmethod
    def fromJson(cls, j: dict[str, Any]) -> QueryTerminatedEvent:
        error_class = j.get("errorClassOnException")
        return cls(uuid.UUID(j["id"]), uuid.UUID(j["runId"]), j["exception"], error_class)


def _progress_event(payload: dict[str, Any]) -> QueryProgressEvent:
    return QueryProgressEvent.fromJson({"progress": progress_json(payload["progress"])})


_EVENTS: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "started": ("onQueryStarted", QueryStartedEvent.fromJson),
    "progress": ("onQueryProgress", _progress_event),
    "idle": ("onQueryIdle", QueryIdleEvent.fromJson),
    "terminated": ("onQueryTerminated", QueryTerminatedEvent.fromJson),
}


class StreamingQueryListenerBus:
    """The session's listeners, and the one thread that calls them in order."""

    def __init__(self) -> None:
        self._listeners: list[StreamingQueryListener] = []
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[str, dict[str, Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._idle = threading.Condition()
        self._pending = 0

    def add(self, listener: StreamingQueryListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove(self, listener: StreamingQueryListener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def post(self, kind: str, payload: dict[str, Any]) -> None:
        """Queue an event for the bus thread (nothing to do without listeners)."""
        with self._lock:
            if not self._listeners:
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="spark-listener-group-streams", daemon=True
                )
                self._thread.start()
                atexit.register(self._stop_thread)
        with self._idle:
            self._pending += 1
        self._queue.put((kind, payload))

    def post_to_all(self, kind: str, payload: dict[str, Any]) -> None:
        """Deliver an event now, on the caller's thread (``onQueryStarted``)."""
        self._deliver(kind, payload)

    def wait_until_empty(self, timeout: float | None = None) -> bool:
        """Wait until every queued event was delivered; False if ``timeout`` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _stop_thread(self) -> None:
        """At exit: deliver what is queued, then end the thread (it holds the session)."""
        thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join(_EXIT_TIMEOUT_S)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            kind, payload = item
            try:
                self._deliver(kind, payload)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _deliver(self, kind: str, payload: dict[str, Any]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        if not listeners:
            return
        method, parse = _EVENTS[kind]
        try:
            event = parse(payload)
        except Exception:  # noqa: BLE001 - logged; the bus thread must go on
            _log.exception("Cannot build the %s event of a streaming query", kind)
            return
        for listener in listeners:
            try:
                getattr(listener, method)(event)
            except Exception:  # noqa: BLE001 - a failing listener is logged, never fatal
                _log.exception("Listener %s threw an exception in %s", listener, method)
