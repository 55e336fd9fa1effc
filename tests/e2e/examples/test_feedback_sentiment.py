"""examples/feedback_sentiment: feedback routed by VADER sentiment, alerts posted to a webhook.

The webhook is a local HTTP receiver (``http.server`` in a thread, 127.0.0.1); the alert topics
are read back from the broker the example was given.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Consumer, TopicPartition

# What VADER makes of the bundled messages (compound mapped to 0..1): < 0.3 and > 0.9.
NEGATIVE = {
    "I hate that Stratus error messages are useless. Spent all day guessing what went wrong. "
    "Horrible.",
    "@stratus CLI crashed and deleted my deployment. Absolutely horrible, I'm furious and scared "
    "to use it.",
    "Stratus portal keeps timing out when I open the billing page. Really frustrating, I can't "
    "get any work done.",
}
POSITIVE = {
    "Love the new Stratus dashboards! Super clean, fast and really helpful for our on-call "
    "rotation. Thank you!",
    "Our team loves @stratus. Reliable, secure and the support is outstanding. Great partner!",
}
NEITHER = {
    "Stratus deploy went fine today.",  # 0.601
    "Does @stratus support Kubernetes 1.31 yet?",  # 0.701
    "@stratus pricing is a scam, hidden fees everywhere. Never again, terrible.",  # 0.358
}
NOT_FEEDBACK = "Reminder: the office is closed on Friday."  # #general, not #stratus-feedback
NEGATIVE_COUNT, POSITIVE_COUNT, FEEDBACK_COUNT = 12, 11, 38


class Webhook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Receiver", (Webhook,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/feedback", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def topic_values(bootstrap_servers: str, topic: str) -> list[dict[str, Any]]:
    """Every record of partition 0 of ``topic`` (written by Kafka transactions: the last offset
    is a commit marker, which no consumer sees)."""
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": "test-feedback"})
    partition = TopicPartition(topic, 0)
    try:
        low, high = consumer.get_watermark_offsets(partition, timeout=10)
        consumer.assign([TopicPartition(topic, 0, low)])
        values = []
        while consumer.position([partition])[0].offset < high - 1:
            message = consumer.poll(10)
            assert message is not None, f"{topic}: nothing more before offset {high}"
            assert message.error() is None, message.error()
            values.append(json.loads(message.value()))
        return values
    finally:
        consumer.close()


@pytest.mark.timeout(90)
def test_feedback_sentiment_routes_and_notifies(
    run_example: Callable[..., str],
    bootstrap_servers: str,
    webhook: tuple[str, list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    url, received = webhook
    output = run_example(
        "feedback_sentiment",
        "--bootstrap-servers",
        bootstrap_servers,
        "--data-dir",
        str(tmp_path),
        "--webhook-url",
        url,
        "--delay",
        "0.01",
    )

    negative = {a["text"]: a for a in topic_values(bootstrap_servers, "negative-feedback")}
    positive = {a["text"]: a for a in topic_values(bootstrap_servers, "positive-feedback")}
    assert (len(negative), len(positive)) == (NEGATIVE_COUNT, POSITIVE_COUNT)
    assert NEGATIVE <= negative.keys()
    assert POSITIVE <= positive.keys()
    assert not (NEITHER | {NOT_FEEDBACK}) & (negative.keys() | positive.keys())
    assert all(a["sentiment"] < 0.3 for a in negative.values())
    assert all(a["sentiment"] > 0.9 for a in positive.values())
    assert {a["source"] for a in negative.values()} == {"slack", "twitter"}
    crashed = negative[next(t for t in NEGATIVE if t.startswith("@stratus CLI crashed"))]
    assert (crashed["author"], crashed["sentiment"]) == ("@angry_coder", 0.054)

    by_channel: dict[str, set[str]] = {}
    for message in received:
        by_channel.setdefault(message["channel"], set()).add(message["id"])
    assert by_channel == {
        "#negative-feedback": {a["id"] for a in negative.values()},
        "#positive-feedback": {a["id"] for a in positive.values()},
    }
    assert len(received) == NEGATIVE_COUNT + POSITIVE_COUNT  # each alert notified once
    assert all(m["text"].startswith("needs attention: ") for m in received if "neg" in m["channel"])
    assert f"feedback events produced: {FEEDBACK_COUNT}" in output
    assert f"negative-feedback: {NEGATIVE_COUNT}" in output


@pytest.mark.timeout(90)
def test_feedback_sentiment_embedded_prints_alerts(
    run_example: Callable[..., str], tmp_path: Path
) -> None:
    output = run_example("feedback_sentiment", "--data-dir", str(tmp_path), "--delay", "0")
    assert f"negative-feedback: {NEGATIVE_COUNT}" in output
    assert f"positive-feedback: {POSITIVE_COUNT}" in output
    assert "  0.029  slack    I hate that Stratus error messages are useless." in output
    assert "-> #negative-feedback: needs attention: twitter @angry_coder (0.054)" in output
    assert (tmp_path / "broker").is_dir()
