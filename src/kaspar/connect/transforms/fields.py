"""`ReplaceField` (drop, keep and rename fields) and `InsertField` (add the record's topic,
partition, offset, timestamp or a static value), each as `$Key` and `$Value`, with a struct
schema or schemaless maps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

from kaspar.connect.data import (
    TIMESTAMP,
    ConnectRecord,
    DataError,
    Field,
    Schema,
    SinkRecord,
)
from kaspar.connect.transforms.base import RecordPart, require_map

PACKAGE = "org.apache.kafka.connect.transforms."


def _names(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


class ReplaceField(RecordPart):
    names: ClassVar[tuple[str, ...]] = (PACKAGE + "ReplaceField$Value", "ReplaceField$Value")

    def configure(self, props: Mapping[str, str]) -> None:
        self.exclude = set(_names(props.get("exclude") or props.get("blacklist")))
        self.include = set(_names(props.get("include") or props.get("whitelist")))
        self.renames: dict[str, str] = {}
        for pair in _names(props.get("renames")):
            old, sep, new = pair.partition(":")
            if not sep:
                raise DataError(f"Invalid rename mapping: {pair}")
            self.renames[old] = new

    def keeps(self, name: str) -> bool:
        return name not in self.exclude and (not self.include or name in self.include)

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        value = self.value_of(record)
        if value is None:
            return record
        fields = require_map(value, "field replacement")
        out = {self.renames.get(k, k): v for k, v in fields.items() if self.keeps(k)}
        schema = self.schema_of(record)
        if schema is not None:
            kept = tuple(
                Field(self.renames.get(f.name, f.name), f.schema)
                for f in schema.fields
                if self.keeps(f.name)
            )
            schema = replace(schema, fields=kept)
        return self.with_part(record, schema, out)


class ReplaceFieldKey(ReplaceField):
    part = "key"
    names = (PACKAGE + "ReplaceField$Key", "ReplaceField$Key")


def _field_spec(spec: str | None) -> tuple[str, bool] | None:
    """`name`, `name!` (required) or `name?` (optional) -> (name, optional)."""
    if not spec:
        return None
    if spec.endswith("!"):
        return spec[:-1], False
    return spec.removesuffix("?"), True


class InsertField(RecordPart):
    names: ClassVar[tuple[str, ...]] = (PACKAGE + "InsertField$Value", "InsertField$Value")

    def configure(self, props: Mapping[str, str]) -> None:
        self.topic = _field_spec(props.get("topic.field"))
        self.partition = _field_spec(props.get("partition.field"))
        self.offset = _field_spec(props.get("offset.field"))
        self.timestamp = _field_spec(props.get("timestamp.field"))
        self.static = _field_spec(props.get("static.field"))
        self.static_value = props.get("static.value")

    def _additions(self, record: ConnectRecord) -> list[tuple[str, Schema, Any]]:
        offset = record.kafka_offset if isinstance(record, SinkRecord) else None
        wanted = [
            (self.topic, Schema("string"), record.topic),
            (self.partition, Schema("int32"), record.kafka_partition),
            (self.offset, Schema("int64"), offset),
            (self.timestamp, Schema("int64", name=TIMESTAMP, version=1), record.timestamp),
            (self.static, Schema("string"), self.static_value),
        ]
        return [
            (spec[0], replace(schema, optional=spec[1]), value)
            for spec, schema, value in wanted
            if spec is not None
        ]

    def apply(self, record: ConnectRecord) -> ConnectRecord | None:
        value = self.value_of(record)
        if value is None:
            return record
        out = dict(require_map(value, "field insertion"))
        additions = self._additions(record)
        for name, _, added in additions:
            out[name] = added
        schema = self.schema_of(record)
        if schema is not None:
            extra = tuple(Field(name, field_schema) for name, field_schema, _ in additions)
            schema = replace(schema, fields=schema.fields + extra)
        return self.with_part(record, schema, out)


class InsertFieldKey(InsertField):
    part = "key"
    names = (PACKAGE + "InsertField$Key", "InsertField$Key")
