"""Every example of ``examples/``, run with ``--bootstrap-servers`` against Apache Kafka.

Each test calls the example's own end-to-end test (``tests/e2e/examples/``) with Apache Kafka
as the given broker, so the assertions on the output values are the same ones; the topics and
groups an example made are deleted after it (``given_kafka``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.examples import test_client_snippets as client_snippets
from tests.e2e.examples import test_events_table as events_table
from tests.e2e.examples import test_feedback_sentiment as feedback_sentiment
from tests.e2e.examples import test_fraud_detection as fraud_detection
from tests.e2e.examples import test_order_totals as order_totals
from tests.e2e.examples import test_sensor_temperatures as sensor_temperatures
from tests.e2e.examples import test_trip_data as trip_data
from tests.e2e.examples import test_word_count as word_count

pytestmark = [pytest.mark.apache_kafka, pytest.mark.timeout(150)]
RunExample = Callable[..., str]


def test_word_count(run_example: RunExample, given_kafka: str, tmp_path: Path) -> None:
    word_count.test_word_count_on_given_kafka(run_example, given_kafka, tmp_path)


def test_trip_data(run_example: RunExample, given_kafka: str, tmp_path: Path) -> None:
    trip_data.test_trip_data(run_example, given_kafka, tmp_path, given_kafka=True)


def test_order_totals(run_example: RunExample, given_kafka: str, tmp_path: Path) -> None:
    order_totals.test_order_totals(run_example, given_kafka, tmp_path, given_kafka=True)


def test_events_table(run_example: RunExample, given_kafka: str, tmp_path: Path) -> None:
    events_table.test_events_table(run_example, given_kafka, tmp_path, given_kafka=True)


def test_sensor_temperatures(run_example: RunExample, given_kafka: str, tmp_path: Path) -> None:
    sensor_temperatures.test_sensor_temperatures(
        run_example, given_kafka, tmp_path, given_kafka=True
    )


def test_client_snippets(run_example: RunExample, given_kafka: str) -> None:
    client_snippets.check_output(run_example("client_snippets", "--bootstrap-servers", given_kafka))


def test_feedback_sentiment(
    run_example: RunExample,
    given_kafka: str,
    webhook: tuple[str, list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    feedback_sentiment.test_feedback_sentiment_routes_and_notifies(
        run_example, given_kafka, webhook, tmp_path
    )


def test_fraud_detection(run_example: RunExample, given_kafka: str, tmp_path: Path) -> None:
    fraud_detection.test_fraud_detection_beats_the_rule(run_example, given_kafka, tmp_path)
