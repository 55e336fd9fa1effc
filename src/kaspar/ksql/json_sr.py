"""JSON_SR: JSON values framed as Confluent's serializers frame them (a zero byte, the 4-byte
schema id, then the JSON text), their schema a JSON Schema registered under `<topic>-value`.

Reading strips the frame and parses the JSON like the JSON format (ksqlDB reads by column
name too); writing registers the columns' schema once, when the query is planned, and puts
the frame before each value in the engine (`frame_value`).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from kaspar.ksql.errors import KsqlError
from kaspar.ksql.statements import ColumnDef
from kaspar.sql import functions as F
from kaspar.sql.column import Column

TIMEOUT_S = 30.0
PRIMITIVES = {
    "BOOLEAN": {"type": "boolean"},
    "INTEGER": {"type": "integer", "connect.type": "int32"},
    "BIGINT": {"type": "integer", "connect.type": "int64"},
    "DOUBLE": {"type": "number"},
    "STRING": {"type": "string"},
    "BYTES": {"type": "string", "connect.type": "bytes"},
}


def json_schema(columns: list[ColumnDef] | tuple[ColumnDef, ...]) -> str:
    """An object of optional properties, one per column (``oneOf`` null or the type)."""
    properties = {
        c.name: {"connect.index": i, "oneOf": [{"type": "null"}, _type(c.type.ksql)]}
        for i, c in enumerate(columns)
    }
    return json.dumps({"type": "object", "properties": properties})


def _type(ksql: str) -> dict[str, Any]:
    if ksql in PRIMITIVES:
        return PRIMITIVES[ksql]
    if ksql.startswith("ARRAY<"):
        return {"type": "array", "items": _type(ksql[6:-1])}
    if ksql.startswith("MAP<STRING, "):
        return {"type": "object", "additionalProperties": _type(ksql[12:-1])}
    return {}  # structs, decimals, dates: any JSON value


def register(registry: str, subject: str, schema: str) -> int:
    """The id of ``schema`` under ``subject`` (registered if new)."""
    url = f"{registry.rstrip('/')}/subjects/{subject}/versions"
    try:
        answer = httpx.post(url, json={"schemaType": "JSON", "schema": schema}, timeout=TIMEOUT_S)
    except httpx.HTTPError as exc:
        raise KsqlError(f"Could not register the JSON_SR schema of {subject}: {exc}") from None
    if answer.status_code != 200:
        raise KsqlError(f"Could not register the JSON_SR schema of {subject}: {answer.text}")
    return int(answer.json()["id"])


def unframed(value: Column) -> Column:
    """The JSON text after the frame's five bytes."""
    return F.unhex(F.substring(F.hex(value), 11, 2**31 - 1)).cast("string")


def framed(schema_id: int, json_text: Column) -> Column:
    """``json_text`` behind the frame naming ``schema_id``."""
    header = f"00{schema_id:08X}"
    return F.unhex(F.concat(F.lit(header), F.hex(json_text.cast("binary"))))
