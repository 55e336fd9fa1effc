"""The Avro schema ksqlDB writes for a source's columns: a record named
``KsqlDataSourceSchema`` in ``io.confluent.ksql.avro_schemas``, every field optional (a union
with null, default null), nested structs as records of their own."""

from __future__ import annotations

import json
import re
from typing import Any

from kaspar.ksql.statements import ColumnDef
from kaspar.ksql.types import (
    KsqlType,
    array_of,
    decimal,
    map_of,
    primitive,
    struct_fields,
    struct_of,
)

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
        return _record(name, struct_fields(ksql[7:-1]))
    raise ValueError(f"no Avro type for {ksql}")


AVRO_PRIMITIVES = {
    "boolean": "BOOLEAN",
    "int": "INTEGER",
    "long": "BIGINT",
    "float": "DOUBLE",
    "double": "DOUBLE",
    "string": "STRING",
    "bytes": "BYTES",
}
LOGICAL = {"date": "DATE", "timestamp-millis": "TIMESTAMP", "time-millis": "TIME"}


def columns_from_avro(schema_text: str) -> list[ColumnDef]:
    """The value columns of a registered Avro record (ksqlDB's schema inference)."""
    schema = json.loads(schema_text)
    if not isinstance(schema, dict) or schema.get("type") != "record":
        raise ValueError("the registered value schema is not an Avro record")
    return [ColumnDef(f["name"], _ksql_type(f["type"])) for f in schema["fields"]]


def _ksql_type(avro: Any) -> KsqlType:
    if isinstance(avro, list):  # a union: null and one type
        others = [t for t in avro if t != "null"]
        if len(others) != 1:
            raise ValueError(f"unions other than [null, T] have no ksqlDB type: {avro}")
        return _ksql_type(others[0])
    if isinstance(avro, str):
        if avro not in AVRO_PRIMITIVES:
            raise ValueError(f"no ksqlDB type for Avro {avro}")
        found = primitive(AVRO_PRIMITIVES[avro])
        assert found is not None
        return found
    logical = avro.get("logicalType")
    if logical == "decimal":
        return decimal(int(avro["precision"]), int(avro.get("scale", 0)))
    if logical in LOGICAL:
        found = primitive(LOGICAL[logical])
        assert found is not None
        return found
    kind = avro["type"]
    if kind == "array":
        return array_of(_ksql_type(avro["items"]))
    if kind == "map":
        return map_of(KsqlType("STRING", "STRING"), _ksql_type(avro["values"]))
    if kind == "record":
        return struct_of([(f["name"], _ksql_type(f["type"])) for f in avro["fields"]])
    if kind == "enum":
        return KsqlType("STRING", "STRING")
    return _ksql_type(kind)
