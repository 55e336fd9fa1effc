"""`io.confluent.connect.avro.AvroConverter`: Connect data as Avro in Confluent's wire format
(magic byte 0, the 4-byte schema id, the Avro body), schemas registered with any Confluent
compatible registry (kaspar's own: `kaspar registry`).

The Connect -> Avro schema mapping is Confluent's AvroData: a struct is a record named by the
last part of its schema name (namespace: the rest; `ConnectDefault` without a name), an
optional schema is a union with `null` first and a `null` default, int8/int16 are `int` with a
`connect.type`, a named schema carries `connect.name` / `connect.version` /
`connect.parameters`, `Decimal` / `Date` / `Time` / `Timestamp` are Avro's logical types.
Subjects follow TopicNameStrategy (`<topic>-key`, `<topic>-value`). Settings:
`schema.registry.url`, `auto.register.schemas` (true).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any, ClassVar

import fastavro

from kaspar.connect.data import (
    DATE,
    DECIMAL,
    TIME,
    TIMESTAMP,
    DataError,
    Schema,
)
from kaspar.connect.data import (
    struct as struct_schema,
)
from kaspar.connect.registry_client import RegistryConverter

PRIMITIVES = {
    "int8": "int",
    "int16": "int",
    "int32": "int",
    "int64": "long",
    "float32": "float",
    "float64": "double",
    "boolean": "boolean",
    "string": "string",
    "bytes": "bytes",
}
LOGICAL = {
    DECIMAL: "decimal",
    DATE: "date",
    TIME: "time-millis",
    TIMESTAMP: "timestamp-millis",
}
AVRO_TO_CONNECT = {"int": "int32", "long": "int64", "float": "float32", "double": "float64"}


def avro_schema(schema: Schema, defined: set[str] | None = None) -> Any:
    """Confluent's AvroData mapping of a Connect schema; a record already defined in the same
    schema (`before` and `after` share one) is referred to by its full name."""
    body = _avro_type(schema, set() if defined is None else defined)
    return ["null", body] if schema.optional else body


def _connect_props(schema: Schema) -> dict[str, Any]:
    props: dict[str, Any] = {}
    if schema.version is not None:
        props["connect.version"] = schema.version
    if schema.parameters:
        props["connect.parameters"] = dict(schema.parameters)
    if schema.name:
        props["connect.name"] = schema.name
    return props


def _avro_type(schema: Schema, defined: set[str]) -> Any:
    if schema.type == "struct":
        name = schema.name or "io.confluent.connect.avro.ConnectDefault"
        if name in defined:
            return name
        defined.add(name)
        namespace, _, simple = name.rpartition(".")
        fields = []
        for field in schema.fields:
            entry: dict[str, Any] = {"name": field.name, "type": avro_schema(field.schema, defined)}
            if field.schema.optional:
                entry["default"] = None
            fields.append(entry)
        record = {"type": "record", "name": simple, "fields": fields}
        if namespace:
            record["namespace"] = namespace
        return {**record, **_connect_props(schema)}
    if schema.type == "array":
        assert schema.value_schema is not None
        return {"type": "array", "items": avro_schema(schema.value_schema, defined)}
    if schema.type == "map":
        assert schema.value_schema is not None
        return {"type": "map", "values": avro_schema(schema.value_schema, defined)}
    out: dict[str, Any] = {"type": PRIMITIVES[schema.type]}
    if schema.type in ("int8", "int16"):
        out["connect.type"] = schema.type
    out.update(_connect_props(schema))
    logical = LOGICAL.get(schema.name or "")
    if logical is not None:
        out["logicalType"] = logical
        if logical == "decimal":
            params = schema.parameters or {}
            out["scale"] = int(params.get("scale", "0"))
            out["precision"] = int(params.get("connect.decimal.precision", "64"))
    return out if len(out) > 1 else out["type"]


def connect_schema(avro: Any, named: dict[str, Schema] | None = None) -> Schema:
    """The inverse mapping, for records read back (`named`: the records seen so far)."""
    named = {} if named is None else named
    if isinstance(avro, list):
        inner = [branch for branch in avro if branch != "null"]
        found = connect_schema(inner[0] if len(inner) == 1 else "string", named)
        return found.as_optional() if "null" in avro else found
    if isinstance(avro, str):
        return named.get(avro) or Schema(AVRO_TO_CONNECT.get(avro, avro))
    kind = avro["type"]
    if isinstance(kind, dict | list):
        return connect_schema(kind, named)
    name, version = avro.get("connect.name"), avro.get("connect.version")
    parameters = avro.get("connect.parameters")
    if kind == "record":
        fields = {f["name"]: connect_schema(f["type"], named) for f in avro["fields"]}
        built = struct_schema(name, fields)
        record = Schema(**{**built.__dict__, "version": version, "parameters": parameters})
        full = ".".join(filter(None, (avro.get("namespace"), avro["name"])))
        named[full] = record
        return record
    if kind == "array":
        return Schema("array", value_schema=connect_schema(avro["items"], named))
    if kind == "map":
        values = connect_schema(avro["values"], named)
        return Schema("map", key_schema=Schema("string"), value_schema=values)
    base = avro.get("connect.type") or AVRO_TO_CONNECT.get(kind, kind)
    return Schema(base, name=name, version=version, parameters=parameters)


def _to_connect_value(schema: Schema | None, value: Any) -> Any:
    """fastavro's logical values back to Connect's numbers."""
    if value is None or schema is None:
        return value
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, date):
        return (value - date(1970, 1, 1)).days
    if isinstance(value, time):
        return (
            (value.hour * 60 + value.minute) * 60 + value.second
        ) * 1000 + value.microsecond // 1000
    if schema.type == "struct" and isinstance(value, dict):
        return {f.name: _to_connect_value(f.schema, value.get(f.name)) for f in schema.fields}
    if schema.type == "array" and isinstance(value, list):
        return [_to_connect_value(schema.value_schema, item) for item in value]
    return value


class AvroConverter(RegistryConverter):
    names: ClassVar[tuple[str, ...]] = ("io.confluent.connect.avro.AvroConverter",)

    def configure(self, props: Mapping[str, str], is_key: bool) -> None:
        super().configure(props, is_key)
        self._writers: dict[int, tuple[Schema, int, Any]] = {}
        self._readers: dict[int, tuple[Schema, Any]] = {}

    def _writer(self, topic: str, schema: Schema) -> tuple[int, Any]:
        cached = self._writers.get(id(schema))
        if cached is None:
            avro = avro_schema(schema)
            schema_id = self.schema_id(topic, json.dumps(avro, separators=(",", ":")))
            cached = self._writers[id(schema)] = (schema, schema_id, fastavro.parse_schema(avro))
        return cached[1], cached[2]

    def from_connect_data(self, topic: str, schema: Schema | None, value: Any) -> bytes | None:
        if value is None:
            return None
        if schema is None:
            raise DataError("AvroConverter needs a schema: the record has none")
        schema_id, parsed = self._writer(topic, schema)
        out = io.BytesIO()
        fastavro.schemaless_writer(out, parsed, value)
        return self.frame(schema_id, out.getvalue())

    def to_connect_data(self, topic: str, data: bytes | None) -> tuple[Schema | None, Any]:
        if data is None:
            return None, None
        schema_id, body = self.unframe(data)
        if schema_id not in self._readers:
            avro = json.loads(self.registry.schema(schema_id))
            self._readers[schema_id] = (connect_schema(avro), fastavro.parse_schema(avro))
        schema, parsed = self._readers[schema_id]
        value = fastavro.schemaless_reader(io.BytesIO(body), parsed)
        return schema, _to_connect_value(schema, value)
