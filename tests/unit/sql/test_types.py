"""Data types: PySpark names, simpleString, json, DDL parsing, printSchema tree."""

from __future__ import annotations

import pytest

from kaspar.errors import ParseException
from kaspar.sql import types as T


@pytest.mark.parametrize(
    ("ddl", "expected"),
    [
        ("a int, b string", "struct<a:int,b:string>"),
        ("a: bigint, b: double", "struct<a:bigint,b:double>"),
        (
            "x decimal(10,2), y array<struct<a:int>>",
            "struct<x:decimal(10,2),y:array<struct<a:int>>>",
        ),
        ("m map<string,int>", "struct<m:map<string,int>>"),
        ("int", "int"),
        ("array<string>", "array<string>"),
        ("timestamp", "timestamp"),
        ("short", "smallint"),
        ("byte", "tinyint"),
        ("long", "bigint"),
    ],
)
def test_from_ddl(ddl: str, expected: str) -> None:
    assert T.StructType.fromDDL(ddl).simpleString() == expected


def test_bad_ddl() -> None:
    with pytest.raises(ParseException):
        T.StructType.fromDDL("a int,, b")


def test_struct_api() -> None:
    schema = T.StructType().add("a", T.IntegerType()).add("b", "string", False)
    assert schema.names == ["a", "b"]
    assert schema["b"].nullable is False
    assert schema == T.StructType(
        [T.StructField("a", T.IntegerType()), T.StructField("b", T.StringType(), False)]
    )
    assert repr(schema) == (
        "StructType([StructField('a', IntegerType(), True), StructField('b', StringType(), False)])"
    )
    assert schema.json() == (
        '{"fields":[{"metadata":{},"name":"a","nullable":true,"type":"integer"},'
        '{"metadata":{},"name":"b","nullable":false,"type":"string"}],"type":"struct"}'
    )


def test_tree_string() -> None:
    schema = T.StructType.fromDDL("a int, arr array<int>, m map<string,double>, s struct<x:string>")
    assert isinstance(schema, T.StructType)
    assert schema.treeString() == (
        "root\n"
        " |-- a: integer (nullable = true)\n"
        " |-- arr: array (nullable = true)\n"
        " |    |-- element: integer (containsNull = true)\n"
        " |-- m: map (nullable = true)\n"
        " |    |-- key: string\n"
        " |    |-- value: double (valueContainsNull = true)\n"
        " |-- s: struct (nullable = true)\n"
        " |    |-- x: string (nullable = true)\n"
    )
