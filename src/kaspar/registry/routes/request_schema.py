"""The schema a register, lookup or compatibility request carries in its body."""

from __future__ import annotations

from typing import Any

from kaspar.registry import errors
from kaspar.registry.records import AVRO, SCHEMA_TYPES, Schema, SchemaReference


def schema_from_body(body: dict[str, Any]) -> Schema:
    """`{"schema", "schemaType"?, "references"?, "metadata"?, "ruleSet"?}` as a Schema."""
    text = body.get("schema")
    if not isinstance(text, str) or not text.strip():
        raise errors.invalid_schema("Empty schema")
    schema_type = body.get("schemaType") or AVRO
    if schema_type not in SCHEMA_TYPES:
        raise errors.invalid_schema(f"Invalid schema type {schema_type}")
    try:
        references = tuple(SchemaReference.from_json(r) for r in body.get("references") or ())
    except (KeyError, TypeError, ValueError) as exc:
        raise errors.invalid_schema(f"Invalid schema references: {exc}") from exc
    return Schema(text, schema_type, references, body.get("metadata"), body.get("ruleSet"))


def import_id(body: dict[str, Any], key: str) -> int | None:
    """An explicit `id` or `version` (IMPORT mode), or None."""
    value = body.get(key)
    if value is None or value in (0, -1):
        return None
    if not isinstance(value, int) or value < 1:
        if key == "version":
            raise errors.invalid_version(str(value))
        raise errors.invalid_schema(f"Invalid {key} {value}")
    return value
