"""Producing to a topic nobody created creates it, with Kafka's defaults
(auto.create.topics.enable=true, num.partitions=1)."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from kafka import KafkaProducer

TIMEOUT_S = 30.0


def produce_one_with_confluent(broker: Any, topic: str) -> Any:
    """Produce one record and return its delivery report (which carries any error)."""
    reports: list[Any] = []
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers})
    producer.produce(topic, b"first", on_delivery=lambda err, msg: reports.append(msg))
    assert producer.flush(TIMEOUT_S) == 0
    [report] = reports
    return report


def partitions_of(admin_client: AdminClient, topic: str) -> list[int]:
    return sorted(admin_client.list_topics(topic, timeout=TIMEOUT_S).topics[topic].partitions)


def test_confluent_producer_creates_topic(
    broker: Any, admin_client: AdminClient, topic_name: str
) -> None:
    report = produce_one_with_confluent(broker, topic_name)

    assert (report.error(), report.offset()) == (None, 0)
    assert report.partition() in partitions_of(admin_client, topic_name)


def test_kafka_python_producer_creates_topic(
    broker: Any, admin_client: AdminClient, topic_name: str
) -> None:
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers)
    try:
        metadata = producer.send(topic_name, b"first").get(timeout=TIMEOUT_S)
    finally:
        producer.close(timeout=TIMEOUT_S)

    assert metadata.offset == 0
    assert metadata.partition in partitions_of(admin_client, topic_name)


@pytest.mark.xfail_peer("tansu 0.6 auto-creates topics with 4 partitions, not num.partitions=1")
def test_auto_created_topic_has_one_partition(
    broker: Any, admin_client: AdminClient, topic_name: str
) -> None:
    report = produce_one_with_confluent(broker, topic_name)

    assert (report.error(), report.partition(), report.offset()) == (None, 0, 0)
    assert partitions_of(admin_client, topic_name) == [0]
