"""The Avro schema ksqlDB writes for a source's columns: a record named
``KsqlDataSourceSchema`` in ``io.confluent.ksql.avro_schemas``, every field optional (a union
with null, default null), nested structs as records of their own."""

from __future__ import annotations

import json
import re
from typing import Any

from kaspar.ksql.statements import ColumnDef

NAMESPACE = "io.confluent.ksql.avro_schemas"
PRIMITIVES = {
    "BOOLEAN": "boolean",
    "INTEGER": "int",
    "BIGINT": "long",
    "DOUBLE": "double",
    "STRING": "string",
    "BYTES": "bytes",
    "DATE": {"type": "int", "logicalType": "date"},
    "TIMESTAMP": {"type": "long", "logicalType": "timestamp-millis"},
    "TIME": "string",
}


def avro_schema(columns: list[ColumnDef] | tuple[ColumnDef, ...]) -> str:
    record = _record("KsqlDataSourceSchema", [(c.name, c.type.ksql) for c in columns])
    return json.dumps({**record, "namespace": NAMESPACE})


def _record(name: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "type": "record",
        "name": name,
        "fields": [
            {"name": f, "type": ["null", _type(t, f"{name}_{f}")], "default": None}
            for f, t in fields
        ],
    }


def _type(ksql: str, name: str) -> Any:
    if ksql in PRIMITIVES:
        return PRIMITIVES[ksql]
    if decimal := re.fullmatch(r"DECIMAL\((\d+), (\d+)\)", ksql):
        precision, scale = int(decimal[1]), int(decimal[2])
        return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}
    if ksql.startswith("ARRAY<"):
        return {"type": "array", "items": ["null", _type(ksql[6:-1], name)]}
    if ksql.startswith("MAP<STRING, "):
        return {"type": "map", "values": ["null", _type(ksql[12:-1], name)]}
    if ksql.startswith("STRUCT<"):
        return _record(name, _struct_fields(ksql[7:-1]))
    raise ValueError(f"no Avro type for {ksql}")


def _struct_fields(inner: str) -> list[tuple[str, str]]:
    """``\\`A\\` INTEGER, \\`B\\` STRUCT<...>`` -> [(A, INTEGER), (B, STRUCT<...>)]."""
    fields, depth, current = [], 0, ""
    for char in inner + ",":
        if char == "," and depth == 0:
            name, _, field_type = current.strip().partition(" ")
            fields.append((name.strip("`"), field_type.strip()))
            current = ""
            continue
        depth += {"<": 1, ">": -1, "(": 1, ")": -1}.get(char, 0)
        current += char
    return fields
