"""``StreamingQuery`` and ``spark.streams`` (PySpark ``pyspark.sql.streaming.query``)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from kaspar.activation import StandInRepr
from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.trigger import parse_interval_ms
from kaspar.errors import IllegalArgumentException, PySparkValueError, StreamingQueryException
from kaspar.sql.streaming.listener import StreamingQueryListener, StreamingQueryListenerBus
from kaspar.sql.streaming.progress import StreamingQueryProgress, progress_json

_PROGRESS_CACHE = 400  # converted progress objects kept (the engine keeps the last 100)

if TYPE_CHECKING:
    from kaspar.engine.streaming.query import StreamExecution
    from kaspar.sql.session import SparkSession


def _check_timeout(timeout: Any, allow_zero: bool) -> None:
    """PySpark's check: a number, positive (``awaitAnyTermination`` also takes 0)."""
    if not isinstance(timeout, int | float) or timeout < 0 or (timeout == 0 and not allow_zero):
        raise PySparkValueError(
            f"Value for `timeout` must be positive, got '{type(timeout).__name__}'.",
            "VALUE_NOT_POSITIVE",
            {"arg_name": "timeout", "arg_value": type(timeout).__name__},
        )


class StreamingQuery:
    """A handle to a query running on a background thread."""

    def __init__(self, execution: StreamExecution, session: SparkSession) -> None:
        self._execution = execution
        self._session = session
        self._converted: dict[int, tuple[dict[str, Any], StreamingQueryProgress]] = {}

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
        """``message``, ``isDataAvailable`` and ``isTriggerActive``, worded as Spark's."""
        return dict(self._execution.status)

    @property
    def lastProgress(self) -> StreamingQueryProgress | None:
        progress = self._execution.recent_progress
        return self._progress(progress[-1]) if progress else None

    @property
    def recentProgress(self) -> list[StreamingQueryProgress]:
        return [self._progress(p) for p in list(self._execution.recent_progress)]

    def _progress(self, raw: dict[str, Any]) -> StreamingQueryProgress:
        """The progress object for one engine report, built once (callers poll these)."""
        cached = self._converted.get(id(raw))
        if cached is None or cached[0] is not raw:
            cached = (raw, StreamingQueryProgress.fromJson(progress_json(raw)))
            if len(self._converted) > _PROGRESS_CACHE:
                self._converted.clear()
            self._converted[id(raw)] = cached
        return cached[1]

    def awaitTermination(self, timeout: int | float | None = None) -> bool | None:
        """Wait for the query to stop; True/False with a ``timeout``; raises its failure."""
        if timeout is not None:
            _check_timeout(timeout, allow_zero=False)
        finished = self._execution.await_termination(timeout)
        return finished if timeout is not None else None

    def processAllAvailable(self) -> None:
        self._execution.process_all_available()

    def stop(self) -> None:
        """Stop the query (idempotent; from inside ``foreachBatch`` it stops after the batch)."""
        self._execution.stop()

    def exception(self) -> StreamingQueryException | None:
        """The error that stopped the query: its message and the query's state, as PySpark's."""
        failure = self._execution.failure
        if failure is None:
            return None
        error = StreamingQueryException(f"{failure.message}\n{failure.debug}")
        error.__cause__ = failure.cause
        return error

    def explain(self, extended: bool = False) -> None:
        print(self._explain_string(extended))  # noqa: T201

    def _explain_string(self, extended: bool) -> str:
        execution = self._execution.execution
        sink = f"WriteToMicroBatchDataSource {execution.sink.description}"
        physical = self._session._executor.sql(execution.plan)
        text = f"== Physical Plan ==\n{sink}\n+- DuckDB, per micro-batch:\n   {physical}\n"
        if not extended:
            return text
        logical = "\n".join([sink, *_tree(execution.plan, "")])
        return f"== Analyzed Logical Plan ==\n{logical}\n\n{text}"

    def __repr__(self) -> str:
        return f"<StreamingQuery id={self.id} name={self.name}>"


def _tree(plan: L.LogicalPlan, indent: str) -> list[str]:
    """Spark's plan tree layout: one node a line, children under ``+- ``."""
    label = type(plan).__name__
    if isinstance(plan, L.StreamingRelation):
        label += f" {getattr(plan.source, 'description', '')}".rstrip()
    lines = [f"{indent}+- {label}"]
    for child in plan.children:
        lines += _tree(child, indent + "   ")
    return lines


class StreamingQueryManager(StandInRepr):
    """``spark.streams``: the session's active queries and its query listeners."""

    _pyspark_module = "pyspark.sql.streaming.query"

    def __init__(self, session: SparkSession) -> None:
        self._session = session
        self._active: dict[str, StreamingQuery] = {}
        self._terminated = threading.Condition()
        self._any_terminated = False  # since the start or the last resetTerminated
        self._terminated_exception: StreamingQueryException | None = None
        self._bus = StreamingQueryListenerBus()

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
        execution = query._execution
        execution.listener = self._post
        interval = self._session.conf.get("spark.sql.streaming.noDataProgressEventInterval", None)
        if interval is not None:
            execution.no_data_progress_interval_s = _milliseconds(str(interval)) / 1000

    def _post(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "started":
            self._bus.post_to_all(kind, payload)
        else:
            self._bus.post(kind, payload)

    def _terminated_callback(self, execution: StreamExecution) -> None:
        """Spark's ``notifyQueryTermination``: a failure is kept over later clean stops."""
        with self._terminated:
            self._active.pop(execution.identity.run_id, None)
            if not self._any_terminated or execution.exception is not None:
                self._terminated_exception = execution.exception
            self._any_terminated = True
            self._terminated.notify_all()

    @property
    def active(self) -> list[StreamingQuery]:
        with self._terminated:
            return list(self._active.values())

    def get(self, id: str) -> StreamingQuery | None:
        with self._terminated:
            return next((q for q in self._active.values() if q.id == id), None)

    def awaitAnyTermination(self, timeout: int | float | None = None) -> bool | None:
        """Wait until a query stopped since the start or ``resetTerminated``; raises the
        error of one that failed."""
        if timeout is not None:
            _check_timeout(timeout, allow_zero=True)
        with self._terminated:
            done = self._terminated.wait_for(lambda: self._any_terminated, timeout)
            error = self._terminated_exception
        if error is not None:
            raise error
        return done if timeout is not None else None

    def resetTerminated(self) -> None:
        with self._terminated:
            self._any_terminated = False
            self._terminated_exception = None

    def addListener(self, listener: StreamingQueryListener) -> None:
        listener._set_spark_session(self._session)
        self._bus.add(listener)

    def removeListener(self, listener: StreamingQueryListener) -> None:
        self._bus.remove(listener)


def _milliseconds(text: str) -> int:
    """A Spark time conf: ``10000`` (ms), ``10s``, ``1 minute``."""
    return int(text) if text.strip().isdigit() else parse_interval_ms(text)
