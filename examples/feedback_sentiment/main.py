"""Feedback sentiment with alerts (seed 003): Kafka in, sentiment, Kafka out, a webhook.

    python examples/feedback_sentiment/main.py [--bootstrap-servers host:port] [--data-dir DIR]
        [--webhook-url URL] [--delay SECONDS]

1. Two independent producers (``simulators.py``: a Slack listener and a Twitter search, replaying
   bundled messages) write feedback events to ``feedback-slack`` and ``feedback-twitter``.
2. The routing query reads both topics, scores each text with VADER (a lexicon model) in a
   ``pandas_udf``, maps the compound score to 0..1 and writes scores below 0.3 to
   ``negative-feedback`` and above 0.9 to ``positive-feedback`` (the Kafka sink, one Kafka
   transaction per micro-batch).
3. The reaction query reads those two topics and, in ``foreachBatch``, posts one Slack-style
   message per alert (``{"channel": "#negative-feedback", "text": ...}``) to ``--webhook-url``,
   or prints it when no URL is given.
4. Once the producers are done and both queries have processed all there is, it stops them and
   prints what each alert topic holds.

The pipeline is PySpark's API: with ``from pyspark.sql import ...`` it runs on Apache Spark.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

if __package__ in (None, ""):  # run as a script: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from examples._platform import add_platform_arguments, create_topics, kafka_platform
from examples.feedback_sentiment.simulators import (
    FeedbackProducer,
    slack_feedback,
    twitter_feedback,
)
from kaspar.sql import DataFrame, SparkSession
from kaspar.sql import functions as F
from kaspar.sql.functions import pandas_udf
from kaspar.sql.streaming import StreamingQuery

NEGATIVE_BELOW = 0.3
POSITIVE_ABOVE = 0.9
FEEDBACK_SCHEMA = "id string, source string, author string, text string, created_at string"
ALERT_SCHEMA = FEEDBACK_SCHEMA + ", sentiment double"
TRIGGER = "500 milliseconds"


@dataclass(frozen=True)
class Topics:
    """The example's topic names (a prefix keeps runs on a shared Kafka apart)."""

    prefix: str = ""

    @property
    def slack(self) -> str:
        return self.prefix + "feedback-slack"

    @property
    def twitter(self) -> str:
        return self.prefix + "feedback-twitter"

    @property
    def negative(self) -> str:
        return self.prefix + "negative-feedback"

    @property
    def positive(self) -> str:
        return self.prefix + "positive-feedback"


@cache
def _analyzer() -> SentimentIntensityAnalyzer:
    """One VADER analyzer per process (its lexicon ships inside the package: no download)."""
    return SentimentIntensityAnalyzer()


@pandas_udf("double")  # type: ignore[call-overload]
def sentiment(text: pd.Series) -> pd.Series:
    """VADER's compound score (-1..1) mapped to 0..1, for a whole batch of texts per call."""
    analyzer = _analyzer()
    compound = text.map(lambda t: analyzer.polarity_scores(t or "")["compound"])
    return ((compound + 1.0) / 2.0).round(3)


def kafka_stream(spark: SparkSession, bootstrap_servers: str, topics: list[str]) -> DataFrame:
    """A stream of the records of ``topics``, from the earliest offset."""
    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("subscribe", ",".join(topics))
        .option("startingOffsets", "earliest")
        .load()
    )


def route_feedback(
    spark: SparkSession, bootstrap_servers: str, topics: Topics, checkpoint: Path
) -> StreamingQuery:
    """Score every feedback event; write the very negative and very positive ones to Kafka."""
    feedback = (
        kafka_stream(spark, bootstrap_servers, [topics.slack, topics.twitter])
        .select(F.from_json(F.col("value").cast("string"), FEEDBACK_SCHEMA).alias("f"))
        .select("f.*")
    )
    scored = feedback.withColumn("sentiment", sentiment(F.col("text")))
    alerts = scored.where(
        (F.col("sentiment") < NEGATIVE_BELOW) | (F.col("sentiment") > POSITIVE_ABOVE)
    ).select(
        F.when(F.col("sentiment") < NEGATIVE_BELOW, F.lit(topics.negative))
        .otherwise(F.lit(topics.positive))
        .alias("topic"),
        F.col("id").alias("key"),
        F.to_json(F.struct(*[F.col(c) for c in scored.columns])).alias("value"),
    )
    return (
        alerts.writeStream.format("kafka")
        .queryName("route_feedback")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("checkpointLocation", str(checkpoint))
        .trigger(processingTime=TRIGGER)
        .start()
    )


