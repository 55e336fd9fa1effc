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
