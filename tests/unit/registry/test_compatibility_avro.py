"""Avro compatibility: a matrix of schema changes, each accepted or rejected per level."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kaspar.registry.compatibility import check_compatibility
from kaspar.registry.formats.avro import AvroSchema, parse_avro

LEVELS = ("BACKWARD", "FORWARD", "FULL")


def record(*fields: dict[str, Any], name: str = "R", **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "t", "fields": list(fields), **extra}


def field(name: str, type_: Any, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": type_, **extra}


def enum(*symbols: str, **extra: Any) -> dict[str, Any]:
    return {"type": "enum", "name": "E", "symbols": list(symbols), **extra}


A = field("a", "int")
# (case, old, new, compatible under BACKWARD, FORWARD, FULL)
MATRIX = [
    ("field added with default", record(A), record(A, field("b", "string", default="")), "yyy"),
    ("field added without default", record(A), record(A, field("b", "string")), "nyn"),
    ("field removed (had no default)", record(A, field("b", "int")), record(A), "ynn"),
    ("field removed (had a default)", record(A, field("b", "int", default=0)), record(A), "yyy"),
    ("int promoted to long", record(A), record(field("a", "long")), "ynn"),
    ("long narrowed to int", record(field("a", "long")), record(A), "nyn"),
    ("int promoted to double", record(A), record(field("a", "double")), "ynn"),
    ("float promoted to double", record(field("a", "float")), record(field("a", "double")), "ynn"),
    ("string to bytes", record(field("a", "string")), record(field("a", "bytes")), "yyy"),
    ("int to string", record(A), record(field("a", "string")), "nnn"),
    ("enum symbol added", enum("X", "Y"), enum("X", "Y", "Z"), "ynn"),
    ("enum symbol removed", enum("X", "Y"), enum("X"), "nyn"),
    ("enum symbol removed, default", enum("X", "Y"), enum("X", default="X"), "yyy"),
    ("branch added to union", "string", ["null", "string"], "ynn"),
    ("branch removed from union", ["null", "string"], "string", "nyn"),
    ("union to its branch type", ["null", "int"], ["null", "long"], "ynn"),
    (
        "nested record field without default",
        record(field("n", record(A, name="N"))),
        record(field("n", record(A, field("b", "int"), name="N"))),
        "nyn",
    ),
    (
        "fixed size changed",
        {"type": "fixed", "name": "F", "size": 4},
        {"type": "fixed", "name": "F", "size": 8},
        "nnn",
    ),
    ("record renamed", record(A), record(A, name="S"), "nnn"),
    ("record renamed with alias", record(A), record(A, name="S", aliases=["t.R"]), "ynn"),
    ("field renamed with alias", record(A), record(field("z", "int", aliases=["a"])), "ynn"),
    (
        "array items promoted",
        {"type": "array", "items": "int"},
        {"type": "array", "items": "long"},
        "ynn",
    ),
    (
        "map values changed",
        {"type": "map", "values": "string"},
        {"type": "map", "values": "int"},
        "nnn",
    ),
    ("array to map", {"type": "array", "items": "int"}, {"type": "map", "values": "int"}, "nnn"),
    (
        "recursive record unchanged",
        record(field("next", ["null", "t.R"], default=None)),
        record(field("next", ["null", "t.R"], default=None)),
        "yyy",
    ),
    (
        "logical type kept",
        record(field("d", {"type": "int", "logicalType": "date"})),
        record(field("d", {"type": "int", "logicalType": "date"})),
        "yyy",
    ),
]


def parsed(schema: Any) -> AvroSchema:
    return parse_avro(json.dumps(schema))


@pytest.mark.parametrize(("case", "old", "new", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
def test_matrix(case: str, old: Any, new: Any, expected: str) -> None:
    for level, verdict in zip(LEVELS, expected, strict=True):
        found = check_compatibility(level, parsed(new), [parsed(old)])
        assert (not found) == (verdict == "y"), f"{case} under {level}: {found}"
    assert check_compatibility("NONE", parsed(new), [parsed(old)]) == []


def test_transitive_levels_check_every_version() -> None:
    v1 = record(field("x", "int"))
    v2 = record()
    v3 = record(field("x", "string", default=""))
    history = [parsed(v1), parsed(v2)]
    assert check_compatibility("BACKWARD", parsed(v3), history) == []
    found = check_compatibility("BACKWARD_TRANSITIVE", parsed(v3), history)
    assert [item.error_type for item in found] == ["TYPE_MISMATCH"]
    assert check_compatibility("FULL_TRANSITIVE", parsed(v3), history)
    assert check_compatibility("FORWARD_TRANSITIVE", parsed(v3), history)


def test_messages_name_the_rule_and_the_field() -> None:
    found = check_compatibility(
        "BACKWARD", parsed(record(A, field("b", "int"))), [parsed(record(A))]
    )
    assert [(i.error_type, i.path, i.additional_info) for i in found] == [
        ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1", "b")
    ]
    assert "'b'" in str(found[0])


def test_named_types_from_references() -> None:
    address = json.dumps(record(field("street", "string"), name="Address"))
    user = record(field("home", "t.Address"))
    old = parse_avro(json.dumps(user), [address])
    widened = json.dumps(record(field("street", "string"), field("zip", "int"), name="Address"))
    new = parse_avro(json.dumps(user), [widened])
    found = check_compatibility("BACKWARD", new, [old])
    assert [item.error_type for item in found] == ["READER_FIELD_MISSING_DEFAULT_VALUE"]
