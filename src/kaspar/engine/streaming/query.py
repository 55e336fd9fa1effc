"""A running streaming query: the micro-batch loop on a background thread.

The thread calls ``MicroBatchExecution.run_batch`` per trigger, sleeps between triggers as the
trigger says, and stops on ``stop()``, when a ``once`` / ``availableNow`` query has caught up,
or when a batch fails. A failure never escapes the thread: it is kept as ``exception`` (a
``StreamingQueryException``) and raised by ``await_termination``.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from kaspar.engine.streaming.microbatch import MicroBatchExecution
from kaspar.errors import PySparkException, StreamingQueryException

_POLLING_DELAY_S = 0.01  # spark.sql.streaming.pollingDelay
_PROGRESS_KEPT = 100  # spark.sql.streaming.numRecentProgressUpdates


class StreamExecution:
    def __init__(
        self, execution: MicroBatchExecution, on_terminated: Callable[[StreamExecution], None]
    ) -> None:
        self.execution = execution
        self.identity = execution.identity
        self.exception: StreamingQueryException | None = None
        self.recent_progress: collections.deque[dict[str, Any]] = collections.deque(
            maxlen=_PROGRESS_KEPT
        )
        self.status: dict[str, Any] = {
            "message": "Initializing sources",
            "isDataAvailable": False,
            "isTriggerActive": False,
        }
        self._stop = threading.Event()
        self._terminated = threading.Event()
        self._caught_up = threading.Condition()
        self._caught_up_at = 0.0
        self._on_terminated = on_terminated
        execution.on_progress = self.recent_progress.append
        self._thread = threading.Thread(
            target=self._run, name=f"stream execution thread for {self.identity.id}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    @property
    def is_active(self) -> bool:
        return not self._terminated.is_set()

    def _run(self) -> None:
        try:
            self.execution.recover()
            self._loop()
        except Exception as e:  # noqa: BLE001 - a failed query must not kill the process
            self.exception = _streaming_exception(e, self.execution.batch_id)
        finally:
            self._close()

    def _loop(self) -> None:
        trigger = self.execution.trigger
        while not self._stop.is_set():
            started = time.monotonic()
            self.status.update(message="Processing new data", isTriggerActive=True)
            ran = self.execution.run_batch()
            self.status.update(isDataAvailable=ran, isTriggerActive=False)
            if not ran:
                self._mark_caught_up(started)
            if trigger.stops_when_caught_up and (not ran or trigger.kind == "once"):
                return
            self.status["message"] = "Waiting for next trigger"
            wait = trigger.interval_ms / 1000 - (time.monotonic() - started)
            if not ran:
                wait = max(wait, _POLLING_DELAY_S)
            if wait > 0:
                self._stop.wait(wait)

    def _mark_caught_up(self, observed_at: float) -> None:
        with self._caught_up:
            self._caught_up_at = observed_at
            self._caught_up.notify_all()

    def _close(self) -> None:
        self.status.update(message="Stopped", isDataAvailable=False, isTriggerActive=False)
        parts: list[Any] = [*self.execution.sources, self.execution.sink]
        for part in parts:
            with contextlib.suppress(Exception):  # closing is best effort
                part.stop()
        self._terminated.set()
        with self._caught_up:
            self._caught_up.notify_all()
        self._on_terminated(self)

    def stop(self) -> None:
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


def _streaming_exception(error: Exception, batch_id: int) -> StreamingQueryException:
    message = error.getMessage() if isinstance(error, PySparkException) else repr(error)
    wrapped = StreamingQueryException(
        f"Query terminated with exception in batch {batch_id}: {type(error).__name__}: {message}",
        "STREAM_FAILED",
    )
    wrapped.__cause__ = error
    return wrapped
