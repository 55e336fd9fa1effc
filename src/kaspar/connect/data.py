"""Connect's data model: `Schema` (with Connect's type names and logical types) and the records
that flow between tasks, transforms and converters.

Values are plain Python: a struct is a `dict` keyed by field name, an array a `list`, a map a
`dict`, bytes `bytes`; the schema travels beside the value, as Connect's `ConnectRecord` keeps
`keySchema`/`valueSchema` beside `key`/`value`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

SCHEMA_TYPES = (
    "int8",
    "int16",
    "int32",
    "int64",
    "float32",
    "float64",
    "boolean",
    "string",
    "bytes",
    "array",
    "map",
    "struct",
)
DECIMAL = "org.apache.kafka.connect.data.Decimal"
TIMESTAMP = "org.apache.kafka.connect.data.Timestamp"
DATE = "org.apache.kafka.connect.data.Date"
TIME = "org.apache.kafka.connect.data.Time"


@dataclass(frozen=True)
class Field:
    """One field of a struct schema."""

    name: str
    schema: Schema


@dataclass(frozen=True)
class Schema:
    """Connect's `Schema`: a type, optional-ness, an optional name/version/parameters (logical
    types such as `Decimal` are a name and parameters on a primitive type), and the children."""

    type: str
    optional: bool = False
    name: str | None = None
    version: int | None = None
    parameters: Mapping[str, str] | None = None
    default: Any = None
    fields: tuple[Field, ...] = ()
    value_schema: Schema | None = None  # array items, map values
    key_schema: Schema | None = None  # map keys
    doc: str | None = None

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def as_optional(self) -> Schema:
        return self if self.optional else replace(self, optional=True)


def struct(name: str | None, fields: Mapping[str, Schema], optional: bool = False) -> Schema:
    """A struct schema with `fields` in order."""
    return Schema(
        "struct",
        optional=optional,
        name=name,
        fields=tuple(Field(n, s) for n, s in fields.items()),
    )


OPTIONAL_STRING = Schema("string", optional=True)
STRING = Schema("string")
OPTIONAL_BYTES = Schema("bytes", optional=True)


@dataclass(kw_only=True)
class Record:
    """What source and sink records share: key and value with their schemas, timestamp,
    headers."""

    key_schema: Schema | None = None
    key: Any = None
    value_schema: Schema | None = None
    value: Any = None
    timestamp: int | None = None
    headers: list[tuple[str, bytes | None]] = field(default_factory=list)


@dataclass
class SourceRecord(Record):
    """What a `SourceTask.poll` returns: a record for `topic`, with the position in the source
    (`source_partition` / `source_offset`) the runtime stores once the record is in Kafka."""

    source_partition: Mapping[str, Any]
    source_offset: Mapping[str, Any]
    topic: str
    kafka_partition: int | None = None


@dataclass
class SinkRecord(Record):
    """What a `SinkTask.put` receives: a converted record with its Kafka coordinates."""

    topic: str
    kafka_partition: int
    kafka_offset: int


ConnectRecord = SourceRecord | SinkRecord
"""What transforms and predicates take and return."""


class DataError(ValueError):
    """A value that does not fit its schema or cannot be converted (Connect's `DataException`)."""
