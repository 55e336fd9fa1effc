"""AVRO data as Confluent's REST Proxy carries it: Avro's JSON encoding.

In that encoding a union value names its branch, `{"string": "x"}` or `{"com.acme.Item":
{...}}` (null stays `null`), and `bytes` and `fixed` are strings whose code points 0-255 are the
bytes. Produce requests are decoded with fastavro's JSON decoder against the writer schema; data
that does not decode so (a bare union value, which earlier kaspar versions took) is walked
along the schema instead, unwrapping what is wrapped and keeping the rest for fastavro to
match, so the serializer refuses only data that fits neither way. Records read by a v2
consumer are encoded back the same way, so they carry the wrappers a Confluent client expects.
"""

from __future__ import annotations

import io
import json
import struct
from typing import Any

import fastavro
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

MAGIC = 0
HEADER = struct.Struct(">bI")


class AvroJson:
    """One writer schema: data in Avro's JSON encoding to fastavro datums, and back."""

    def __init__(self, client: SchemaRegistryClient, schema: Schema) -> None:
        """Parses `schema` with the named types of its references (transitively)."""
        self.named: dict[str, Any] = {}
        _parse_references(client, schema, self.named)
        text = json.loads(schema.schema_str or "")
        self.parsed = fastavro.parse_schema(text, named_schemas=self.named)

    def decode(self, data: Any) -> Any:
        """`data` in Avro's JSON encoding as the datum fastavro writes; where it is not in that
        encoding (bare union values), each part that is, is decoded, the rest kept."""
        try:
            return next(fastavro.json_reader(io.StringIO(json.dumps(data)), self.parsed))
        except Exception:  # noqa: BLE001 (any decoding failure: the lenient walk)
            return self._lenient(self.parsed, data)

    def encode(self, datum: Any) -> Any:
        """A datum read with this schema, in Avro's JSON encoding."""
        return to_avro_json(self.parsed, datum)

    def _lenient(self, schema: Any, value: Any) -> Any:
        if isinstance(schema, str):
            named = self.named.get(schema)
            if named is not None:
                return self._lenient(named, value)
            return _bytes(value) if schema == "bytes" else value
        if isinstance(schema, list):
            return self._union(schema, value)
        kind = schema.get("type")
        if kind == "record" and isinstance(value, dict):
            fields = {field["name"]: field["type"] for field in schema["fields"]}
            return {k: self._lenient(fields[k], v) if k in fields else v for k, v in value.items()}
        if kind == "array" and isinstance(value, list):
            return [self._lenient(schema["items"], item) for item in value]
        if kind == "map" and isinstance(value, dict):
            return {k: self._lenient(schema["values"], v) for k, v in value.items()}
        if kind in ("bytes", "fixed"):
            return _bytes(value)
        return value

    def _union(self, branches: list[Any], value: Any) -> Any:
        """`{"branch": value}` unwrapped when it names a branch; a bare value walked along the
        one branch its JSON shape fits, else kept as it is for fastavro to match."""
        if isinstance(value, dict) and len(value) == 1:
            ((name, inner),) = value.items()
            for branch in branches:
                if _branch_name(branch) == name:
                    return self._lenient(branch, inner)
        fitting = [b for b in branches if self._shape(b) in _SHAPES.get(type(value), ())]
        return self._lenient(fitting[0], value) if len(fitting) == 1 else value

    def _shape(self, schema: Any) -> str:
        """The Avro type a (named) schema stands for: `record`, `string`, `array`..."""
        if isinstance(schema, str):
            named = self.named.get(schema)
            return schema if named is None else self._shape(named)
        return str(schema.get("type"))


def _parse_references(client: SchemaRegistryClient, schema: Schema, named: dict[str, Any]) -> None:
    for reference in schema.references or ():
        assert reference.subject is not None and reference.version is not None
        registered = client.get_version(reference.subject, reference.version).schema
        assert registered is not None
        _parse_references(client, registered, named)
        fastavro.parse_schema(json.loads(registered.schema_str or ""), named_schemas=named)


_SHAPES: dict[type, tuple[str, ...]] = {
    dict: ("record", "map"),
    list: ("array",),
    str: ("string", "bytes", "fixed", "enum"),
}


def _branch_name(branch: Any) -> str:
    """How Avro's JSON encoding names a union branch: a type's name, or a named type's full
    name."""
    if isinstance(branch, str):
        return branch
    return str(branch.get("name") or branch.get("type"))


def _bytes(value: Any) -> Any:
    return value.encode("latin-1") if isinstance(value, str) else value


def to_avro_json(parsed_schema: Any, datum: Any) -> Any:
    """A datum read with `parsed_schema`, in Avro's JSON encoding."""
    out = io.StringIO()
    fastavro.json_writer(out, parsed_schema, [datum])
    return json.loads(out.getvalue())


def schema_id(raw: bytes) -> int | None:
    """The schema id of Confluent's wire format, or None if `raw` is not in it."""
    if len(raw) < HEADER.size:
        return None
    magic, found = HEADER.unpack_from(raw)
    return int(found) if magic == MAGIC else None
