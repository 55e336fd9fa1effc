"""Converters: Connect data (schema + value) <-> the bytes of a Kafka record's key or value.

`JsonConverter` writes Connect's JSON: with `schemas.enable=true` (the default) an envelope
`{"schema": ..., "payload": ...}` whose schema is Connect's JSON form of `Schema`; without, the
bare payload. Bytes are base64, `Decimal` is base64 of the unscaled two's-complement integer
(`decimal.format=BASE64`, the default) or a JSON number (`NUMERIC`).
"""

from __future__ import annotations

import base64
import decimal
import json
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from kaspar.connect.data import (
    DECIMAL,
    OPTIONAL_BYTES,
    OPTIONAL_STRING,
    SCHEMA_TYPES,
    DataError,
    Schema,
    struct,
)
from kaspar.connect.json_values import decimal_to_bytes, schema_json_bytes, value_writer


class Converter(Protocol):
    def configure(self, props: Mapping[str, str], is_key: bool) -> None: ...

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any) -> bytes | None: ...

    def to_connect_data(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]: ...


class StringConverter:
    names: ClassVar[tuple[str, ...]] = ("org.apache.kafka.connect.storage.StringConverter",)

    def configure(self, props: Mapping[str, str], is_key: bool) -> None:
        self.encoding = props.get("converter.encoding", "utf-8")

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, bytes):
            return value
        text = value if isinstance(value, str) else json.dumps(value, default=str)
        return text.encode(self.encoding)

    def to_connect_data(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]:
        return OPTIONAL_STRING, None if data is None else data.decode(self.encoding)


class ByteArrayConverter:
    names: ClassVar[tuple[str, ...]] = ("org.apache.kafka.connect.converters.ByteArrayConverter",)

    def configure(self, props: Mapping[str, str], is_key: bool) -> None:
        pass

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None or isinstance(value, bytes):
            return value
        raise DataError(f"ByteArrayConverter takes bytes, got {type(value).__name__}")

    def to_connect_data(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]:
        return OPTIONAL_BYTES, data


class JsonConverter:
    names: ClassVar[tuple[str, ...]] = ("org.apache.kafka.connect.json.JsonConverter",)

    def configure(self, props: Mapping[str, str], is_key: bool) -> None:
        self.schemas_enable = props.get("schemas.enable", "true").strip().lower() == "true"
        self.numeric_decimals = props.get("decimal.format", "BASE64").upper() == "NUMERIC"

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None and not self.schemas_enable:
            return None
        if schema is None and value is None:
            return None
        if schema is None:
            payload = json.dumps(_schemaless(value), separators=(",", ":")).encode()
        else:
            writer = value_writer(schema, self.numeric_decimals)
            written = value if writer is None or value is None else writer(value)
            payload = json.dumps(written, separators=(",", ":")).encode()
        if not self.schemas_enable:
            return payload
        schema_bytes = b"null" if schema is None else schema_json_bytes(schema, schema_to_json)
        return b'{"schema":' + schema_bytes + b',"payload":' + payload + b"}"

    def to_connect_data(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]:
        if data is None:
            return None, None
        try:
            parsed = json.loads(data)
        except ValueError as exc:
            raise DataError(f"Converting byte[] to Kafka Connect data failed: {exc}") from exc
        if not self.schemas_enable:
            return None, parsed
        if not isinstance(parsed, dict) or set(parsed) != {"schema", "payload"}:
            raise DataError(
                'JsonConverter with schemas.enable requires "schema" and "payload" fields and'
                " may not contain additional fields. If you are trying to deserialize plain JSON"
                " data, set schemas.enable=false in your converter configuration."
            )
        schema = None if parsed["schema"] is None else schema_from_json(parsed["schema"])
        return schema, from_json_value(schema, parsed["payload"])


def schema_to_json(schema: Schema) -> dict[str, Any]:
    """Connect's JSON form of a schema."""
    out: dict[str, Any] = {"type": schema.type}
    if schema.type == "struct":
        out["fields"] = [{**schema_to_json(f.schema), "field": f.name} for f in schema.fields]
    elif schema.type == "array" and schema.value_schema is not None:
        out["items"] = schema_to_json(schema.value_schema)
    elif schema.type == "map" and schema.value_schema and schema.key_schema:
        out["keys"] = schema_to_json(schema.key_schema)
        out["values"] = schema_to_json(schema.value_schema)
    out["optional"] = schema.optional
    for attr in ("name", "version", "doc"):
        if getattr(schema, attr) is not None:
            out[attr] = getattr(schema, attr)
    if schema.parameters:
        out["parameters"] = dict(schema.parameters)
    if schema.default is not None:
        out["default"] = to_json_value(schema, schema.default, numeric_decimals=False)
    return out


