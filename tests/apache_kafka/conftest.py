"""Fixtures for the tests against Apache Kafka itself (DESIGN.md promise 3).

* ``apache_kafka``: the bootstrap servers of one Apache Kafka 4.x node per session
  (``server.start``), or of the Kafka that ``$KASPAR_APACHE_KAFKA_BOOTSTRAP`` names (one already
  running, say a cluster of your own). The tests skip, saying why, when neither can be had
  (no Java, no jars in the cache and the Maven registry out of reach).
* ``given_kafka``: the same servers for one test, emptied after it (every topic and consumer
  group the test made is deleted): the examples use fixed topic names.
* ``run_example`` and ``webhook``: the example tests' own fixtures, reused as they are.

Every test module here is marked ``apache_kafka``: ``pytest -m apache_kafka tests/apache_kafka``.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from confluent_kafka.admin import AdminClient

from tests.apache_kafka.server import ApacheKafkaUnavailableError, running
from tests.e2e.examples.conftest import run_example
from tests.e2e.examples.test_feedback_sentiment import webhook

__all__ = ["run_example", "webhook"]

CLEAN_TIMEOUT_S = 30.0


@pytest.fixture(scope="session")
def apache_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("KASPAR_APACHE_KAFKA_BOOTSTRAP")
    if given:
        yield given
        return
    try:
        with running(tmp_path_factory.mktemp("apache-kafka")) as node:
            yield node.bootstrap_servers
    except ApacheKafkaUnavailableError as e:
        pytest.skip(str(e))


@pytest.fixture
def given_kafka(apache_kafka: str) -> Iterator[str]:
    yield apache_kafka
    delete_topics_and_groups(apache_kafka)


@pytest.fixture(scope="module")
def apache_kafka_broker(apache_kafka: str) -> SimpleNamespace:
    """Apache Kafka where a test wants a broker object (it only reads ``bootstrap_servers``)."""
    return SimpleNamespace(bootstrap_servers=apache_kafka)


def delete_topics_and_groups(bootstrap_servers: str) -> None:
    """Delete every topic but the internal ones, and every consumer group; wait until gone."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    groups = admin.list_consumer_groups(request_timeout=10).result(timeout=CLEAN_TIMEOUT_S)
    ids = [g.group_id for g in groups.valid]
    if ids:
        for future in admin.delete_consumer_groups(ids, request_timeout=10).values():
            with contextlib.suppress(Exception):  # a group with members left is kept
                future.result(timeout=CLEAN_TIMEOUT_S)
    topics = [t for t in admin.list_topics(timeout=10).topics if not t.startswith("__")]
    if not topics:
        return
    for future in admin.delete_topics(topics, operation_timeout=10).values():
        with contextlib.suppress(Exception):
            future.result(timeout=CLEAN_TIMEOUT_S)
    deadline = time.monotonic() + CLEAN_TIMEOUT_S
    while set(topics) & set(admin.list_topics(timeout=10).topics):
        assert time.monotonic() < deadline, f"topics not deleted: {topics}"
        time.sleep(0.2)
