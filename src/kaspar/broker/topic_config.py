"""Kafka topic configs: one table (`CONFIG_DEFS`) drives parsing, validation and describe."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from kaspar.protocol.errors import ErrorCode

__all__ = [
    "CONFIG_DEFS",
    "ConfigDef",
    "ConfigEntry",
    "ConfigSource",
    "ConfigType",
    "InvalidConfigError",
    "TopicConfig",
    "describe",
]

LONG_MAX = 9223372036854775807
INT_MAX = 2147483647


class ConfigType(IntEnum):
    """DescribeConfigs ConfigType codes."""

    BOOLEAN = 1
    STRING = 2
    INT = 3
    SHORT = 4
    LONG = 5
    DOUBLE = 6
    LIST = 7
    CLASS = 8
    PASSWORD = 9


class ConfigSource(IntEnum):
    """DescribeConfigs ConfigSource codes (the ones a topic config can have)."""

    DYNAMIC_TOPIC_CONFIG = 1
    STATIC_BROKER_CONFIG = 4
    DEFAULT_CONFIG = 5


class InvalidConfigError(ValueError):
    """A topic config is unknown or invalid; answered with INVALID_CONFIG (40)."""

    error_code: int = ErrorCode.INVALID_CONFIG


@dataclass(frozen=True, slots=True)
class Range:
    """Numeric bounds, inclusive; None means unbounded."""

    low: float | None = None
    high: float | None = None

    def check(self, name: str, value: Any) -> None:
        if (self.low is not None and value < self.low) or (
            self.high is not None and value > self.high
        ):
            raise InvalidConfigError(
                f"Invalid value {value} for configuration {name}: Value must be {self}"
            )

    def __str__(self) -> str:
        if self.high is None:
            return f"at least {self.low}"
        if self.low is None:
            return f"no more than {self.high}"
        return f"between {self.low} and {self.high}"


@dataclass(frozen=True, slots=True)
class OneOf:
    """Allowed string values (each element of a list must be one of them)."""

    allowed: tuple[str, ...]

    def check(self, name: str, value: Any) -> None:
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if item not in self.allowed:
                raise InvalidConfigError(
                    f"Invalid value {item} for configuration {name}: "
                    f"String must be one of: {', '.join(self.allowed)}"
                )


@dataclass(frozen=True, slots=True)
class ConfigDef:
    """One topic config: Kafka name, type, default, validator and a one-line documentation."""

    name: str
    config_type: ConfigType
    default: str
    validator: Range | OneOf | None
    documentation: str

    @property
    def attribute(self) -> str:
        return self.name.replace(".", "_")


_T = ConfigType
_COMPRESSION = ("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")
CONFIG_DEFS: tuple[ConfigDef, ...] = (
    ConfigDef("cleanup.policy", _T.LIST, "delete", OneOf(("compact", "delete")),
              "Retention policy for old segments: delete, compact or both."),
    ConfigDef("compression.type", _T.STRING, "producer", OneOf(_COMPRESSION),
              "Final compression type for the topic; producer keeps the producer's codec."),
    ConfigDef("compression.gzip.level", _T.INT, "-1", Range(-1, 9),
              "Compression level for gzip (-1 = codec default)."),
    ConfigDef("compression.lz4.level", _T.INT, "9", Range(1, 17),
              "Compression level for lz4."),
    ConfigDef("compression.zstd.level", _T.INT, "3", Range(-131072, 22),
              "Compression level for zstd."),
    ConfigDef("delete.retention.ms", _T.LONG, "86400000", Range(0),
              "How long tombstones are retained on compacted topics."),
    ConfigDef("file.delete.delay.ms", _T.LONG, "60000", Range(0),
              "Time to wait before deleting a file from the filesystem."),
    ConfigDef("flush.messages", _T.LONG, str(LONG_MAX), Range(1),
              "Force an fsync after this many messages."),
    ConfigDef("flush.ms", _T.LONG, str(LONG_MAX), Range(0),
              "Force an fsync after this much time."),
    ConfigDef("index.interval.bytes", _T.INT, "4096", Range(0),
              "Bytes of log between two offset index entries."),
    ConfigDef("local.retention.bytes", _T.LONG, "-2", Range(-2),
              "Local retention size with tiered storage (-2 = retention.bytes)."),
    ConfigDef("local.retention.ms", _T.LONG, "-2", Range(-2),
              "Local retention time with tiered storage (-2 = retention.ms)."),
    ConfigDef("max.compaction.lag.ms", _T.LONG, str(LONG_MAX), Range(1),
              "Maximum time a message remains ineligible for compaction."),
    ConfigDef("max.message.bytes", _T.INT, "1048588", Range(0),
              "Largest record batch size allowed."),
    ConfigDef("message.downconversion.enable", _T.BOOLEAN, "true", None,
              "Whether down-conversion of message formats is enabled for consumers."),
    ConfigDef("message.timestamp.after.max.ms", _T.LONG, str(LONG_MAX), Range(0),
              "Allowed amount a CreateTime timestamp may be ahead of the broker time."),
    ConfigDef("message.timestamp.before.max.ms", _T.LONG, str(LONG_MAX), Range(0),
              "Allowed amount a CreateTime timestamp may be behind the broker time."),
    ConfigDef("message.timestamp.type", _T.STRING, "CreateTime",
              OneOf(("CreateTime", "LogAppendTime")),
              "Whether record timestamps are producer or broker time."),
    ConfigDef("min.cleanable.dirty.ratio", _T.DOUBLE, "0.5", Range(0, 1),
              "Dirty ratio above which the log compactor cleans the log."),
    ConfigDef("min.compaction.lag.ms", _T.LONG, "0", Range(0),
              "Minimum time a message remains uncompacted."),
    ConfigDef("min.insync.replicas", _T.INT, "1", Range(1),
              "Minimum in-sync replicas for acks=all produce to succeed."),
    ConfigDef("preallocate", _T.BOOLEAN, "false", None,
              "Preallocate the file on disk when creating a new segment."),
    ConfigDef("remote.storage.enable", _T.BOOLEAN, "false", None,
              "Enable tiered storage for the topic."),
    ConfigDef("retention.bytes", _T.LONG, "-1", None,
              "Maximum partition size before old segments are deleted (-1 = unlimited)."),
    ConfigDef("retention.ms", _T.LONG, "604800000", Range(-1),
              "Maximum age of a segment before it is deleted (-1 = unlimited)."),
    ConfigDef("segment.bytes", _T.INT, "1073741824", Range(14),
              "Segment file size at which the log rolls."),
    ConfigDef("segment.index.bytes", _T.INT, "10485760", Range(4),
              "Maximum size of a segment's offset index."),
    ConfigDef("segment.jitter.ms", _T.LONG, "0", Range(0),
              "Maximum random jitter subtracted from segment.ms."),
    ConfigDef("segment.ms", _T.LONG, "604800000", Range(1),
              "Age after which the log rolls even if the segment is not full."),
    ConfigDef("unclean.leader.election.enable", _T.BOOLEAN, "false", None,
              "Allow out-of-sync replicas to become leader."),
)  # fmt: skip
_DEFS_BY_NAME = {d.name: d for d in CONFIG_DEFS}
_BOUNDS = {_T.INT: (-INT_MAX - 1, INT_MAX), _T.SHORT: (-32768, 32767)}


def _parse(definition: ConfigDef, text: str) -> Any:
    name, kind, raw = definition.name, definition.config_type, text.strip()
    try:
        if kind in (_T.INT, _T.SHORT, _T.LONG):
            value: Any = int(raw)
            low, high = _BOUNDS.get(kind, (-LONG_MAX - 1, LONG_MAX))
            if not low <= value <= high:
                raise ValueError(raw)
        elif kind is _T.DOUBLE:
            value = float(raw)
        elif kind is _T.BOOLEAN:
            if raw.lower() not in ("true", "false"):
                raise ValueError(raw)
            value = raw.lower() == "true"
        elif kind is _T.LIST:
            value = tuple(item.strip() for item in raw.split(",") if item.strip())
        else:
            value = raw
    except ValueError:
        raise InvalidConfigError(
            f"Invalid value {text} for configuration {name}: Not a valid {kind.name}"
        ) from None
    if definition.validator is not None:
        definition.validator.check(name, value)
    return value


def _effective(
    overrides: Mapping[str, str | None], broker_defaults: Mapping[str, str]
) -> dict[str, tuple[str, ConfigSource]]:
    for key in overrides:
        if key not in _DEFS_BY_NAME:
            raise InvalidConfigError(f"Unknown topic config name: {key}")
    values: dict[str, tuple[str, ConfigSource]] = {}
    for d in CONFIG_DEFS:
        override = overrides.get(d.name)
        if override is not None:
            values[d.name] = (override, ConfigSource.DYNAMIC_TOPIC_CONFIG)
        elif d.name in broker_defaults:
            values[d.name] = (broker_defaults[d.name], ConfigSource.STATIC_BROKER_CONFIG)
        else:
            values[d.name] = (d.default, ConfigSource.DEFAULT_CONFIG)
    return values


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicConfig:
    """Effective topic configuration; attribute = Kafka name with dots replaced by underscores."""

    cleanup_policy: tuple[str, ...] = ("delete",)
    compression_type: str = "producer"
    compression_gzip_level: int = -1
    compression_lz4_level: int = 9
    compression_zstd_level: int = 3
    delete_retention_ms: int = 86400000
    file_delete_delay_ms: int = 60000
    flush_messages: int = LONG_MAX
    flush_ms: int = LONG_MAX
    index_interval_bytes: int = 4096
    local_retention_bytes: int = -2
    local_retention_ms: int = -2
    max_compaction_lag_ms: int = LONG_MAX
    max_message_bytes: int = 1048588
    message_downconversion_enable: bool = True
    message_timestamp_after_max_ms: int = LONG_MAX
    message_timestamp_before_max_ms: int = LONG_MAX
    message_timestamp_type: str = "CreateTime"
    min_cleanable_dirty_ratio: float = 0.5
    min_compaction_lag_ms: int = 0
    min_insync_replicas: int = 1
    preallocate: bool = False
    remote_storage_enable: bool = False
    retention_bytes: int = -1
    retention_ms: int = 604800000
    segment_bytes: int = 1073741824
    segment_index_bytes: int = 10485760
    segment_jitter_ms: int = 0
    segment_ms: int = 604800000
    unclean_leader_election_enable: bool = False

    @classmethod
    def from_overrides(
        cls, overrides: Mapping[str, str | None], broker_defaults: Mapping[str, str] | None = None
    ) -> TopicConfig:
        """Parse and validate topic overrides (None = use the default) over broker defaults."""
        values = _effective(overrides, broker_defaults or {})
        kwargs = {d.attribute: _parse(d, values[d.name][0]) for d in CONFIG_DEFS}
        return cls(**kwargs)

    @property
    def log_append_time(self) -> bool:
        return self.message_timestamp_type == "LogAppendTime"

    @property
    def deletes(self) -> bool:
        """True if cleanup.policy contains delete (time/size retention applies)."""
        return "delete" in self.cleanup_policy

    @property
    def compacts(self) -> bool:
        return "compact" in self.cleanup_policy


@dataclass(frozen=True, slots=True)
class ConfigEntry:
    """One DescribeConfigs result entry."""

    name: str
    value: str | None
    is_default: bool
    read_only: bool
    is_sensitive: bool
    config_type: int
    documentation: str
    source: int


def describe(
    overrides: Mapping[str, str | None], broker_defaults: Mapping[str, str] | None = None
) -> list[ConfigEntry]:
    """DescribeConfigs entries for a topic, in table order (validates like `from_overrides`)."""
    values = _effective(overrides, broker_defaults or {})
    entries = []
    for d in CONFIG_DEFS:
        text, source = values[d.name]
        _parse(d, text)
        entries.append(
            ConfigEntry(
                name=d.name,
                value=text,
                is_default=source is ConfigSource.DEFAULT_CONFIG,
                read_only=False,
                is_sensitive=d.config_type is _T.PASSWORD,
                config_type=int(d.config_type),
                documentation=d.documentation,
                source=int(source),
            )
        )
    return entries