def schema_from_json(obj: Mapping[str, Any]) -> Schema:
    kind = obj.get("type")
    if kind not in SCHEMA_TYPES:
        raise DataError(f"Unknown schema type: {kind}")
    base = Schema(
        kind,
        optional=bool(obj.get("optional", False)),
        name=obj.get("name"),
        version=obj.get("version"),
        parameters=obj.get("parameters"),
    )
    if kind == "struct":
        fields = {f["field"]: schema_from_json(f) for f in obj.get("fields", [])}
        built = struct(base.name, fields, base.optional)
        return Schema(**{**built.__dict__, "version": base.version, "parameters": base.parameters})
    if kind == "array":
        return Schema(**{**base.__dict__, "value_schema": schema_from_json(obj["items"])})
    if kind == "map":
        return Schema(
            **{
                **base.__dict__,
                "key_schema": schema_from_json(obj["keys"]),
                "value_schema": schema_from_json(obj["values"]),
            }
        )
    return base


def to_json_value(schema: Schema | None, value: Any, numeric_decimals: bool) -> Any:
    """A Connect value as the JSON value JsonConverter writes."""
    if value is None:
        return None
    if schema is None:
        return _schemaless(value)
    if schema.name == DECIMAL and isinstance(value, decimal.Decimal):
        if numeric_decimals:
            return float(value)
        return base64.b64encode(decimal_to_bytes(value, int(_scale(schema)))).decode()
    kind = schema.type
    if kind == "bytes":
        return base64.b64encode(bytes(value)).decode()
    if kind == "struct":
        return {
            f.name: to_json_value(f.schema, value.get(f.name), numeric_decimals)
            for f in schema.fields
        }
    if kind == "array":
        return [to_json_value(schema.value_schema, item, numeric_decimals) for item in value]
    if kind == "map":
        return {
            k: to_json_value(schema.value_schema, v, numeric_decimals) for k, v in value.items()
        }
    return value


def _schemaless(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dict):
        return {k: _schemaless(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_schemaless(v) for v in value]
    return value


def from_json_value(schema: Schema | None, value: Any) -> Any:
    """The inverse of `to_json_value` for data read with a schema."""
    if value is None or schema is None:
        return value
    if schema.name == DECIMAL:
        if isinstance(value, int | float):
            return decimal.Decimal(str(value))
        return decimal_from_bytes(base64.b64decode(value), int(_scale(schema)))
    if schema.type == "bytes":
        return base64.b64decode(value)
    if schema.type == "struct":
        return {f.name: from_json_value(f.schema, value.get(f.name)) for f in schema.fields}
    if schema.type == "array":
        return [from_json_value(schema.value_schema, item) for item in value]
    return value


def _scale(schema: Schema) -> str:
    return (schema.parameters or {}).get("scale", "0")


def decimal_from_bytes(data: bytes, scale: int) -> decimal.Decimal:
    return decimal.Decimal(int.from_bytes(data, "big", signed=True)).scaleb(-scale)


REGISTRY_NAMES = (
    "io.confluent.connect.avro.AvroConverter",
    "AvroConverter",
    "io.confluent.connect.json.JsonSchemaConverter",
    "JsonSchemaConverter",
)
"""The converters through a schema registry (their modules are imported when used)."""
CONVERTERS: dict[str, type[Converter]] = {
    name: cls
    for cls in (JsonConverter, StringConverter, ByteArrayConverter)
    for name in (*cls.names, cls.__name__)
}


def make_converter(class_name: str, props: Mapping[str, str], is_key: bool) -> Converter:
    """The converter `class_name` configured with `props`; raises DataError if unknown."""
    if class_name.strip() in REGISTRY_NAMES:
        from kaspar.connect.avro_converter import AvroConverter  # imported when used
        from kaspar.connect.json_schema_converter import JsonSchemaConverter

        chosen: type[Converter] = (
            AvroConverter if "avro" in class_name.lower() else JsonSchemaConverter
        )
        converter = chosen()
        converter.configure(props, is_key)
        return converter
    cls = CONVERTERS.get(class_name.strip())
    if cls is None:
        raise DataError(
            f"Class {class_name} could not be found; converters: {', '.join(sorted(CONVERTERS))}"
        )
    converter = cls()
    converter.configure(props, is_key)
    return converter
