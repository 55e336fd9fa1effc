"""The two feedback sources of seed 003, simulated: a Slack listener and a Twitter search.

Each replays a bundled file of sample messages (``data/``) at its own pace, keeps what counts as
feedback (Slack: messages in ``#stratus-feedback``; Twitter: tweets that mention ``@stratus``),
turns it into one feedback event and produces it to its own Kafka topic. They know nothing of
each other nor of who reads the topics: Kafka is the decoupling layer.

A feedback event is JSON: ``{"id", "source", "author", "text", "created_at"}`` (ISO 8601, UTC).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

DATA = Path(__file__).resolve().parent / "data"
SLACK_TOPIC = "feedback-slack"
TWITTER_TOPIC = "feedback-twitter"
FEEDBACK_CHANNEL = "#stratus-feedback"
TWITTER_HANDLE = "@stratus"


def slack_feedback(path: Path = DATA / "slack_messages.jsonl") -> Iterator[dict[str, Any]]:
    """Feedback events from a Slack channel log: what ``SlackMessagePostedListener`` would see."""
    for message in _jsonl(path):
        if message.get("type") != "message" or message["channel"] != FEEDBACK_CHANNEL:
            continue
        posted = datetime.fromtimestamp(float(message["ts"]), UTC)
        yield {
            "id": f"slack-{message['ts']}",
            "source": "slack",
            "author": message["user"],
            "text": message["text"],
            "created_at": posted.isoformat(),
        }


def twitter_feedback(path: Path = DATA / "tweets.jsonl") -> Iterator[dict[str, Any]]:
    """Feedback events from tweets, as a search for the product's handle returns them."""
    for tweet in _jsonl(path):
        if TWITTER_HANDLE not in tweet["full_text"].lower():
            continue
        posted = datetime.strptime(tweet["created_at"], "%a %b %d %H:%M:%S %z %Y")
        yield {
            "id": f"twitter-{tweet['id_str']}",
            "source": "twitter",
            "author": "@" + tweet["user"]["screen_name"],
            "text": tweet["full_text"],
            "created_at": posted.astimezone(UTC).isoformat(),
        }


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


class FeedbackProducer(threading.Thread):
    """One independent source: replays its events to its topic, one every ``delay_s`` seconds."""

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        events: Callable[[], Iterator[dict[str, Any]]],
        delay_s: float,
    ) -> None:
        super().__init__(name=f"producer-{topic}", daemon=True)
        self.topic = topic
        self.events = events
        self.delay_s = delay_s
        self.delivered = 0
        self.errors: list[str] = []
        self._producer = Producer({"bootstrap.servers": bootstrap_servers, "acks": "all"})

    def run(self) -> None:
        for event in self.events():
            value = json.dumps(event, ensure_ascii=False).encode()
            self._producer.produce(
                self.topic, value=value, key=event["id"].encode(), on_delivery=self._delivered
            )
            self._producer.poll(0)
            time.sleep(self.delay_s)
        self._producer.flush(30)

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is None:
            self.delivered += 1
        else:
            self.errors.append(f"{message.topic()}: {error}")
