"""The demo's three pipelines, taken from examples/ and run at once in one SparkSession.

* orders → Delta totals: `examples/order_totals`' aggregation, complete mode, every second.
* sensors → windowed averages: `examples/sensor_temperatures`' windows and watermark, appended
  to a Delta table every second.
* feedback → sentiment alerts: `examples/feedback_sentiment`'s routing query (VADER, Kafka
  transactions) and its reaction query; its two `FeedbackProducer`s replay the bundled messages.
  Without vaderSentiment this pipeline is skipped, and `sentiment_example` says why.

The examples live in the source tree next to `src/`, not in the kaspar package: the demo finds
them there (`./scripts/demo.sh` runs from a checkout).
"""

from __future__ import annotations

import importlib
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from kaspar.cli.errors import CliError

if TYPE_CHECKING:
    from kaspar.sql import SparkSession
    from kaspar.sql.streaming import StreamingQuery

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"
TRIGGER = "1 second"
ORDERS, SENSORS = "orders", "sensors"
TOPIC_PARTITIONS = {ORDERS: 3, SENSORS: 3}
FEEDBACK_TOPIC_PARTITIONS = {
    "feedback-slack": 2,
    "feedback-twitter": 2,
    "negative-feedback": 1,
    "positive-feedback": 1,
}
FEEDBACK_DELAY_S = 0.2
"""Seconds between two messages of one feedback source."""


def example(name: str) -> ModuleType:
    """The module `examples.<name>` (`order_totals.main`, `_platform`), from the source tree."""
    if not (EXAMPLES / "__init__.py").exists():
        msg = (
            f"kaspar demo runs the pipelines of examples/, which this install lacks "
            f"(looked in {EXAMPLES}): run it from a kaspar checkout, ./scripts/demo.sh"
        )
        raise CliError(msg)
    if str(EXAMPLES.parent) not in sys.path:
        sys.path.insert(0, str(EXAMPLES.parent))
    return importlib.import_module(f"examples.{name}")


def sentiment_example() -> tuple[ModuleType | None, str]:
    """examples/feedback_sentiment, or None and why it cannot run."""
    try:
        return example("feedback_sentiment.main"), ""
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("vaderSentiment"):
            raise
        return None, (
            "vaderSentiment is not installed, so the feedback → sentiment pipeline is skipped "
            "(pip install 'kaspar[examples]' or .venv/bin/pip install vaderSentiment)"
        )


@dataclass
class Pipelines:
    """The running queries by name, the Delta tables they write, the feedback alerts sent."""

    queries: dict[str, StreamingQuery] = field(default_factory=dict)
    tables: dict[str, Path] = field(default_factory=dict)
    feedback: ModuleType | None = None
    notifier: Any = None
    feedback_producers: list[Any] = field(default_factory=list)

    @property
    def alerts(self) -> list[dict[str, str]]:
        """The notifications the reaction query sent, oldest first."""
        return list(self.notifier.sent) if self.notifier is not None else []

    def stop(self) -> None:
        """Stop every query (each after its running batch)."""
        for query in self.queries.values():
            query.stop()


def topic_partitions(with_feedback: bool) -> dict[str, int]:
    """The topics the demo creates, with their partitions."""
    return {**TOPIC_PARTITIONS, **(FEEDBACK_TOPIC_PARTITIONS if with_feedback else {})}


def start_order_totals(spark: SparkSession, bootstrap: str, lake: Path) -> StreamingQuery:
    """Orders → total per customer → Delta, complete mode."""
    totals = example("order_totals.main").order_totals(spark, bootstrap)
    return start_delta(totals, "order_totals", "complete", lake)


def start_sensor_averages(spark: SparkSession, bootstrap: str, lake: Path) -> StreamingQuery:
    """Sensor readings → average per sensor and sliding minute, watermark 1 minute → Delta."""
    averages = example("sensor_temperatures.main").average_temperatures(spark, bootstrap)
    return start_delta(averages, "sensor_averages", "append", lake)


def start_delta(frame: Any, name: str, output_mode: str, lake: Path) -> StreamingQuery:
    query: StreamingQuery = (
        frame.writeStream.format("delta")
        .queryName(name)
        .outputMode(output_mode)
        .option("checkpointLocation", str(lake / "checkpoints" / name))
        .trigger(processingTime=TRIGGER)
        .start(str(lake / name))
    )
    return query


def start_feedback(
    spark: SparkSession, bootstrap: str, lake: Path, feedback: ModuleType, stop: threading.Event
) -> tuple[dict[str, StreamingQuery], Any, list[Any]]:
    """The routing and reaction queries, and the two feedback producers (not started yet)."""
    from kaspar.cli.demo.events import replayed

    simulators = example("feedback_sentiment.simulators")
    topics = feedback.Topics()
    notifier = feedback.Notifier(None, topics)
    notifier.post = lambda _message: None  # the live display shows them, nothing is printed
    checkpoints = lake / "checkpoints"
    queries = {
        "route_feedback": feedback.route_feedback(
            spark, bootstrap, topics, checkpoints / "route_feedback"
        ),
        "notify": feedback.notify(spark, bootstrap, notifier, checkpoints / "notify"),
    }
    producers = [
        simulators.FeedbackProducer(bootstrap, topic, replayed(events, stop), FEEDBACK_DELAY_S)
        for topic, events in (
            (topics.slack, simulators.slack_feedback),
            (topics.twitter, simulators.twitter_feedback),
        )
    ]
    return queries, notifier, producers


def start_pipelines(
    spark: SparkSession,
    bootstrap: str,
    lake: Path,
    feedback: ModuleType | None,
    stop: threading.Event,
) -> Pipelines:
    """Start the pipelines (feedback only with its example); its producers are not started."""
    pipelines = Pipelines(feedback=feedback)
    try:
        pipelines.queries["order_totals"] = start_order_totals(spark, bootstrap, lake)
        pipelines.queries["sensor_averages"] = start_sensor_averages(spark, bootstrap, lake)
        pipelines.tables = {name: lake / name for name in ("order_totals", "sensor_averages")}
        if feedback is not None:
            queries, pipelines.notifier, pipelines.feedback_producers = start_feedback(
                spark, bootstrap, lake, feedback, stop
            )
            pipelines.queries.update(queries)
    except BaseException:
        pipelines.stop()
        raise
    return pipelines
