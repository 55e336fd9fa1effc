"""One entry point over the three formats: parse a schema (with its references) and its
canonical form, chosen by `schemaType`."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from kaspar.registry.formats.avro import avro_normal_form, parse_avro
from kaspar.registry.formats.json_schema import parse_json_schema
from kaspar.registry.formats.protobuf import parse_protobuf, protobuf_canonical_form
from kaspar.registry.records import AVRO, JSON, PROTOBUF, Schema, SchemaReference

ReferenceResolver = Callable[[SchemaReference], Schema]
"""The registered schema a reference names; raises ValueError if there is none."""

MAX_REFERENCE_DEPTH = 32


def parse_schema(schema: Schema, resolve: ReferenceResolver) -> Any:
    """`schema` parsed in its format (AvroSchema, JsonSchemaDocument or FileDescriptorProto).

    Raises ValueError (answered as 42201) if it, or a schema it references, is invalid.
    """
    referenced = _referenced(schema, resolve, depth=0)
    if schema.schema_type == AVRO:
        return parse_avro(schema.schema, [text for _, text in referenced])
    if schema.schema_type == JSON:
        return parse_json_schema(schema.schema, dict(referenced))
    if schema.schema_type == PROTOBUF:
        imports = [parse_protobuf(text) for _, text in referenced]
        return parse_protobuf(schema.schema, imports)
    raise ValueError(f"Invalid schema type {schema.schema_type}")


def _referenced(schema: Schema, resolve: ReferenceResolver, depth: int) -> list[tuple[str, str]]:
    """(name, text) of every schema referenced, transitively, dependencies first."""
    if depth > MAX_REFERENCE_DEPTH:
        raise ValueError("Invalid schema: references nested too deep (a cycle?)")
    found: list[tuple[str, str]] = []
    for reference in schema.references:
        target = resolve(reference)
        for item in _referenced(target, resolve, depth + 1):
            if item not in found:
                found.append(item)
        if (reference.name, target.schema) not in found:
            found.append((reference.name, target.schema))
    return found


@functools.lru_cache(maxsize=4096)
def _canonical_text(schema_type: str, text: str) -> str:
    if schema_type == PROTOBUF:
        return protobuf_canonical_form(text)
    if schema_type == AVRO:
        normal = avro_normal_form(text)
        if normal is not None:
            return normal
    try:  # JSON Schema, or Avro naming referenced types: the JSON with sorted keys, no spaces
        return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    except json.JSONDecodeError:
        return text


def canonical_form(schema: Schema) -> str:
    """The text two registrations of the same schema share (docs/registry.md, Ids)."""
    return _canonical_text(schema.schema_type, schema.schema)
