"""kaspar's streaming latency and state probes (run inside ``bench.streaming_worker``).

* ``single_record_batches``: a query with the default trigger reads a fresh topic; one record
  at a time is produced and waited for in the ``foreachBatch`` sink. Per record: the wall time
  from ``produce()`` to the sink call, and the batch's ``durationMs`` from its progress.
* ``latency_at_rate``: records stamped with ``time.time_ns()`` are produced at a fixed rate
  (10,000/s) by a thread; the query parses and filters them, and its ``foreachBatch`` sink
  records ``now - sent`` for every row: Kafka -> processed -> visible, per record.
* ``state_with_many_keys``: ``groupBy(key).count()`` (update mode) fed distinct keys through a
  ``MemoryStream`` in batches of a million; per batch the time, the progress' state operator
  metrics, the process RSS and the checkpoint's size on disk; then a small batch of keys that
  already exist, to see what a batch costs once the state is large.

Only the standard library, confluent-kafka and ``bench.workloads`` are imported at the top, so
the Quix Streams worker (its own virtualenv) can share ``RateProducer``.
"""

from __future__ import annotations

import json
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.workloads import make_producer, percentile

LATENCY_SCHEMA = "sent_ns BIGINT, user STRING, amount DOUBLE"
POLL_S = 0.0002


def ms_summary(values_ms: list[float]) -> dict[str, float]:
    ordered = sorted(values_ms)
    if not ordered:
        return {}
    return {
        "count": len(ordered),
        "p50_ms": percentile(ordered, 0.50),
        "p99_ms": percentile(ordered, 0.99),
        "p999_ms": percentile(ordered, 0.999),
        "max_ms": ordered[-1],
        "mean_ms": statistics.fmean(ordered),
    }


def latency_value(i: int) -> str:
    """A small JSON event stamped with the time it is produced."""
    return json.dumps({"sent_ns": time.time_ns(), "user": f"u{i % 1000}", "amount": i % 1000})


class RateProducer(threading.Thread):
    """Produces ``latency_value`` records at ``rate`` per second until ``stop()``."""

    def __init__(self, bootstrap: str, topic: str, rate: int) -> None:
        super().__init__(name="rate-producer", daemon=True)
        self.producer = make_producer(bootstrap)
        self.topic, self.rate = topic, rate
        self.sent = 0
        self._halt = threading.Event()

    def run(self) -> None:
        start = time.perf_counter()
        while not self._halt.is_set():
            due = int((time.perf_counter() - start) * self.rate)
            while self.sent < due:
                self.producer.produce(self.topic, latency_value(self.sent))
                self.sent += 1
            self.producer.poll(0)
            time.sleep(0.0005)
        self.producer.flush(30)

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=60)


def wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL_S)
    return True


def _progress(query: Any, batch_id: int) -> dict[str, Any] | None:
    last = query.lastProgress
    return last if last is not None and last["batchId"] >= batch_id else None


def _data_progress(query: Any, batch_id: int) -> dict[str, Any] | None:
    """The progress of the first batch from ``batch_id`` on that read rows."""
    return next(
        (p for p in query.recentProgress if p["batchId"] >= batch_id and p["numInputRows"]), None
    )


def _kafka_stream(spark: Any, bootstrap: str, topic: str) -> Any:
    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
    )


def single_record_batches(
    spark: Any, F: Any, bootstrap: str, topic: str, count: int, timeout_s: float
) -> dict[str, Any]:
    """Produce ``count`` records one at a time, each waited for before the next."""
    arrived: list[tuple[int, float]] = []

    def sink(df: Any, batch_id: int) -> None:
        arrived.append((batch_id, time.perf_counter()))

    values = _kafka_stream(spark, bootstrap, topic).select(F.col("value").cast("string"))
    query = values.writeStream.foreachBatch(sink).start()
    producer = make_producer(bootstrap)
    walls, triggers, other = [], [], []
    deadline = time.monotonic() + timeout_s
    try:
        for i in range(count + 5):  # the first five are warm-up
            before, sent = len(arrived), time.perf_counter()
            producer.produce(topic, str(i).encode())
            producer.poll(0)
            if not wait_until(lambda b=before: len(arrived) > b, 10):
                return {"error": f"record {i} not seen in 10 s", "exception": _exc(query)}
            batch_id, at = arrived[-1]
            wait_until(lambda b=batch_id: _progress(query, b) is not None, 2)
            progress = _progress(query, batch_id)
            if i >= 5:
                walls.append((at - sent) * 1000)
                if progress is not None:
                    durations = progress["durationMs"]
                    triggers.append(float(durations["triggerExecution"]))
                    other.append(durations)
            if time.monotonic() > deadline:
                break
    finally:
        query.stop()
        producer.flush(10)
    return {
        "produce_to_sink": ms_summary(walls),
        "trigger_execution": ms_summary(triggers),
        "duration_ms_mean": _mean_durations(other),
        "note": "durationMs is whole milliseconds",
    }


