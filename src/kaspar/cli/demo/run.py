"""`kaspar demo`, step by step:

1. Start the embedded platform (`kaspar.cli.platform.Platform`: the broker on a free loopback
   port, its log in `<data dir>/broker`), or use the Kafka `--bootstrap-server` names.
2. Create the topics (kept if they exist) and note their log end offsets.
3. Start the three pipelines of `pipelines.py` in one SparkSession, with a progress listener.
4. Start the producers: orders (50/s and a burst of 250 every 10 s), sensor readings (25/s),
   and the two feedback sources (5/s each).
5. Show the live view (a plain line every 5 s when stdout is not a terminal) until `--duration`
   seconds have passed, or Ctrl-C or SIGTERM.
6. Stop the producers, let every query process what is available (bounded), stop the queries.
7. Read the topics and Delta tables back and run the checks (`checks.py`); stop the broker.
8. Print the summary (`summary.py`), write it as JSON with `--summary-json`.

A signal before step 5, or a second one later, stops everything at once (exit code 130).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any

from confluent_kafka import KafkaException
from deltalake import DeltaTable
from rich.live import Live
from rich.markup import escape

from kaspar.cli.demo import checks
from kaspar.cli.demo.display import live_view, plain_line
from kaspar.cli.demo.events import order_events, sensor_readings
from kaspar.cli.demo.monitor import DeltaResults, LogEndOffsets, Offsets, ProgressListener, Sampler
from kaspar.cli.demo.pipelines import (
    ORDERS,
    SENSORS,
    Pipelines,
    example,
    sentiment_example,
    start_pipelines,
    topic_partitions,
)
from kaspar.cli.demo.producers import FLUSH_TIMEOUT_S, SteadyProducer
from kaspar.cli.demo.summary import Summary
from kaspar.cli.errors import CliError
from kaspar.cli.platform import Platform, PlatformSettings
from kaspar.cli.stop_signals import StopRequest, handling_stop_signals
from kaspar.cli.terminal import status, stdout

REFRESH_S = 0.5
PLAIN_EVERY_S = 5.0
CATCH_UP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class DemoOptions:
    data_dir: Path
    duration_s: float | None
    bootstrap_servers: str | None


class StopSignals:
    """SIGINT and SIGTERM while the demo runs.

    While `graceful`, the first one asks for a clean finish (`requested`); otherwise, or the
    next one, raises KeyboardInterrupt to stop at once; those after it are ignored while that
    stop cleans up. The previous handlers come back when the block ends.
    """

    def __init__(self) -> None:
        self.requested = StopRequest()
        self.graceful = False
        self.aborting = False

    def __call__(self, signum: int, _frame: FrameType | None) -> None:
        if self.graceful and not self.requested.is_set():
            self.requested.set()
        elif not self.aborting:
            self.aborting = True
            raise KeyboardInterrupt

    def installed(self) -> contextlib.AbstractContextManager[None]:
        return handling_stop_signals(self)


@contextlib.contextmanager
def kafka(options: DemoOptions) -> Iterator[str]:
    """Step 1: the bootstrap servers of the embedded platform, or of the given Kafka."""
    if options.bootstrap_servers is not None:
        yield options.bootstrap_servers
        return
    with Platform(PlatformSettings(data_dir=options.data_dir)) as platform:
        status(f"started the embedded kaspar platform: broker on {platform.bootstrap_servers}")
        yield platform.bootstrap_servers


def run_demo(options: DemoOptions) -> Summary:
    """Steps 1-7 of the module docstring; the caller prints the summary."""
    feedback, skipped = sentiment_example()
    if skipped:
        status(f"[yellow]{escape(skipped)}[/]")
    signals, started = StopSignals(), time.monotonic()
    with signals.installed(), kafka(options) as bootstrap:
        summary = Summary(bootstrap, options.data_dir, 0.0, options.bootstrap_servers is None)
        summary.skipped = skipped
        partitions = topic_partitions(feedback is not None)
        example("_platform").create_topics(bootstrap, partitions)
        offsets = LogEndOffsets(bootstrap, partitions)
        try:
            before = offsets.read()
            clock = checks.sensor_clock_start(bootstrap, before[SENSORS])
            pipelines, summary.produced = run_pipelines(
                options, bootstrap, feedback, signals, offsets, clock=clock
            )
            check(summary, pipelines, before, offsets.read(), partitions)
        finally:
            offsets.close()
    summary.duration_s = time.monotonic() - started
    return summary


def run_pipelines(
    options: DemoOptions,
    bootstrap: str,
    feedback: ModuleType | None,
    signals: StopSignals,
    offsets: LogEndOffsets,
    *,
    clock: datetime,
) -> tuple[Pipelines, dict[str, int]]:
    """Steps 3-6: the queries and producers, the live view, the catch-up; records delivered."""
    from kaspar.sql import SparkSession

    spark = (
        SparkSession.builder.appName("kaspar-demo")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    listener = ProgressListener()
    spark.streams.addListener(listener)
    stop = threading.Event()
    lake = options.data_dir / "lake"
    pipelines = start_pipelines(spark, bootstrap, lake, feedback, stop)
    producers: list[Any] = []
    try:
        producers = start_producers(bootstrap, pipelines, stop, clock)
        signals.graceful = True
        sampler = Sampler(offsets, listener, DeltaResults(pipelines.tables))
        watch(sampler, pipelines, options, signals, bootstrap)
        signals.graceful = False
        wind_down(pipelines, producers, stop)
    finally:
        stop.set()
        pipelines.stop()
        pipelines.feedback_producers.clear()  # their Kafka clients close with them
        spark.streams.removeListener(listener)
    return pipelines, {producer.topic: producer.delivered for producer in producers}


def start_producers(
    bootstrap: str, pipelines: Pipelines, stop: threading.Event, clock: datetime
) -> list[Any]:
    """Step 4; the sensor readings' event time starts at `clock`."""
    producers: list[Any] = [
        SteadyProducer(bootstrap, ORDERS, order_events(None), 50, stop, burst=250),
        SteadyProducer(bootstrap, SENSORS, sensor_readings(clock), 25, stop),
        *pipelines.feedback_producers,
    ]
    for producer in producers:
        producer.start()
    return producers


