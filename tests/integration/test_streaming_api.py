"""StreamingQuery, spark.streams, listeners and the console/foreach sinks, checked against what
PySpark 4 does (messages and layouts taken from runs of pyspark 4.3 on local[1]).

MemoryStream only, no broker. Every wait is bounded.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kaspar.errors import (
    IllegalArgumentException,
    PySparkAttributeError,
    PySparkValueError,
    PythonException,
    StreamingQueryException,
)
from kaspar.sql import SparkSession
from kaspar.sql.streaming import MemoryStream, StreamingQuery, StreamingQueryListener
from kaspar.sql.streaming.listener import (
    QueryIdleEvent,
    QueryProgressEvent,
    QueryStartedEvent,
    QueryTerminatedEvent,
    SinkProgress,
    SourceProgress,
    StreamingQueryProgress,
)

WAIT_S = 10.0
RULE = "-------------------------------------------"


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


@pytest.fixture
def streams(spark: SparkSession) -> Iterator[Any]:
    """``spark.streams``, clean before and after: no listener, no query, no termination."""
    manager = spark.streams
    manager.resetTerminated()
    yield manager
    for query in manager.active:
        query.stop()
    for listener in list(manager._bus._listeners):
        manager.removeListener(listener)
    manager.resetTerminated()


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def drain(streams: Any) -> None:
    assert streams._bus.wait_until_empty(WAIT_S)


class Recorder(StreamingQueryListener):
    def __init__(self) -> None:
        self.events: list[Any] = []
        self.idle = threading.Event()

    def onQueryStarted(self, event: QueryStartedEvent) -> None:
        self.events.append(event)

    def onQueryProgress(self, event: QueryProgressEvent) -> None:
        self.events.append(event)

    def onQueryIdle(self, event: QueryIdleEvent) -> None:
        self.events.append(event)
        self.idle.set()

    def onQueryTerminated(self, event: QueryTerminatedEvent) -> None:
        self.events.append(event)


def numbers(spark: SparkSession) -> MemoryStream:
    return MemoryStream(spark, "id int, s string")


def test_listener_gets_started_progress_terminated_in_order(
    spark: SparkSession, streams: Any
) -> None:
    recorder = Recorder()
    streams.addListener(recorder)
    assert recorder.spark is spark
    stream = numbers(spark)
    stream.addData([(1, "a"), (2, "b")])
    query = stream.toDF().writeStream.format("memory").queryName("listened").start()
    started = recorder.events[0]  # delivered before start() returned, as in Spark
    assert isinstance(started, QueryStartedEvent)
    assert (started.id, started.runId) == (uuid.UUID(query.id), uuid.UUID(query.runId))
    assert started.name == "listened" and started.jobTags == set()
    assert started.timestamp.endswith("Z") and len(started.timestamp) == 24
    query.processAllAvailable()
    stream.addData([(3, "c")])
    query.processAllAvailable()
    query.stop()
    drain(streams)
    kinds = [type(e).__name__ for e in recorder.events if not isinstance(e, QueryIdleEvent)]
    assert kinds == [
        "QueryStartedEvent",
        "QueryProgressEvent",
        "QueryProgressEvent",
        "QueryTerminatedEvent",
    ]
    progress = [e.progress for e in recorder.events if isinstance(e, QueryProgressEvent)]
    assert [(p.batchId, p.numInputRows) for p in progress] == [(0, 2), (1, 1)]
    assert all(isinstance(p, StreamingQueryProgress) for p in progress)
    terminated = recorder.events[-1]
    assert terminated.id == started.id and terminated.runId == started.runId
    assert (terminated.exception, terminated.errorClassOnException) == (None, None)
    streams.removeListener(recorder)
    stream.toDF().writeStream.format("memory").queryName("unheard").start().stop()
    drain(streams)
    assert recorder.events[-1] is terminated


def test_idle_progress_and_idle_events(spark: SparkSession, streams: Any) -> None:
    spark.conf.set("spark.sql.streaming.noDataProgressEventInterval", "20ms")
    try:
        recorder = Recorder()
        streams.addListener(recorder)
        query = numbers(spark).toDF().writeStream.format("memory").queryName("idle").start()
        assert recorder.idle.wait(WAIT_S)
        query.stop()
    finally:
        spark.conf.set("spark.sql.streaming.noDataProgressEventInterval", "10000ms")
    drain(streams)
    idle = query.recentProgress
    assert idle and all(p.numInputRows == 0 and p.batchId == 0 for p in idle)
    # the first idle trigger after the start is recorded without an event, as in Spark
    events = [e for e in recorder.events if isinstance(e, QueryIdleEvent)]
    assert len(events) == len(idle) - 1
    assert [e.timestamp for e in events] == [p.timestamp for p in idle[1:]]
    assert events[0].id == uuid.UUID(query.id) and events[0].runId == uuid.UUID(query.runId)
    first = json.loads(idle[0].json)
    assert list(first["durationMs"]) == ["latestOffset", "triggerExecution"]
    assert first["sources"][0]["startOffset"] == 0 and first["sink"]["numOutputRows"] == -1


def test_a_slow_or_failing_listener_never_stalls_the_query(
    spark: SparkSession, streams: Any, caplog: pytest.LogCaptureFixture
) -> None:
    release = threading.Event()

    class Slow(Recorder):
        def onQueryProgress(self, event: QueryProgressEvent) -> None:
            assert release.wait(WAIT_S)
            super().onQueryProgress(event)

    class Failing(Recorder):
        def onQueryProgress(self, event: QueryProgressEvent) -> None:
            raise RuntimeError("listener bug")

    slow, failing = Slow(), Failing()
    streams.addListener(failing)
    streams.addListener(slow)
    stream = numbers(spark)
    query = stream.toDF().writeStream.format("memory").queryName("not_stalled").start()
    for i in range(3):
        stream.addData([(i, "x")])
        query.processAllAvailable()  # returns while the slow listener still holds batch 0
    assert spark.table("not_stalled").count() == 3 and query.isActive
    release.set()
    query.stop()
    with caplog.at_level(logging.ERROR, logger="kaspar.sql.streaming.listener"):
        drain(streams)
    batches = [e.progress.batchId for e in slow.events if isinstance(e, QueryProgressEvent)]
    assert batches == [0, 1, 2]
    assert isinstance(slow.events[-1], QueryTerminatedEvent)
    assert isinstance(failing.events[-1], QueryTerminatedEvent)
    assert "listener bug" in caplog.text and "onQueryProgress" in caplog.text


def test_progress_is_a_dict_with_pyspark_attributes(spark: SparkSession, streams: Any) -> None:
    stream = numbers(spark)
    stream.addData([(1, "a"), (2, "b"), (3, "c")])
    query = stream.toDF().writeStream.format("memory").queryName("progress").start()
    query.processAllAvailable()
    query.stop()
    batches = [p for p in query.recentProgress if p.numInputRows]
    assert len(batches) == 1
    progress = batches[0]
    assert isinstance(progress, dict) and isinstance(progress, StreamingQueryProgress)
    assert progress["id"] == query.id and progress.id == uuid.UUID(query.id)
    assert progress["runId"] == query.runId and progress.name == "progress"
    assert list(progress) == [
        "id", "runId", "name", "timestamp", "batchId", "batchDuration", "durationMs",
        "eventTime", "stateOperators", "sources", "sink", "numInputRows",
        "inputRowsPerSecond", "processedRowsPerSecond", "observedMetrics",
    ]  # fmt: skip
    assert progress["eventTime"] == {} and progress.observedMetrics == {}
    assert progress.batchId == 0 and progress["numInputRows"] == 3
    source, sink = progress.sources[0], progress.sink
    assert isinstance(source, SourceProgress) and isinstance(sink, SinkProgress)
    assert (source.startOffset, source.endOffset, source["latestOffset"]) == ("0", "1", "1")
    assert (sink.description, sink.numOutputRows) == ("MemorySink", 3)
    spark_json = json.loads(progress.json)
    assert "eventTime" not in spark_json and "observedMetrics" not in spark_json
    assert spark_json["sources"][0]["endOffset"] == 1
    assert list(spark_json["durationMs"]) == sorted(spark_json["durationMs"])
    rate = spark_json["processedRowsPerSecond"]
    assert rate == round(rate, 1) == progress.processedRowsPerSecond
    assert (
        str(progress) == repr(progress) == progress.prettyJson == json.dumps(spark_json, indent=4)
    )
    assert query.lastProgress == query.recentProgress[-1]


def test_status_follows_the_trigger(spark: SparkSession, streams: Any) -> None:
    stream = numbers(spark)
    stream.addData([(1, "a")])
    writer = stream.toDF().writeStream.format("memory").queryName("status")
    query = writer.trigger(processingTime="1 hour").start()
    wait_until(lambda: query.status["message"] == "Waiting for next trigger")
    assert query.status == {
        "message": "Waiting for next trigger",
        "isDataAvailable": True,
        "isTriggerActive": False,
    }
    query.stop()  # wakes the sleeping trigger
    assert query.status == {
        "message": "Stopped",
        "isDataAvailable": False,
        "isTriggerActive": False,
    }
    idle = numbers(spark).toDF().writeStream.format("memory").queryName("status_idle").start()
    wait_until(lambda: idle.status["message"] == "Waiting for data to arrive")
    idle.stop()


def fail_on_batch(df: Any, batch_id: int) -> None:
    raise ValueError("boom in batch")


def test_failure_exception_and_await(spark: SparkSession, streams: Any) -> None:
    recorder = Recorder()
    streams.addListener(recorder)
    stream = numbers(spark)
    stream.addData([(1, "a")])
    query = stream.toDF().writeStream.foreachBatch(fail_on_batch).queryName("fails").start()
    with pytest.raises(StreamingQueryException) as raised:
        query.awaitTermination(WAIT_S)
    prefix = (
        f"[STREAM_FAILED] Query [id = {query.id}, runId = {query.runId}] terminated with "
        "exception: [FOREACH_BATCH_USER_FUNCTION_ERROR] An error occurred in the user provided "
        "function in foreach batch sink. Reason: Traceback (most recent call last):"
    )
    assert str(raised.value).startswith(prefix)
    assert raised.value.getCondition() == "STREAM_FAILED"
    assert "ValueError: boom in batch\n=== Streaming Query ===\n" in str(raised.value)
    assert f"Identifier: fails [id = {query.id}, runId = {query.runId}]" in str(raised.value)
    assert "Current Committed Offsets: {MemoryStream: 0}" in str(raised.value)
    assert "Current Available Offsets: {MemoryStream: 1}" in str(raised.value)
    error = query.exception()  # PySpark: the cause's message, then the query's state
    assert isinstance(error, StreamingQueryException)
    assert str(error).startswith("[FOREACH_BATCH_USER_FUNCTION_ERROR] An error occurred")
    assert "=== Streaming Query ===" in str(error)
    assert isinstance(error.__cause__, PythonException)
    assert isinstance(error.__cause__.__cause__, ValueError)
    assert not query.isActive and query not in streams.active
    assert query.status["message"].startswith("Terminated with exception: [FOREACH_BATCH_USER")
    with pytest.raises(StreamingQueryException):
        query.awaitTermination()  # again, at once
    with pytest.raises(PySparkValueError) as invalid:
        query.awaitTermination(0)
    assert (
        str(invalid.value)
        == "[VALUE_NOT_POSITIVE] Value for `timeout` must be positive, got 'int'."
    )
    drain(streams)
    terminated = recorder.events[-1]
    assert isinstance(terminated, QueryTerminatedEvent)
    assert terminated.errorClassOnException == "FOREACH_BATCH_USER_FUNCTION_ERROR"
    assert terminated.exception.startswith("kaspar.errors.PythonException: [FOREACH_BATCH")
    assert "ValueError: boom in batch" in terminated.exception


def test_await_any_termination(spark: SparkSession, streams: Any) -> None:
    assert streams.awaitAnyTermination(0) is False
    with pytest.raises(PySparkValueError, match="VALUE_NOT_POSITIVE"):
        streams.awaitAnyTermination(-1)
    stream = numbers(spark)
    first = stream.toDF().writeStream.format("memory").queryName("any_1").start()
    assert streams.awaitAnyTermination(0.01) is False
    first.stop()
    assert streams.awaitAnyTermination() is None
    assert streams.awaitAnyTermination(1) is True  # still, until resetTerminated
    streams.resetTerminated()
    assert streams.awaitAnyTermination(0.01) is False
    stream.addData([(1, "a")])
    failed = stream.toDF().writeStream.foreachBatch(fail_on_batch).start()
    with pytest.raises(StreamingQueryException):
        streams.awaitAnyTermination(WAIT_S)
    clean = stream.toDF().writeStream.format("memory").queryName("any_2").start()
    clean.stop()
    with pytest.raises(StreamingQueryException):  # a failure is kept over later clean stops
        streams.awaitAnyTermination(1)
    assert failed.exception() is not None
    streams.resetTerminated()
    assert streams.awaitAnyTermination(0) is False


def test_active_get_and_stop(spark: SparkSession, streams: Any, tmp_path: Path) -> None:
    stream = numbers(spark)
    seen: list[int] = []
    query: StreamingQuery | None = None

    def stop_inside(df: Any, batch_id: int) -> None:
        seen.append(df.count())
        assert query is not None
        query.stop()  # returns at once; the query stops after this batch

    writer = stream.toDF().writeStream.foreachBatch(stop_inside)
    query = writer.option("checkpointLocation", str(tmp_path)).start()
    assert streams.get(query.id) is query and query in streams.active
    assert streams.get(str(uuid.uuid4())) is None
    stream.addData([(1, "a"), (2, "b")])
    assert query.awaitTermination(WAIT_S) is True
    assert query.exception() is None and seen == [2]
    assert (tmp_path / "commits" / "0").exists()  # the batch finished and committed
    query.stop()  # idempotent
    assert not query.isActive and streams.get(query.id) is None and query not in streams.active


def test_foreach_with_a_function_and_a_writer(spark: SparkSession, streams: Any) -> None:
    stream = numbers(spark)
    rows: list[Any] = []
    query = stream.toDF().writeStream.foreach(rows.append).start()
    stream.addData([(1, "a"), (2, "b")])
    query.processAllAvailable()
    query.stop()
    assert [tuple(r) for r in rows] == [(1, "a"), (2, "b")] and rows[0].s == "a"

    calls: list[Any] = []

    class Writer:
        def open(self, partition_id: int, epoch_id: int) -> bool:
            calls.append(("open", partition_id, epoch_id))
            return epoch_id != 1  # skip batch 1

        def process(self, row: Any) -> None:
            calls.append(("process", row.id))
            if row.id == 9:
                raise KeyError("bad row")

        def close(self, error: BaseException | None) -> None:
            calls.append(("close", repr(error)))

    stream = numbers(spark)
    query = stream.toDF().writeStream.foreach(Writer()).start()
    for batch in ([(1, "a")], [(2, "b")], [(3, "c"), (9, "z"), (4, "d")]):
        stream.addData(batch)
        if batch[0][0] < 3:
            query.processAllAvailable()
    with pytest.raises(StreamingQueryException, match="KeyError: 'bad row'") as raised:
        query.awaitTermination(WAIT_S)
    assert calls == [
        ("open", 0, 0), ("process", 1), ("close", "None"),
        ("open", 0, 1), ("close", "None"),
        ("open", 0, 2), ("process", 3), ("process", 9), ("close", "KeyError('bad row')"),
    ]  # fmt: skip
    assert "[PYTHON_EXCEPTION] An exception was thrown from the Python worker" in str(raised.value)
    assert query.lastProgress is not None
    assert query.lastProgress.sink.description == "ForeachWriterTable"


def test_foreach_needs_a_callable_process(spark: SparkSession) -> None:
    df = numbers(spark).toDF()

    class NoProcess:
        pass

    class NotCallable:
        process = 1

    for writer in (NoProcess(), NotCallable()):
        with pytest.raises(PySparkAttributeError) as raised:
            df.writeStream.foreach(writer)
        assert str(raised.value) == (
            "[ATTRIBUTE_NOT_CALLABLE] Attribute `process` in provided object `f` is not callable."
        )


def test_console_sink_prints_as_spark(
    spark: SparkSession, streams: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = numbers(spark)
    stream.addData([(i, "x" * 3 * i) for i in range(4)])
    writer = stream.toDF().writeStream.format("console").option("numRows", 3)
    query = writer.option("truncate", False).start()
    query.processAllAvailable()
    query.stop()
    empty = stream.toDF().filter("id > 100").writeStream.format("console").start()
    empty.processAllAvailable()
    empty.stop()
    assert capsys.readouterr().out == (
        f"{RULE}\nBatch: 0\n{RULE}\n"
        "+---+------+\n|id |s     |\n+---+------+\n"
        "|0  |      |\n|1  |xxx   |\n|2  |xxxxxx|\n+---+------+\nonly showing top 3 rows\n"
        f"{RULE}\nBatch: 0\n{RULE}\n"
        "+---+---+\n| id|  s|\n+---+---+\n+---+---+\n\n"
    )
    with pytest.raises(IllegalArgumentException, match=r"^5 is not a boolean string\.$"):
        stream.toDF().writeStream.format("console").option("truncate", 5).start()


def test_trigger_arguments_as_pyspark(spark: SparkSession) -> None:
    writer = numbers(spark).toDF().writeStream
    cases: list[tuple[dict[str, Any], str]] = [
        ({}, "[ONLY_ALLOW_SINGLE_TRIGGER] Only a single trigger is allowed."),
        (
            {"once": True, "processingTime": "1 second"},
            "[ONLY_ALLOW_SINGLE_TRIGGER] Only a single trigger is allowed.",
        ),
        (
            {"once": False},
            "[VALUE_NOT_ALLOWED] Value for `once` has to be amongst the following values: [True].",
        ),
        (
            {"processingTime": ""},
            "[VALUE_NOT_NON_EMPTY_STR] Value for `processingTime` must be a non-empty string, "
            "got ''.",
        ),
        (
            {"availableNow": False},
            "[VALUE_NOT_ALLOWED] Value for `availableNow` has to be amongst the following "
            "values: [True].",
        ),
    ]
    for arguments, message in cases:
        with pytest.raises(PySparkValueError) as raised:
            writer.trigger(**arguments)
        assert str(raised.value) == message
    for option in ("continuous", "realTime"):
        assert writer.trigger(**{option: "1 second"}) is writer


def test_explain(spark: SparkSession, streams: Any, capsys: pytest.CaptureFixture[str]) -> None:
    df = numbers(spark).toDF().filter("id > 1").select("s")
    query = df.writeStream.format("memory").queryName("explained").start()
    query.explain()
    short = capsys.readouterr().out
    query.explain(True)
    extended = capsys.readouterr().out
    query.stop()
    assert short.startswith("== Physical Plan ==\nWriteToMicroBatchDataSource MemorySink\n")
    assert "SELECT" in short and "== Analyzed Logical Plan ==" not in short
    assert extended.startswith("== Analyzed Logical Plan ==\nWriteToMicroBatchDataSource")
    assert "StreamingRelation MemoryStream" in extended and extended.endswith(short)