def _mean_durations(durations: list[dict[str, int]]) -> dict[str, float]:
    keys = {k for d in durations for k in d}
    return {k: statistics.fmean(d.get(k, 0) for d in durations) for k in sorted(keys)}


def _exc(query: Any) -> str | None:
    error = query.exception()
    return None if error is None else str(error)[:2000]


def latency_at_rate(
    spark: Any,
    F: Any,
    bootstrap: str,
    topic: str,
    rate: int,
    seconds: float,
    warmup_s: float,
    timeout_s: float,
) -> dict[str, Any]:
    """Kafka -> from_json + filter -> foreachBatch, at ``rate`` records/s for ``seconds``."""
    latencies_ms: list[float] = []
    batch_sizes: list[int] = []
    measure_after = time.time_ns() + int(warmup_s * 1e9)

    def sink(df: Any, batch_id: int) -> None:
        now = time.time_ns()
        sent = df.toArrow().column("sent_ns").to_pylist()
        batch_sizes.append(len(sent))
        latencies_ms.extend((now - s) / 1e6 for s in sent if s >= measure_after)

    raw = _kafka_stream(spark, bootstrap, topic)
    parsed = raw.select(F.from_json(F.col("value").cast("string"), LATENCY_SCHEMA).alias("e"))
    events = parsed.select("e.*").filter(F.col("amount") >= 0).select("sent_ns")
    query = events.writeStream.foreachBatch(sink).start()
    producer = RateProducer(bootstrap, topic, rate)
    producer.start()
    try:
        time.sleep(seconds)
        producer.stop()
        wait_until(lambda: sum(batch_sizes) >= producer.sent, timeout_s)
    finally:
        producer.stop()
        progress = [p for p in query.recentProgress if p["numInputRows"]]
        query.stop()
    triggers = [float(p["durationMs"]["triggerExecution"]) for p in progress]
    return {
        "rate": rate,
        "seconds": seconds,
        "produced": producer.sent,
        "received": sum(batch_sizes),
        "batches": len(batch_sizes),
        "mean_batch_rows": statistics.fmean(batch_sizes) if batch_sizes else 0,
        "latency": ms_summary(latencies_ms),
        "trigger_execution_recent": ms_summary(triggers),
        "exception": _exc(query),
    }


def rss_mb() -> dict[str, float]:
    """VmRSS and VmHWM (peak) of this process, from /proc."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return fields


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def _keys(start: int, stop: int) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    numbers = pc.cast(pa.array(range(start, stop), pa.int64()), pa.string())
    # named c0: kaspar's MemoryStream.addData(arrow_table) casts to c0..cn before renaming
    return pa.table({"c0": pc.binary_join_element_wise("key-", numbers, "")})


def state_with_many_keys(
    spark: Any, F: Any, keys: int, batch_keys: int, timeout_s: float
) -> dict[str, Any]:
    """``groupBy(key).count()`` over ``keys`` distinct keys, ``batch_keys`` per batch."""
    from kaspar.sql.streaming.memory import MemoryStream

    stream = MemoryStream(spark, "key STRING")
    checkpoint = Path(tempfile.mkdtemp(prefix="bench-streaming-state-"))
    counts = stream.toDF().groupBy("key").count()
    writer = counts.writeStream.outputMode("update").foreachBatch(lambda df, batch_id: None)
    query = writer.option("checkpointLocation", str(checkpoint)).start()
    batches: list[dict[str, Any]] = [{"rss_mb_before": rss_mb()}]
    deadline = time.monotonic() + timeout_s
    try:
        plan = [(s, min(s + batch_keys, keys)) for s in range(0, keys, batch_keys)]
        plan.append((0, min(1000, keys)))  # a small batch of keys already in the state
        for start, stop in plan:
            table = _keys(start, stop)
            # idle triggers report progress too: count from the last batch that read rows
            done = [p["batchId"] for p in query.recentProgress if p["numInputRows"]]
            after = max(done, default=-1) + 1
            began = time.perf_counter()
            stream.addData(table)
            left = max(1.0, deadline - time.monotonic())
            if not wait_until(lambda b=after: _data_progress(query, b) is not None, left):
                batches.append({"error": "timed out", "exception": _exc(query)})
                break
            progress = _data_progress(query, after) or {}
            batches.append(
                {
                    "rows": stop - start,
                    "wall_s": time.perf_counter() - began,
                    "durationMs": progress.get("durationMs"),
                    "stateOperators": progress.get("stateOperators"),
                    "rss_mb": rss_mb(),
                    "checkpoint_mb": dir_mb(checkpoint),
                }
            )
    finally:
        query.stop()
        shutil.rmtree(checkpoint, ignore_errors=True)
    return {"keys": keys, "batch_keys": batch_keys, "batches": batches}
