"""Broker settings: Kafka names, topic-default synonyms, clear errors."""

from __future__ import annotations

import pytest

from kaspar.broker.broker_config import BrokerConfig, BrokerConfigError


def test_defaults_are_kafkas() -> None:
    config = BrokerConfig.from_settings(None)
    assert config.auto_create_topics_enable is True
    assert config.num_partitions == 1
    assert config.group_initial_rebalance_delay_ms == 3000
    assert config.transaction_max_timeout_ms == 900_000


def test_log_settings_become_topic_defaults() -> None:
    config = BrokerConfig.from_settings({"log.retention.ms": "1000", "message.max.bytes": "2000"})
    assert config.topic_defaults == {"retention.ms": "1000", "max.message.bytes": "2000"}


def test_advertised_listeners() -> None:
    config = BrokerConfig.from_settings({"advertised.listeners": "PLAINTEXT://kafka.local:19092"})
    assert (config.advertised_host, config.advertised_port) == ("kafka.local", 19092)


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"num.partitions": "0"}, "integer >= 1"),
        ({"auto.create.topics.enable": "maybe"}, "true or false"),
        ({"advertised.listeners": "kafka.local:19092"}, "PLAINTEXT://host:port"),
        ({"no.such.setting": "1"}, "accepted settings"),
    ],
)
def test_bad_settings_name_the_setting_and_what_it_accepts(
    settings: dict[str, str], fragment: str
) -> None:
    with pytest.raises(BrokerConfigError, match=fragment) as raised:
        BrokerConfig.from_settings(settings)
    assert next(iter(settings)) in str(raised.value)
