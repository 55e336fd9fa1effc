"""Avro schemas: parsed with fastavro, named types from references first."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import fastavro
from fastavro.schema import SchemaParseException, UnknownType


@dataclass(frozen=True)
class AvroSchema:
    """A parsed Avro schema and the named types it may refer to by name."""

    parsed: Any
    named: dict[str, Any]


def parse_avro(text: str, references: Sequence[str] = ()) -> AvroSchema:
    """`text` parsed after the referenced schemas' texts; raises ValueError if invalid."""
    named: dict[str, Any] = {}
    try:
        for referenced in references:
            fastavro.parse_schema(json.loads(referenced), named_schemas=named)
        parsed = fastavro.parse_schema(json.loads(text), named_schemas=named)
    except (SchemaParseException, UnknownType, json.JSONDecodeError) as exc:
        raise ValueError(f"Invalid schema: {exc}") from exc
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"Invalid schema: malformed ({exc})") from exc
    return AvroSchema(parsed, named)


def avro_normal_form(text: str) -> str | None:
    """The schema as Avro's `Schema.toString()` would write it, near enough for identity: names
    fully qualified, `{"type": "int"}` written `"int"`, keys sorted, no whitespace. None when
    the text does not parse on its own (it names types from references)."""
    try:
        parsed = fastavro.parse_schema(json.loads(text))
    except (SchemaParseException, UnknownType, json.JSONDecodeError, TypeError, KeyError):
        return None
    except AttributeError:  # fastavro on some malformed shapes
        return None
    return json.dumps(_normal(parsed), sort_keys=True, separators=(",", ":"))


def _normal(schema: Any) -> Any:
    if isinstance(schema, list):
        return [_normal(branch) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    if set(schema) == {"type"} and isinstance(schema["type"], str):
        return schema["type"]
    return {k: _normal(v) for k, v in schema.items() if not k.startswith("__")}
