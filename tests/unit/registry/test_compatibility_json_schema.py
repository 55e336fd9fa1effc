"""JSON Schema compatibility: Confluent's content-model rules, a matrix per level."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kaspar.registry.compatibility import check_compatibility
from kaspar.registry.formats.json_schema import JsonSchemaDocument, parse_json_schema

LEVELS = ("BACKWARD", "FORWARD", "FULL")


def obj(closed: bool = False, required: tuple[str, ...] = (), **properties: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if closed:
        schema["additionalProperties"] = False
    if required:
        schema["required"] = list(required)
    return schema


STR, INT, NUM = {"type": "string"}, {"type": "integer"}, {"type": "number"}
# (case, old, new, compatible under BACKWARD, FORWARD, FULL)
MATRIX = [
    ("unchanged", obj(a=STR), obj(a=STR), "yyy"),
    ("property added to open model", obj(a=STR), obj(a=STR, b=INT), "nyn"),
    ("property added to closed model", obj(True, a=STR), obj(True, a=STR, b=INT), "ynn"),
    ("property removed from open model", obj(a=STR, b=INT), obj(a=STR), "ynn"),
    ("property removed from closed model", obj(True, a=STR, b=INT), obj(True, a=STR), "nyn"),
    ("integer widened to number", obj(a=INT), obj(a=NUM), "ynn"),
    ("number narrowed to integer", obj(a=NUM), obj(a=INT), "nyn"),
    ("string to integer", obj(a=STR), obj(a=INT), "nnn"),
    ("required added", obj(a=STR), obj(required=("a",), a=STR), "nyn"),
    ("required removed", obj(required=("a",), a=STR), obj(a=STR), "ynn"),
    (
        "required added with a default",
        obj(a=STR),
        obj(required=("a",), a=STR | {"default": ""}),
        "yyy",
    ),
    ("enum extended", {"enum": ["x"]}, {"enum": ["x", "y"]}, "ynn"),
    ("enum narrowed", {"enum": ["x", "y"]}, {"enum": ["x"]}, "nyn"),
    ("maxLength decreased", STR | {"maxLength": 9}, STR | {"maxLength": 5}, "nyn"),
    ("minimum increased", INT | {"minimum": 0}, INT | {"minimum": 5}, "nyn"),
    ("items changed", {"type": "array", "items": STR}, {"type": "array", "items": INT}, "nnn"),
    ("model closed", obj(a=STR), obj(True, a=STR), "nyn"),
    ("anyOf branch added", {"anyOf": [STR]}, {"anyOf": [STR, INT]}, "ynn"),
    (
        "$ref target widened",
        {"$ref": "#/definitions/a", "definitions": {"a": INT}},
        {"$ref": "#/definitions/a", "definitions": {"a": NUM}},
        "ynn",
    ),
]


def parsed(schema: Any) -> JsonSchemaDocument:
    return parse_json_schema(json.dumps(schema))


@pytest.mark.parametrize(("case", "old", "new", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
def test_matrix(case: str, old: Any, new: Any, expected: str) -> None:
    for level, verdict in zip(LEVELS, expected, strict=True):
        found = check_compatibility(level, parsed(new), [parsed(old)])
        assert (not found) == (verdict == "y"), f"{case} under {level}: {found}"


def test_open_model_addition_names_the_rule() -> None:
    found = check_compatibility("BACKWARD", parsed(obj(a=STR, b=INT)), [parsed(obj(a=STR))])
    assert [item.error_type for item in found] == ["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"]


def test_referenced_schema_by_name() -> None:
    old = parse_json_schema(json.dumps({"$ref": "other.json"}), {"other.json": json.dumps(INT)})
    new = parse_json_schema(json.dumps({"$ref": "other.json"}), {"other.json": json.dumps(STR)})
    assert check_compatibility("BACKWARD", new, [old])
