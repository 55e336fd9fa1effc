"""Kafka source options: Spark's validation rules, no broker needed."""

from __future__ import annotations

import pytest

from kaspar.engine.sources.kafka_options import OffsetSpec, parse_kafka_options
from kaspar.errors import IllegalArgumentException

BASE = {"kafka.bootstrap.servers": "localhost:9092"}


def test_defaults_and_client_config() -> None:
    options = parse_kafka_options({**BASE, "subscribe": "a, b", "kafka.security.protocol": "SSL"})
    assert options.topics == ("a", "b")
    assert options.starting == OffsetSpec("earliest")
    assert options.ending == OffsetSpec("latest")
    assert options.client_config == {
        "bootstrap.servers": "localhost:9092",
        "security.protocol": "SSL",
    }
    assert not options.include_headers


def test_json_offsets_and_timestamps() -> None:
    options = parse_kafka_options(
        {
            **BASE,
            "assign": '{"t":[0,1]}',
            "startingoffsets": '{"t":{"0":23,"1":-2}}',
            "endingoffsetsbytimestamp": '{"t":{"0":1000,"1":2000}}',
        }
    )
    assert options.assigned == (("t", 0), ("t", 1))
    assert options.starting == OffsetSpec("offsets", {("t", 0): 23, ("t", 1): -2})
    assert options.ending == OffsetSpec("timestamps", {("t", 0): 1000, ("t", 1): 2000})


def test_starting_timestamp_wins() -> None:
    options = parse_kafka_options(
        {**BASE, "subscribe": "t", "startingoffsets": "earliest", "startingtimestamp": "5"}
    )
    assert options.starting == OffsetSpec("timestamp", timestamp=5)


@pytest.mark.parametrize(
    "bad",
    [
        {"subscribepattern": "("},
        {"subscribe": "t", "startingtimestamp": "soon"},
        {"subscribe": "t", "endingoffsets": '{"t":{"x":1}}'},
        {"subscribe": "t", "kafka.enable.auto.commit": "true"},
    ],
)
def test_rejected(bad: dict[str, str]) -> None:
    with pytest.raises(IllegalArgumentException):
        parse_kafka_options({**BASE, **bad})