@dataclass
class Notifier:
    """The reaction: one Slack-style webhook message per alert (printed when there is no URL)."""

    webhook_url: str | None
    topics: Topics
    sent: list[dict[str, str]] = field(default_factory=list)

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        for alert in batch.orderBy("created_at", "id").collect():
            negative = alert["topic"] == self.topics.negative
            channel = "#negative-feedback" if negative else "#positive-feedback"
            message = {
                "channel": channel,
                "text": f"{'needs attention' if negative else 'kudos'}: {alert['source']} "
                f"{alert['author']} ({alert['sentiment']:.3f}) {alert['text']}",
                "id": alert["id"],
            }
            self.post(message)
            self.sent.append(message)

    def post(self, message: dict[str, str]) -> None:
        if self.webhook_url is None:
            print(f"  -> {message['channel']}: {message['text']}")
            return
        request = urllib.request.Request(  # noqa: S310 (the URL the user gave)
            self.webhook_url,
            data=json.dumps(message).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            response.read()


def notify(
    spark: SparkSession, bootstrap_servers: str, notifier: Notifier, checkpoint: Path
) -> StreamingQuery:
    """React to what the routing query wrote: a notification per alert, in ``foreachBatch``."""
    topics = notifier.topics
    alerts = (
        kafka_stream(spark, bootstrap_servers, [topics.negative, topics.positive])
        .select("topic", F.from_json(F.col("value").cast("string"), ALERT_SCHEMA).alias("a"))
        .select("topic", "a.*")
    )
    return (
        alerts.writeStream.foreachBatch(notifier)
        .queryName("notify")
        .option("checkpointLocation", str(checkpoint))
        .trigger(processingTime=TRIGGER)
        .start()
    )


def routed(spark: SparkSession, bootstrap_servers: str, topics: Topics) -> dict[str, list[Any]]:
    """Everything in the two alert topics, read back as a batch: topic -> alerts."""
    rows = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("subscribe", f"{topics.negative},{topics.positive}")
        .option("startingOffsets", "earliest")
        .load()
        .select("topic", F.from_json(F.col("value").cast("string"), ALERT_SCHEMA).alias("a"))
        .select("topic", "a.*")
        .orderBy("topic", "sentiment", "id")
        .collect()
    )
    result: dict[str, list[Any]] = {topics.negative: [], topics.positive: []}
    for row in rows:
        result[row["topic"]].append(row.asDict())
    return result


@dataclass(frozen=True)
class Result:
    produced: int
    routed: dict[str, list[dict[str, Any]]]
    notifications: list[dict[str, str]]


def run(
    bootstrap_servers: str, data_dir: Path, topics: Topics, webhook_url: str | None, delay_s: float
) -> Result:
    """Steps 1-4 of the module docstring, bounded: it stops once all feedback is routed."""
    create_topics(
        bootstrap_servers,
        {topics.slack: 2, topics.twitter: 2, topics.negative: 1, topics.positive: 1},
    )
    spark = SparkSession.builder.appName("feedback_sentiment").getOrCreate()
    notifier = Notifier(webhook_url, topics)
    checkpoints = data_dir / "checkpoints"
    queries = [
        route_feedback(spark, bootstrap_servers, topics, checkpoints / "route_feedback"),
        notify(spark, bootstrap_servers, notifier, checkpoints / "notify"),
    ]
    producers = [
        FeedbackProducer(bootstrap_servers, topics.slack, slack_feedback, delay_s),
        FeedbackProducer(bootstrap_servers, topics.twitter, twitter_feedback, delay_s),
    ]
    try:
        for producer in producers:
            producer.start()
        for producer in producers:
            producer.join()
            if producer.errors:
                raise RuntimeError(f"{producer.topic}: {producer.errors[0]}")
        for query in queries:  # the routing first, then the reaction to what it wrote
            query.processAllAvailable()
    finally:
        for query in queries:
            query.stop()
    produced = sum(p.delivered for p in producers)
    return Result(produced, routed(spark, bootstrap_servers, topics), notifier.sent)


def _print(result: Result) -> None:
    print(f"\nfeedback events produced: {result.produced}")
    for topic, alerts in result.routed.items():
        print(f"\n{topic}: {len(alerts)}")
        for alert in alerts:
            print(f"  {alert['sentiment']:.3f}  {alert['source']:<8} {alert['text'][:72]}")
    print(f"\nnotifications sent: {len(result.notifications)}")


def main(argv: list[str] | None = None) -> Result:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_platform_arguments(parser)
    parser.add_argument("--webhook-url", help="POST a JSON message per alert here")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds between two messages")
    args = parser.parse_args(argv)
    with kafka_platform(args.bootstrap_servers, args.data_dir) as platform:
        where = "an embedded kaspar broker" if platform.embedded else "Kafka"
        print(f"{where} at {platform.bootstrap_servers}, data in {platform.data_dir}")
        result = run(
            platform.bootstrap_servers, platform.data_dir, Topics(), args.webhook_url, args.delay
        )
    _print(result)
    return result


if __name__ == "__main__":
    main()
