"""JSON Schema documents: checked against their draft's meta-schema with `jsonschema`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
import jsonschema.exceptions
import jsonschema.validators


@dataclass(frozen=True)
class JsonSchemaDocument:
    """A parsed JSON Schema and the referenced documents by the name `$ref` uses."""

    document: Any
    referenced: Mapping[str, Any]


def parse_json_schema(text: str, references: Mapping[str, str] | None = None) -> JsonSchemaDocument:
    """`text` as a JSON Schema; raises ValueError if it is not JSON or not a valid schema."""
    referenced = {}
    try:
        document = json.loads(text)
        for name, referenced_text in (references or {}).items():
            referenced[name] = json.loads(referenced_text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"Invalid schema: {exc}") from exc
    if not isinstance(document, dict | bool):
        raise ValueError("Invalid schema: a JSON Schema is an object or a boolean")
    try:
        jsonschema.validators.validator_for(document).check_schema(document)
    except jsonschema.exceptions.SchemaError as exc:
        raise ValueError(f"Invalid schema: {exc.message}") from exc
    return JsonSchemaDocument(document, referenced)
