"""The records of the `_schemas` topic, in Confluent Schema Registry's JSON shapes.

A key is a JSON object whose `keytype` says what the record is (SCHEMA, CONFIG, MODE,
DELETE_SUBJECT, CLEAR_SUBJECT, NOOP); the value is the state it sets, or null (a tombstone) for a
permanent delete. Keys are always encoded with the same field order and no spaces, so compaction
keeps the last record of each key. docs/registry.md has the table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NewType

Subject = NewType("Subject", str)
SchemaId = NewType("SchemaId", int)

AVRO, JSON, PROTOBUF = "AVRO", "JSON", "PROTOBUF"
SCHEMA_TYPES = (JSON, PROTOBUF, AVRO)


@dataclass(frozen=True)
class SchemaReference:
    """A named dependency of a schema: `name` as the schema refers to it, at subject/version."""

    name: str
    subject: str
    version: int

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "subject": self.subject, "version": self.version}

    @classmethod
    def from_json(cls, value: Any) -> SchemaReference:
        return cls(str(value["name"]), str(value["subject"]), int(value["version"]))


@dataclass(frozen=True)
class Schema:
    """A schema as registered: its text, type, references, and the kept `metadata`/`ruleSet`."""

    schema: str
    schema_type: str = AVRO
    references: tuple[SchemaReference, ...] = ()
    metadata: Any = field(default=None, compare=False)
    rule_set: Any = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        """The fields Confluent's API answers with (schemaType omitted for Avro)."""
        body: dict[str, Any] = {}
        if self.schema_type != AVRO:
            body["schemaType"] = self.schema_type
        if self.references:
            body["references"] = [reference.to_json() for reference in self.references]
        if self.metadata is not None:
            body["metadata"] = self.metadata
        if self.rule_set is not None:
            body["ruleSet"] = self.rule_set
        body["schema"] = self.schema
        return body


@dataclass(frozen=True)
class SchemaVersion:
    """One version of a subject: the value of a SCHEMA record."""

    subject: Subject
    version: int
    id: SchemaId
    schema: Schema
    deleted: bool = False

    def to_record(self) -> dict[str, Any]:
        value: dict[str, Any] = {"subject": self.subject, "version": self.version, "id": self.id}
        value.update(self.schema.to_json())
        value["deleted"] = self.deleted
        return value

    @classmethod
    def from_record(cls, value: dict[str, Any]) -> SchemaVersion:
        schema = Schema(
            schema=value["schema"],
            schema_type=value.get("schemaType") or AVRO,
            references=tuple(SchemaReference.from_json(r) for r in value.get("references") or ()),
            metadata=value.get("metadata"),
            rule_set=value.get("ruleSet"),
        )
        return cls(
            Subject(value["subject"]),
            int(value["version"]),
            SchemaId(int(value["id"])),
            schema,
            bool(value.get("deleted", False)),
        )


def schema_key(subject: str, version: int) -> dict[str, Any]:
    return {"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1}


def config_key(subject: str | None) -> dict[str, Any]:
    return {"keytype": "CONFIG", "subject": subject, "magic": 0}


def mode_key(subject: str | None) -> dict[str, Any]:
    return {"keytype": "MODE", "subject": subject, "magic": 0}


def delete_subject_key(subject: str) -> dict[str, Any]:
    return {"keytype": "DELETE_SUBJECT", "subject": subject, "magic": 0}


def clear_subject_key(subject: str) -> dict[str, Any]:
    return {"keytype": "CLEAR_SUBJECT", "subject": subject, "magic": 0}


NOOP_KEY: dict[str, Any] = {"keytype": "NOOP", "magic": 0}


def encode(document: dict[str, Any] | None) -> bytes | None:
    """A key or value as the record's bytes (None stays None: a tombstone)."""
    if document is None:
        return None
    return json.dumps(document, separators=(",", ":")).encode()


def decode(data: bytes | None) -> Any:
    return None if data is None else json.loads(data)
