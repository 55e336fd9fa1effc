"""`io.confluent.connect.json.JsonSchemaConverter`: Connect data as JSON in Confluent's wire
format, its JSON Schema registered (schemaType JSON) with any compatible registry.

The mapping is Confluent's JsonSchemaData: a struct is an `object` titled with the schema's
name, each property carrying `connect.index`; an optional schema is
`{"oneOf": [{"type": "null"}, <schema>]}`; Connect's integer and float widths and `bytes` are
kept in `connect.type` (bytes travel as base64 strings, Decimal as a JSON number); a named
schema carries `title`, `connect.version`, `connect.parameters`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from kaspar.connect.data import DECIMAL, DataError, Schema, struct
from kaspar.connect.json_values import value_writer
from kaspar.connect.registry_client import RegistryConverter

JSON_TYPES = {
    "int8": "integer",
    "int16": "integer",
    "int32": "integer",
    "int64": "integer",
    "float32": "number",
    "float64": "number",
    "boolean": "boolean",
    "string": "string",
    "bytes": "string",
}


def json_schema(schema: Schema, index: int | None = None) -> dict[str, Any]:
    """Confluent's JsonSchemaData mapping of a Connect schema."""
    body = _json_type(schema)
    out: dict[str, Any] = {"oneOf": [{"type": "null"}, body]} if schema.optional else body
    if index is not None:
        out["connect.index"] = index
    return out


def _json_type(schema: Schema) -> dict[str, Any]:
    if schema.type == "struct":
        properties = {f.name: json_schema(f.schema, i) for i, f in enumerate(schema.fields)}
        out: dict[str, Any] = {"type": "object", "properties": properties}
    elif schema.type == "array" and schema.value_schema is not None:
        out = {"type": "array", "items": json_schema(schema.value_schema)}
    elif schema.type == "map" and schema.value_schema is not None:
        out = {"type": "object", "additionalProperties": json_schema(schema.value_schema)}
        out["connect.type"] = "map"
    elif schema.name == DECIMAL:
        out = {"type": "number", "connect.type": "bytes"}
    else:
        out = {"type": JSON_TYPES[schema.type]}
        if schema.type not in ("boolean", "string"):
            out["connect.type"] = schema.type
    if schema.name:
        out["title"] = schema.name
    if schema.version is not None:
        out["connect.version"] = schema.version
    if schema.parameters:
        out["connect.parameters"] = dict(schema.parameters)
    return out


def connect_schema(node: Mapping[str, Any]) -> Schema:
    """The inverse mapping, for records read back."""
    if "oneOf" in node:
        branches = [b for b in node["oneOf"] if b.get("type") != "null"]
        return connect_schema(branches[0]).as_optional()
    kind, name = node.get("type"), node.get("title")
    version, parameters = node.get("connect.version"), node.get("connect.parameters")
    if kind == "object" and node.get("connect.type") != "map":
        ordered = sorted(
            node.get("properties", {}).items(), key=lambda item: item[1].get("connect.index", 0)
        )
        built = struct(name, {field: connect_schema(sub) for field, sub in ordered})
        return Schema(**{**built.__dict__, "version": version, "parameters": parameters})
    if kind == "object":
        values = connect_schema(node["additionalProperties"])
        return Schema("map", key_schema=Schema("string"), value_schema=values)
    if kind == "array":
        return Schema("array", value_schema=connect_schema(node["items"]))
    connect_type = node.get("connect.type") or {"integer": "int64", "number": "float64"}.get(
        str(kind), str(kind)
    )
    return Schema(connect_type, name=name, version=version, parameters=parameters)


def _read_value(schema: Schema, value: Any) -> Any:
    if value is None:
        return None
    if schema.name == DECIMAL:
        return Decimal(str(value))
    if schema.type == "bytes":
        return base64.b64decode(value)
    if schema.type == "struct":
        return {f.name: _read_value(f.schema, value.get(f.name)) for f in schema.fields}
    if schema.type == "array" and schema.value_schema is not None:
        return [_read_value(schema.value_schema, item) for item in value]
    return value


class JsonSchemaConverter(RegistryConverter):
    names: ClassVar[tuple[str, ...]] = ("io.confluent.connect.json.JsonSchemaConverter",)
    schema_type = "JSON"

    def configure(self, props: Mapping[str, str], is_key: bool) -> None:
        super().configure(props, is_key)
        self._ids: dict[int, tuple[Schema, int]] = {}
        self._readers: dict[int, Schema] = {}

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None:
            return None
        if schema is None:
            raise DataError("JsonSchemaConverter needs a schema: the record has none")
        cached = self._ids.get(id(schema))
        if cached is None:
            text = json.dumps(json_schema(schema), separators=(",", ":"))
            cached = self._ids[id(schema)] = (schema, self.schema_id(topic, text))
        writer = value_writer(schema, numeric_decimals=True)
        body = json.dumps(value if writer is None else writer(value), separators=(",", ":"))
        return self.frame(cached[1], body.encode())

    def to_connect_data(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]:
        if data is None:
            return None, None
        schema_id, body = self.unframe(data)
        if schema_id not in self._readers:
            self._readers[schema_id] = connect_schema(json.loads(self.registry.schema(schema_id)))
        schema = self._readers[schema_id]
        return schema, _read_value(schema, json.loads(body))
