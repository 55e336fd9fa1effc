"""Quix Streams in the streaming benchmark: the four queries as Quix pipelines, one worker process.

    QUIX_PYTHON -m bench.streaming_quix

Quix Streams pins confluent-kafka < 2.13 while kaspar's venv has 2.16, so this worker runs in a
virtualenv of its own (``bench.streaming`` finds or is told its interpreter); it imports only
the standard library, quixstreams and the stdlib-only bench modules. Same line protocol as
``bench.streaming_worker``:

* ``{"op": "run", "query": NAME, "bootstrap": B, "topic": T, "n": N, "timeout_s": S}``: a new
  ``Application`` (new consumer group, fresh state folder, Quix's defaults otherwise: RocksDB
  state with changelog topics, at-least-once) consumes the topic from earliest until it has
  been idle for ``IDLE_S``; the time is from ``app.run()`` to the last record's processing.
* ``{"op": "latency_rate", ...}``: records stamped with ``time.time_ns()`` at a fixed rate,
  parsed and filtered by Quix; per record ``now - sent`` when it reaches the last step.

The pipelines, per query (the source records are keyed by user):

1. filter + apply (stateless);
2. stateful ``apply`` per message key (the user), no repartition: sum and count in the state;
3. ``group_by`` one constant key (a repartition topic), then ``tumbling_window(1 min)`` with
   ``Count`` and ``Sum``, ``.current()`` (Spark's update mode); event time from the ``ts``
   field; the grace period is 12 hours because Quix drops records older than the window's grace
   per partition as they arrive, and the two source partitions are consumed a fetch apart
   (Spark's watermark moves once per batch);
4. ``apply(split, expand=True)``, ``group_by`` the word (a repartition topic), stateful count.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

from bench.checksums import checksum
from bench.streaming_latency import RateProducer, ms_summary

MARKER = "@@bench "
IDLE_S = 3.0
GRACE_MS = 12 * 3_600_000


class Clock:
    """Counts records at the first and last step and keeps the time of the latest one."""

    def __init__(self) -> None:
        self.consumed = 0
        self.last = 0.0

    def first_step(self, value: Any) -> None:
        self.consumed += 1
        self.last = time.perf_counter()

    def last_step(self, value: Any) -> None:
        self.last = time.perf_counter()


def event_time_ms(value: Any, headers: Any, timestamp: float, timestamp_type: Any) -> int:
    if not isinstance(value, dict):  # a repartitioned record: keep the Kafka timestamp
        return int(timestamp)
    moment = datetime.fromisoformat(value["ts"]).replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def _naive(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).replace(tzinfo=None)


def filter_project(sdf: Any, rows: dict[Any, Any]) -> Any:
    sdf = sdf.filter(lambda e: e["action"] == "purchase" and e["amount"] > 990)
    sdf = sdf.apply(
        lambda e: [
            e["ts"],
            e["user"],
            e["action"].upper(),
            e["amount"] * 1.1,
        ]
    )
    return sdf.update(lambda row: rows.__setitem__(len(rows), row))


def group_by_user(sdf: Any, rows: dict[Any, Any]) -> Any:
    def aggregate(event: dict[str, Any], state: Any) -> list[Any]:
        total, n = state.get("agg", (0.0, 0))
        total, n = total + event["amount"], n + 1
        state.set("agg", (total, n))
        return [event["user"], total, n]

    sdf = sdf.apply(aggregate, stateful=True)
    return sdf.update(lambda row: rows.__setitem__(row[0], row))


def minute_windows(sdf: Any, rows: dict[Any, Any]) -> Any:
    from quixstreams.dataframe.windows import Count, Sum

    sdf = sdf.group_by(lambda e: "all", name="all")
    window = sdf.tumbling_window(duration_ms=60_000, grace_ms=GRACE_MS)
    sdf = window.agg(n=Count(), total=Sum("amount")).current()
    return sdf.update(
        lambda w: rows.__setitem__(
            w["start"], [_naive(w["start"]), _naive(w["end"]), w["n"], w["total"]]
        )
    )


def word_count(sdf: Any, rows: dict[Any, Any]) -> Any:
    def count(word: str, state: Any) -> list[Any]:
        n = state.get("n", 0) + 1
        state.set("n", n)
        return [word, n]

    sdf = sdf.apply(lambda e: e["text"].split(" "), expand=True)
    sdf = sdf.group_by(lambda word: word, name="word")
    sdf = sdf.apply(count, stateful=True)
    return sdf.update(lambda row: rows.__setitem__(row[0], row))


PIPELINES = {
    "filter+project": filter_project,
    "groupBy sum/count": group_by_user,
    "1-minute windows": minute_windows,
    "word count": word_count,
}


def application(bootstrap: str, state_dir: str) -> Any:
    from quixstreams import Application

    return Application(
        broker_address=bootstrap,
        consumer_group=f"bench-quix-{uuid.uuid4().hex[:12]}",
        auto_offset_reset="earliest",
        state_dir=state_dir,
        loglevel="WARNING",
    )


def run_app(app: Any, timeout_s: float, idle_s: float) -> None:
    """``app.run`` until idle for ``idle_s``, or stopped at the time limit."""
    timer = threading.Timer(timeout_s, app.stop)
    timer.start()
    try:
        app.run(timeout=idle_s)
    finally:
        timer.cancel()


def run_query(query: str, bootstrap: str, topic: str, n: int, timeout_s: float) -> dict[str, Any]:
    state_dir = tempfile.mkdtemp(prefix="bench-quix-state-")
    try:
        app = application(bootstrap, state_dir)
        source = app.topic(topic, value_deserializer="json", timestamp_extractor=event_time_ms)
        clock, rows = Clock(), {}
        sdf = app.dataframe(source).update(clock.first_step)
        PIPELINES[query](sdf, rows).update(clock.last_step)
        started = time.perf_counter()
        deadline = started + timeout_s
        run_app(app, timeout_s, IDLE_S)
        if time.perf_counter() >= deadline:
            return {"error": f"not finished after {timeout_s:.0f} s ({clock.consumed:,}/{n:,})"}
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)
    if clock.consumed < n:
        return {"error": f"consumed {clock.consumed:,} of {n:,} records"}
    result = [_typed(query, row) for row in rows.values()]
    seconds = clock.last - started
    return {"seconds": seconds, "rows_in": clock.consumed, "checksum": checksum(result)}


def _typed(query: str, row: list[Any]) -> tuple[Any, ...]:
    if query == "filter+project":
        return (datetime.fromisoformat(row[0]), *row[1:])
    return tuple(row)


def latency_rate(
    bootstrap: str, topic: str, rate: int, seconds: float, warmup_s: float, timeout_s: float
) -> dict[str, Any]:
    latencies_ms: list[float] = []
    measure_after = time.time_ns() + int(warmup_s * 1e9)
    received = [0]

    def arrive(event: dict[str, Any]) -> None:
        received[0] += 1
        if event["sent_ns"] >= measure_after:
            latencies_ms.append((time.time_ns() - event["sent_ns"]) / 1e6)

    state_dir = tempfile.mkdtemp(prefix="bench-quix-state-")
    producer = RateProducer(bootstrap, topic, rate)
    try:
        app = application(bootstrap, state_dir)
        sdf = app.dataframe(app.topic(topic, value_deserializer="json"))
        sdf.filter(lambda e: e["amount"] >= 0).update(arrive)
        threading.Timer(seconds, producer.stop).start()
        producer.start()
        run_app(app, min(timeout_s, seconds + 30), IDLE_S)
    finally:
        producer.stop()
        shutil.rmtree(state_dir, ignore_errors=True)
    return {
        "rate": rate,
        "seconds": seconds,
        "produced": producer.sent,
        "received": received[0],
        "latency": ms_summary(latencies_ms),
    }


def handle(request: dict[str, Any]) -> dict[str, Any]:
    op = request.pop("op")
    if op == "run":
        return run_query(**request)
    if op == "latency_rate":
        return latency_rate(**request)
    raise ValueError(f"unknown op {op}")


def reply(message: dict[str, Any]) -> None:
    print(MARKER + json.dumps(message, default=str), flush=True)


def serve() -> None:
    import quixstreams

    logging.getLogger("quixstreams").setLevel(logging.WARNING)
    reply({"ready": True, "quixstreams": quixstreams.__version__})
    for line in sys.stdin:
        try:
            reply(handle(json.loads(line)))
        except Exception as exc:
            reply(
                {
                    "error": f"{type(exc).__name__}: {exc}"[:3000],
                    "traceback": traceback.format_exc()[-6000:],
                }
            )


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m bench.streaming_quix", description=__doc__).parse_args(
        argv
    )
    serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
