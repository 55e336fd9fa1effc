"""JsonConverter's hot path: per schema, a writer compiled once that turns a Connect value into
what `json.dumps` writes, and the schema's JSON bytes made once.

A CDC record's envelope schema is the same object for every change of a table, so both are
cached by the schema's identity (the cache holds the schema, so the id is never reused while
cached). A writer does work only where JSON differs from the Python value (bytes and Decimal
as base64, structs and arrays holding them); everything else is passed through as it is.
"""

from __future__ import annotations

import base64
import decimal
import json
from collections.abc import Callable
from typing import Any

from kaspar.connect.data import DECIMAL, Schema

Writer = Callable[[Any], Any]
CACHE_LIMIT = 4096
_writers: dict[tuple[int, bool], tuple[Schema, Writer | None]] = {}
_schema_bytes: dict[int, tuple[Schema, bytes]] = {}


def decimal_to_bytes(value: decimal.Decimal, scale: int) -> bytes:
    """The unscaled value of `value` at `scale`, big-endian two's complement (Connect's Decimal)."""
    unscaled = int(value.scaleb(scale).to_integral_value(rounding=decimal.ROUND_HALF_UP))
    length = max(1, (unscaled.bit_length() + 8) // 8)
    return unscaled.to_bytes(length, "big", signed=True)


def value_writer(schema: Schema, numeric_decimals: bool) -> Writer | None:
    """The compiled writer of `schema` (None: the value is written as it is)."""
    key = (id(schema), numeric_decimals)
    cached = _writers.get(key)
    if cached is None:
        if len(_writers) > CACHE_LIMIT:
            _writers.clear()
        cached = _writers[key] = (schema, _compile(schema, numeric_decimals))
    return cached[1]


def schema_json_bytes(schema: Schema, to_json: Callable[[Schema], Any]) -> bytes:
    cached = _schema_bytes.get(id(schema))
    if cached is None:
        if len(_schema_bytes) > CACHE_LIMIT:
            _schema_bytes.clear()
        encoded = json.dumps(to_json(schema), separators=(",", ":")).encode()
        cached = _schema_bytes[id(schema)] = (schema, encoded)
    return cached[1]


def _decimal_writer(schema: Schema, numeric: bool) -> Writer:
    if numeric:
        return float
    scale = int((schema.parameters or {}).get("scale", "0"))
    return lambda v: base64.b64encode(decimal_to_bytes(v, scale)).decode()


def _compile(schema: Schema, numeric: bool) -> Writer | None:
    if schema.name == DECIMAL:
        return _decimal_writer(schema, numeric)
    if schema.type == "bytes":
        return lambda v: base64.b64encode(bytes(v)).decode()
    if schema.type == "struct":
        fields = [(f.name, _compile(f.schema, numeric)) for f in schema.fields]
        if all(writer is None for _, writer in fields):
            return None
        return _struct_writer(fields)
    if schema.type in ("array", "map") and schema.value_schema is not None:
        item = _compile(schema.value_schema, numeric)
        if item is None:
            return None
        if schema.type == "map":
            return lambda v: {k: None if x is None else item(x) for k, x in v.items()}
        return lambda v: [None if x is None else item(x) for x in v]
    return None


def _struct_writer(fields: list[tuple[str, Writer | None]]) -> Writer:
    def write(value: Any) -> Any:
        out = dict(value)
        for name, writer in fields:
            if writer is not None:
                found = out.get(name)
                if found is not None:
                    out[name] = writer(found)
        return out

    return write
