"""``StreamingQuery`` and ``spark.streams`` (PySpark ``pyspark.sql.streaming``)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from kaspar.errors import IllegalArgumentException, StreamingQueryException

if TYPE_CHECKING:
    from kaspar.engine.streaming.query import StreamExecution
    from kaspar.sql.session import SparkSession


class StreamingQuery:
    """A handle to a query running on a background thread."""

    def __init__(self, execution: StreamExecution, session: SparkSession) -> None:
        self._execution = execution
        self._session = session

    @property
    def id(self) -> str:
        return self._execution.identity.id

    @property
    def runId(self) -> str:
        return self._execution.identity.run_id

    @property
    def name(self) -> str | None:
        return self._execution.identity.name

    @property
    def isActive(self) -> bool:
        return self._execution.is_active

    @property
    def status(self) -> dict[str, Any]:
        return dict(self._execution.status)

    @property
    def lastProgress(self) -> dict[str, Any] | None:
        progress = self._execution.recent_progress
        return progress[-1] if progress else None

    @property
    def recentProgress(self) -> list[dict[str, Any]]:
        return list(self._execution.recent_progress)

    def awaitTermination(self, timeout: int | float | None = None) -> bool | None:
        if timeout is not None and (not isinstance(timeout, int | float) or timeout <= 0):
            raise IllegalArgumentException(f"timeout must be a positive number, got {timeout}")
        finished = self._execution.await_termination(timeout)
        return finished if timeout is not None else None

    def processAllAvailable(self) -> None:
        self._execution.process_all_available()

    def stop(self) -> None:
        self._execution.stop()

    def exception(self) -> StreamingQueryException | None:
        return self._execution.exception

    def explain(self, extended: bool = False) -> None:
        sql = self._session._executor.sql(self._execution.execution.plan)
        print(f"== Physical Plan ==\nMicroBatch (DuckDB per batch)\n{sql}\n")  # noqa: T201

    def __repr__(self) -> str:
        return f"<StreamingQuery id={self.id} name={self.name}>"


class StreamingQueryManager:
    """``spark.streams``: the session's active queries."""

    def __init__(self, session: SparkSession) -> None:
        self._session = session
        self._active: dict[str, StreamingQuery] = {}
        self._terminated = threading.Condition()
        self._last_terminated: StreamingQuery | None = None

    def _add(self, query: StreamingQuery) -> None:
        with self._terminated:
            for other in self._active.values():
                if query.name is not None and other.name == query.name:
                    raise IllegalArgumentException(
                        f"Cannot start query with name {query.name} as a query with that name "
                        "is already active in this SparkSession"
                    )
                if other.id == query.id:
                    raise IllegalArgumentException(
                        f"Cannot start query with id {query.id} as another query with same id "
                        "is already active. Perhaps you are attempting to restart a query from "
                        "checkpoint that is already active."
                    )
            self._active[query.runId] = query

    def _terminated_callback(self, execution: StreamExecution) -> None:
        with self._terminated:
            query = self._active.pop(execution.identity.run_id, None)
            if query is not None:
                self._last_terminated = query
            self._terminated.notify_all()

    @property
    def active(self) -> list[StreamingQuery]:
        with self._terminated:
            return list(self._active.values())

    def get(self, id: str) -> StreamingQuery | None:
        with self._terminated:
            return next((q for q in self._active.values() if q.id == id), None)

    def awaitAnyTermination(self, timeout: int | float | None = None) -> bool | None:
        with self._terminated:
            done = self._terminated.wait_for(lambda: self._last_terminated is not None, timeout)
            last = self._last_terminated
        if last is not None and last.exception() is not None:
            raise last.exception()  # type: ignore[misc]
        return done if timeout is not None else None

    def resetTerminated(self) -> None:
        with self._terminated:
            self._last_terminated = None
