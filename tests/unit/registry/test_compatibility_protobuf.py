"""Protobuf compatibility: field numbers and types, messages, oneofs, a matrix per level."""

from __future__ import annotations

import pytest

from kaspar.registry.compatibility import check_compatibility
from kaspar.registry.formats.protobuf import parse_protobuf

LEVELS = ("BACKWARD", "FORWARD", "FULL")


def proto(body: str, package: str = "t") -> str:
    return f'syntax = "proto3";\npackage {package};\n{body}\n'


BASE = "message M { string a = 1; int32 b = 2; }"
# (case, old, new, compatible under BACKWARD, FORWARD, FULL)
MATRIX = [
    ("unchanged", BASE, BASE, "yyy"),
    ("field added", BASE, "message M { string a = 1; int32 b = 2; bool c = 3; }", "yyy"),
    ("field removed", BASE, "message M { string a = 1; }", "yyy"),
    ("field renamed", BASE, "message M { string z = 1; int32 b = 2; }", "yyy"),
    ("int32 to int64", BASE, "message M { string a = 1; int64 b = 2; }", "yyy"),
    ("string to bytes", BASE, "message M { bytes a = 1; int32 b = 2; }", "yyy"),
    ("int32 to string", BASE, "message M { string a = 1; string b = 2; }", "nnn"),
    ("int32 to sint32", BASE, "message M { string a = 1; sint32 b = 2; }", "nnn"),
    ("made repeated", BASE, "message M { string a = 1; repeated int32 b = 2; }", "nnn"),
    ("message removed", BASE + " message N { int32 x = 1; }", BASE, "nyn"),
    ("message added", BASE, BASE + " message N { int32 x = 1; }", "ynn"),
    (
        "scalar to message",
        BASE,
        "message M { string a = 1; N b = 2; } message N { int32 x = 1; }",
        "nnn",
    ),
    (
        "named type changed",
        "message M { N a = 1; } message N { int32 x = 1; } message O { int32 y = 1; }",
        "message M { O a = 1; } message N { int32 x = 1; } message O { int32 y = 1; }",
        "nnn",
    ),
    (
        "moved into an existing oneof",
        "message M { string a = 1; oneof o { int32 b = 2; } }",
        "message M { oneof o { int32 b = 2; string a = 1; } }",
        "nyn",
    ),
    ("enum removed", BASE + " enum E { X = 0; }", BASE, "nyn"),
    (
        "nested enum kept",
        "message M { enum K { A = 0; } K k = 1; }",
        "message M { enum K { A = 0; B = 1; } K k = 1; }",
        "yyy",
    ),
]


@pytest.mark.parametrize(("case", "old", "new", "expected"), MATRIX, ids=[m[0] for m in MATRIX])
def test_matrix(case: str, old: str, new: str, expected: str) -> None:
    for level, verdict in zip(LEVELS, expected, strict=True):
        found = check_compatibility(level, parse_protobuf(proto(new)), [parse_protobuf(proto(old))])
        assert (not found) == (verdict == "y"), f"{case} under {level}: {found}"


def test_package_change_is_incompatible() -> None:
    found = check_compatibility(
        "BACKWARD", parse_protobuf(proto(BASE, "u")), [parse_protobuf(proto(BASE))]
    )
    assert [item.error_type for item in found][:1] == ["PACKAGE_CHANGED"]
