"""TopicConfig: Kafka names and defaults, parsing, validation messages, describe."""

from __future__ import annotations

import dataclasses

import pytest

from kaspar.broker.topic_config import (
    CONFIG_DEFS,
    ConfigSource,
    ConfigType,
    InvalidConfigError,
    TopicConfig,
    describe,
)
from kaspar.protocol.errors import ErrorCode

LONG_MAX = 9223372036854775807


def test_table_and_dataclass_agree() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(TopicConfig)}
    assert set(fields) == {d.attribute for d in CONFIG_DEFS}
    assert TopicConfig.from_overrides({}) == TopicConfig()


def test_kafka_defaults() -> None:
    config = TopicConfig.from_overrides({})
    assert config.retention_ms == 604800000
    assert config.retention_bytes == -1
    assert config.cleanup_policy == ("delete",)
    assert config.segment_bytes == 1073741824
    assert config.segment_ms == 604800000
    assert config.max_message_bytes == 1048588
    assert config.flush_messages == LONG_MAX
    assert config.message_timestamp_type == "CreateTime"
    assert config.min_cleanable_dirty_ratio == 0.5
    assert config.preallocate is False and config.message_downconversion_enable is True
    assert config.deletes and not config.compacts and not config.log_append_time


def test_overrides_and_broker_defaults() -> None:
    config = TopicConfig.from_overrides(
        {"retention.ms": "1000", "cleanup.policy": "compact, delete", "segment.ms": None,
         "preallocate": "TRUE", "min.cleanable.dirty.ratio": "0.25"},
        {"retention.ms": "5", "segment.bytes": "2048"},
    )  # fmt: skip
    assert config.retention_ms == 1000
    assert config.segment_bytes == 2048
    assert config.segment_ms == 604800000
    assert config.cleanup_policy == ("compact", "delete")
    assert config.compacts and config.deletes
    assert config.preallocate is True
    assert config.min_cleanable_dirty_ratio == 0.25


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("retention.ms", "abc", "retention.ms: Not a valid LONG"),
        ("retention.ms", "-2", "Value must be at least -1"),
        ("segment.bytes", "13", "segment.bytes: Value must be at least 14"),
        ("segment.bytes", "9999999999", "Not a valid INT"),
        ("cleanup.policy", "delete,purge", "String must be one of: compact, delete"),
        ("compression.type", "brotli", "uncompressed, zstd, lz4, snappy, gzip, producer"),
        ("message.timestamp.type", "Now", "CreateTime, LogAppendTime"),
        ("min.cleanable.dirty.ratio", "1.5", "between 0 and 1"),
        ("preallocate", "yes", "preallocate: Not a valid BOOLEAN"),
        ("no.such.config", "1", "Unknown topic config name: no.such.config"),
    ],
)
def test_invalid_configs(key: str, value: str, expected: str) -> None:
    with pytest.raises(InvalidConfigError, match=expected) as info:
        TopicConfig.from_overrides({key: value})
    assert info.value.error_code == ErrorCode.INVALID_CONFIG


def test_describe() -> None:
    entries = {e.name: e for e in describe({"retention.ms": "10"}, {"segment.bytes": "4096"})}
    assert set(entries) == {d.name for d in CONFIG_DEFS}
    retention = entries["retention.ms"]
    assert (retention.value, retention.is_default, retention.config_type) == ("10", False, 5)
    assert retention.source == ConfigSource.DYNAMIC_TOPIC_CONFIG
    segment = entries["segment.bytes"]
    assert segment.source == ConfigSource.STATIC_BROKER_CONFIG and not segment.is_default
    policy = entries["cleanup.policy"]
    assert policy.is_default and policy.value == "delete" and policy.config_type == ConfigType.LIST
    assert entries["preallocate"].config_type == ConfigType.BOOLEAN
    assert all(e.documentation and not e.is_sensitive and not e.read_only for e in entries.values())
    with pytest.raises(InvalidConfigError):
        describe({"retention.ms": "x"})