def watch(
    sampler: Sampler,
    pipelines: Pipelines,
    options: DemoOptions,
    signals: StopSignals,
    bootstrap: str,
) -> None:
    """Step 5: show samples until the duration is over, a signal came, or a query failed."""
    deadline = None if options.duration_s is None else time.monotonic() + options.duration_s
    skipped = "" if pipelines.feedback is not None else "feedback → sentiment: skipped"
    live = Live(console=stdout, auto_refresh=False) if stdout.is_terminal else None
    last_plain = -PLAIN_EVERY_S
    with live if live is not None else contextlib.nullcontext():
        while not signals.requested.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                break
            raise_if_failed(pipelines)
            with contextlib.suppress(KafkaException):
                sample = sampler.sample(pipelines.alerts)
                if live is not None:
                    live.update(
                        live_view(sample, options.duration_s, bootstrap, skipped, stdout.width)
                    )
                    live.refresh()
                elif sample.elapsed_s - last_plain >= PLAIN_EVERY_S:
                    last_plain = sample.elapsed_s
                    stdout.print(plain_line(sample), markup=False, soft_wrap=True)
            signals.requested.wait(REFRESH_S)


def raise_if_failed(pipelines: Pipelines) -> None:
    for name, query in pipelines.queries.items():
        if not query.isActive:
            raise CliError(f"the streaming query {name} stopped: {query.exception()}")


def wind_down(pipelines: Pipelines, producers: list[Any], stop: threading.Event) -> None:
    """Step 6: producers first, then every query processes what they wrote, then stops."""
    status("stopping the producers; the queries process what is left ...")
    stop.set()
    for producer in producers:
        producer.join(FLUSH_TIMEOUT_S + 5)
    errors = [error for producer in producers for error in producer.errors]
    if errors:
        raise CliError(f"{len(errors)} record(s) not delivered: {errors[0]}")
    for name, query in pipelines.queries.items():  # the routing before the reaction to it
        catch_up(name, query)
    pipelines.stop()


def catch_up(name: str, query: Any) -> None:
    """`processAllAvailable`, bounded: a query that does not catch up is an error."""

    def process() -> None:
        with contextlib.suppress(Exception):  # the failure is the query's exception()
            query.processAllAvailable()

    waiter = threading.Thread(target=process, name=f"demo-catch-up-{name}", daemon=True)
    waiter.start()
    waiter.join(CATCH_UP_TIMEOUT_S)
    if query.exception() is not None:
        raise CliError(f"the streaming query {name} failed: {query.exception()}")
    if waiter.is_alive():
        raise CliError(f"the streaming query {name} did not catch up in {CATCH_UP_TIMEOUT_S:g} s")


def delta_rows(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = DeltaTable(str(path)).to_pyarrow_table().to_pylist()
    return rows


def check(
    summary: Summary,
    pipelines: Pipelines,
    before: Offsets,
    after: Offsets,
    partitions: dict[str, int],
) -> None:
    """Step 7: read back every topic and table, fill in the summary and its checks."""
    values = {
        topic: checks.read_back(summary.bootstrap_servers, topic, after[topic])
        for topic in partitions
    }
    summary.topics = {
        t: {"partitions": n, "records": len(values[t])} for t, n in partitions.items()
    }
    summary.tables = dict(pipelines.tables)
    totals = delta_rows(pipelines.tables["order_totals"])
    windows = delta_rows(pipelines.tables["sensor_averages"])
    summary.order_totals = {row["customerId"]: row["total"] for row in totals}
    summary.sensor_windows = len(windows)
    grown_by = checks.grown(before, after, ORDERS)
    summary.checks += checks.check_orders(
        values[ORDERS], totals, grown_by, summary.produced[ORDERS]
    )
    progress = pipelines.queries["sensor_averages"].lastProgress
    watermark = progress.eventTime.get("watermark") if progress is not None else None
    summary.checks += checks.check_sensors(values[SENSORS], windows, watermark)
    feedback = pipelines.feedback
    if feedback is None:
        return
    topics = feedback.Topics()
    alert_topics = (topics.negative, topics.positive)
    routed = {  # by this run's routing query (a run before may have routed the same feedback)
        t: len(checks.read_back(summary.bootstrap_servers, t, after[t], before[t]))
        for t in alert_topics
    }
    summary.alerts = {t: len(values[t]) for t in alert_topics}
    summary.notifications = len(pipelines.alerts)
    summary.checks += checks.check_feedback(
        values[topics.slack] + values[topics.twitter],
        (routed[topics.negative], routed[topics.positive]),
        sum(summary.alerts.values()),
        summary.notifications,
        (feedback.NEGATIVE_BELOW, feedback.POSITIVE_ABOVE),
    )
