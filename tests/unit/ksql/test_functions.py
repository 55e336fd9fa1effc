"""ksqlDB's scalar functions with the examples of ksqlDB's function reference: each expression
parsed as ksqlDB parses it, rewritten and evaluated by the engine over a one-row table (a
batch, as persistent and pull queries run them); SHOW FUNCTIONS / DESCRIBE FUNCTION."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

import pytest

from kaspar.ksql import statements as st
from kaspar.ksql.errors import KsqlError
from kaspar.ksql.expressions import rewrite
from kaspar.ksql.functions import FUNCTIONS, describe_function, function_list
from kaspar.ksql.parser import parse
from kaspar.sql import DataFrame, Row, SparkSession
from kaspar.sql.column import Column

ROW = [("S", "STRING"), ("N", "INT"), ("D", "DOUBLE"), ("TS", "TIMESTAMP"), ("DT", "DATE"),
       ("E", "STRING"), ("M", "MAP<STRING, INT>")]  # fmt: skip


@pytest.fixture(scope="module")
def row() -> Iterator[DataFrame]:
    spark = SparkSession({"spark.sql.session.timeZone": "UTC"})
    schema = ", ".join(f"`{name}` {kind}" for name, kind in ROW)
    values = ("My Test $123", None, -2.5, dt.datetime(2021, 6, 30, 12, 18, 39, 446000),
              dt.date(2021, 10, 11), "", {"apple": 10, "banana": 20})  # fmt: skip
    yield spark.createDataFrame([values], schema)


def evaluate(row: DataFrame, *expressions: str) -> list[Any]:
    projection = ", ".join(f"{e} AS c{i}" for i, e in enumerate(expressions))
    (statement,) = parse(f"SELECT {projection} FROM t;")
    assert isinstance(statement, st.Select)
    columns = [Column(rewrite(e)) for e in statement.query.select.expressions]
    return list(row.select(*columns).collect()[0])


# ksqlDB's documented examples (scalar-functions.md), as (expression, value)
DOCUMENTED = [
    ("ARRAY_CONCAT(ARRAY[1, 2, 3, 1, 2], ARRAY[4, 1])", [1, 2, 3, 1, 2, 4, 1]),
    ("ARRAY_DISTINCT(ARRAY['apple', 'apple', NULL, 'cherry'])", ["apple", None, "cherry"]),
    ("ARRAY_EXCEPT(ARRAY[1, 2, 3, 1, 2], ARRAY[2, 3])", [1]),
    ("ARRAY_INTERSECT(ARRAY[1, 2, 3, 1, 2], ARRAY[2, 1])", [1, 2]),
    ("ARRAY_UNION(ARRAY[1, 2, 3, 1, 2], ARRAY[4, 1])", [1, 2, 3, 4]),
    ("ARRAY_MAX(ARRAY['Foo', 'Bar', NULL, 'baz'])", "baz"),
    ("ARRAY_MIN(ARRAY[-1, 2, NULL, 0])", -1),
    ("ARRAY_REMOVE(ARRAY[1, 2, 3, 2, 1], 2)", [1, 3, 1]),
    ("ARRAY_REMOVE(ARRAY[false, NULL, true, true], false)", [None, True, True]),
    ("ARRAY_SORT(ARRAY['Foo', 'Bar', NULL, 'baz'])", ["Bar", "Foo", "baz", None]),
    ("ARRAY_SORT(ARRAY[-1, 2, NULL, 0], 'DESC')", [2, 0, -1, None]),
    ("ARRAY_JOIN(ARRAY[1, 2, 3])", "1,2,3"),
    ("ARRAY_LENGTH(ARRAY[1, 2, 3])", 3),
    ("SLICE(ARRAY[1, 2, 3, 4], 2, 3)", [2, 3]),
    ("AS_MAP(ARRAY['a', 'b'], ARRAY[1, 2])", {"a": 1, "b": 2}),
    ("MAP_KEYS(m)", ["apple", "banana"]),
    ("MAP_VALUES(m)", [10, 20]),
    ("MAP_UNION(MAP('apple' := 10, 'banana' := 20), MAP('apple' := 50))",
     {"apple": 50, "banana": 20}),
    ("ENTRIES(MAP('b' := 2, 'a' := 1), true)", [Row(K="a", V=1), Row(K="b", V=2)]),
    ("ELT(2, 'a', 'b', 'c')", "b"),
    ("ELT(4, 'a', 'b', 'c')", None),
    ("FIELD('b', 'a', 'b', 'c')", 2),
    ("FIELD('z', 'a', 'b')", 0),
    ("JSON_ARRAY_CONTAINS('[1, 2, 3]', 3)", True),
    ("JSON_ARRAY_CONTAINS('{}', 3)", False),
    ("GENERATE_SERIES(1, 4)", [1, 2, 3, 4]),
    ("GENERATE_SERIES(4, 1)", [4, 3, 2, 1]),
    ("GENERATE_SERIES(0, 10, 5)", [0, 5, 10]),
    ("TRANSFORM(ARRAY[1, 2, 3], x => x * 2)", [2, 4, 6]),
    ("FILTER(ARRAY[1, 2, 3, 4], x => x % 2 = 0)", [2, 4]),
    ("REDUCE(ARRAY[1, 2, 3], 0, (s, x) => s + x)", 6),
    ("TRANSFORM(MAP('a' := 1), (k, v) => UCASE(k), (k, v) => v * 10)", {"A": 10}),
    ("FILTER(MAP('a' := 1, 'b' := 2), (k, v) => v > 1)", {"b": 2}),
    ("REDUCE(MAP('a' := 1, 'b' := 2), 10, (s, k, v) => s + v)", 13),
    ("CHR(75)", "K"),
    ("CHR('\\u004b')", "K"),
    ("CHR(22909)", "好"),
    ("CHR('\\u597d')", "好"),
    ("CONCAT('a', NULL, 'b')", "ab"),
    ("CONCAT_WS(', ', 'apple', 'banana', NULL, 'date')", "apple, banana, date"),
    ("ENCODE('4b', 'hex', 'utf8')", "K"),
    ("ENCODE('hi', 'utf8', 'base64')", "aGk="),
    ("ENCODE('aGk=', 'base64', 'hex')", "6869"),
    ("FROM_BYTES(TO_BYTES('AAAH5Q==', 'base64'), 'hex')", "000007e5"),
    ("INITCAP('hello wORLD')", "Hello World"),
    ("INSTR('CORPORATE FLOOR', 'OR')", 2),
    ("INSTR('CORPORATE FLOOR', 'OR', 3)", 5),
    ("INSTR('CORPORATE FLOOR', 'OR', 3, 2)", 14),
    ("INSTR('CORPORATE FLOOR', 'OR', -3)", 5),
    ("INSTR('CORPORATE FLOOR', 'OR', -3, 2)", 2),
    ("INSTR('CORPORATE FLOOR', 'MISSING')", 0),
    ("LPAD('Foo', 7, 'Bar')", "BarBFoo"),
    ("LPAD('Foo', 2, 'Bar')", "Fo"),
    ("LPAD('', 2, 'Bar')", "Ba"),
    ("LPAD('123', 5, '0')", "00123"),
    ("LPAD('Foo', 7, '')", None),
    ("RPAD('Foo', 7, 'Bar')", "FooBarB"),
    ("RPAD('Foo', 2, 'Bar')", "Fo"),
    ("MASK(s)", "Xx-Xxxx--nnn"),
    ("MASK(s, '*', NULL, '1', NULL)", "*y *est $111"),
    ("MASK_KEEP_LEFT(s, 4)", "My Txxx--nnn"),
    ("MASK_KEEP_RIGHT(s, 4)", "Xx-Xxxx-$123"),
    ("MASK_LEFT(s, 4)", "Xx-Xest $123"),
    ("MASK_RIGHT(s, 4)", "My Test -nnn"),
    ("REGEXP_EXTRACT('(.*) (.*)', 'hello there', 2)", "there"),
    ("REGEXP_EXTRACT('[0-9]+', 'abc')", None),
    ("REGEXP_EXTRACT_ALL('(\\w+) (\\w+)', 'hello there nice day', 2)", ["there", "day"]),
    ("REGEXP_REPLACE('aaabbb', 'a+b', 'X')", "Xbb"),
    ("REGEXP_SPLIT_TO_ARRAY('a-b--c', '-+')", ["a", "b", "c"]),
    ("SPLIT('a,b,,c', ',')", ["a", "b", "", "c"]),
    ("SPLIT_TO_MAP('apple:=green/cherry:=red', '/', ':=')", {"apple": "green", "cherry": "red"}),
    ("SPLIT_TO_MAP('a=1/a=2', '/', '=')", {"a": "2"}),
    ("SUBSTRING('stream', 1, 4)", "stre"),
    ("LEN(UUID())", 36),
    ("BIGINT_FROM_BYTES(TO_BYTES('AAAAASoF8gA=', 'base64'), 'BIG_ENDIAN')", 5_000_000_000),
    ("DOUBLE_FROM_BYTES(TO_BYTES('QICm/ZvJ9YI=', 'base64'))", 532.8738323),
    ("INT_FROM_BYTES(TO_BYTES('AAAH5Q==', 'base64'))", 2021),
    ("INT_FROM_BYTES(TO_BYTES('5QcAAA==', 'base64'), 'LITTLE_ENDIAN')", 2021),
    ("INT_FROM_BYTES(TO_BYTES('/////w==', 'base64'))", -1),
    ("INT_FROM_BYTES(TO_BYTES('AAc=', 'base64'))", None),
    ("DOUBLE_FROM_BYTES(TO_BYTES('wAAAAAAAAAA=', 'base64'))", -2.0),
    ("IS_JSON_STRING('[1, 2, 3]')", True),
    ("IS_JSON_STRING('{}')", True),
    ("IS_JSON_STRING('1')", True),
    ("IS_JSON_STRING('\"abc\"')", True),
    ("IS_JSON_STRING('null')", True),
    ("IS_JSON_STRING('')", False),
    ("IS_JSON_STRING('abc')", False),
    ("IS_JSON_STRING(NULL)", False),
    ("JSON_ARRAY_LENGTH('[1, [1, [2]], 3]')", 3),
    ("JSON_ARRAY_LENGTH('[]')", 0),
    ("JSON_ARRAY_LENGTH('{}')", None),
    ("JSON_KEYS('{\"a\": \"abc\", \"b\": { \"c\": \"a\" }, \"d\": 1}')", ["a", "b", "d"]),
    ("JSON_KEYS('[]')", None),
    ("JSON_RECORDS('{\"a\": \"abc\", \"b\": { \"c\": \"a\" }, \"d\": 1}')",
     {"a": '"abc"', "b": '{"c":"a"}', "d": "1"}),
    ("JSON_RECORDS('[]')", None),
    ("JSON_CONCAT('{\"a\": 1}', '{\"b\": 2}')", '{"a":1,"b":2}'),
    ("JSON_CONCAT('{\"a\": {\"5\": 6}}', '{\"a\": {\"3\": 4}}')", '{"a":{"3":4}}'),
    ("JSON_CONCAT('[1, 2]', '[3, 4]')", "[1,2,3,4]"),
    ("JSON_CONCAT('[1, 2]', '{\"a\": 1}')", '[1,2,{"a":1}]'),
    ("JSON_CONCAT('1', '2')", "[1,2]"),
    ("JSON_CONCAT('abc', '[1]')", None),
    ("JSON_CONCAT(NULL, '[1]')", None),
    ("TO_JSON_STRING(1)", "1"),
    ("TO_JSON_STRING('abc')", '"abc"'),
    ("TO_JSON_STRING(true)", "true"),
    ("TO_JSON_STRING(NULL)", "null"),
    ("TO_JSON_STRING(dt)", '"2021-10-11"'),
    ("TO_JSON_STRING(ts)", '"2021-06-30T12:18:39.446"'),
    ("TO_JSON_STRING(ARRAY[1, 2, 3])", "[1,2,3]"),
    ("TO_JSON_STRING(STRUCT(id := 1, name := 'A'))", '{"ID":1,"NAME":"A"}'),
    ("EXTRACTJSONFIELD('{\"log\": {\"cloud\": \"gcp836Csd\"}}', '$.log.cloud')", "gcp836Csd"),
    ("ABS(d)", 2.5),
    ("ROUND(d)", -2),
    ("ROUND(2.5)", 3),
    ("ROUND(1.234567, 2)", 1.23),
    ("ROUND(-1.235, 2)", -1.23),
    ("SIGN(d)", -1),
    ("SIGN(n)", None),
    ("LN(0)", -math.inf),
    ("LOG(100)", 2.0),
    ("LOG(2, 8)", 3.0),
    ("LOG(0)", -math.inf),
    ("ROUND(CBRT(27.0), 10)", 3.0),
    ("POWER(2, 10)", 1024.0),
    ("GREATEST(1, NULL, 5, 3)", 5),
    ("LEAST(4, NULL, 2)", 2),
    ("ROUND(GEO_DISTANCE(37.4439, -122.1663, 51.5078, -0.1277), 1)", 8635.4),
    ("ROUND(GEO_DISTANCE(37.4439, -122.1663, 51.5078, -0.1277, 'MILES'), 1)", 5366.1),
    ("IFNULL(n, 9)", 9),
    ("NULLIF(1, 1)", None),
    ("CAST('TRUE' AS BOOLEAN)", True),
    ("CAST('yes' AS BOOLEAN)", False),
    ("CAST('12' AS INT) + 1", 13),
    ("FORMAT_TIMESTAMP(ts, 'yyyy-MM-dd HH:mm:ss.SSS')", "2021-06-30 12:18:39.446"),
    ("FORMAT_TIMESTAMP(ts, 'HH:mm', 'Europe/London')", "13:18"),
    ("PARSE_TIMESTAMP('2021-06-30 12:18:39.446', 'yyyy-MM-dd HH:mm:ss.SSS') = ts", True),
    ("UNIX_TIMESTAMP(PARSE_TIMESTAMP('1970-01-01 02:00', 'yyyy-MM-dd HH:mm', 'Europe/Paris'))",
     3_600_000),
    ("FORMAT_DATE(dt, 'dd/MM/yyyy')", "11/10/2021"),
    ("PARSE_DATE('2021-10-11', 'yyyy-MM-dd') = dt", True),
    ("FROM_DAYS(1)", dt.date(1970, 1, 2)),
    ("UNIX_DATE(dt)", 18_911),
    ("UNIX_TIMESTAMP(ts)", 1_625_055_519_446),
    ("FROM_UNIXTIME(1000)", dt.datetime(1970, 1, 1, 0, 0, 1)),
    ("TIMESTAMPADD(HOURS, 2, ts)", dt.datetime(2021, 6, 30, 14, 18, 39, 446000)),
    ("TIMESTAMPSUB(MILLISECONDS, 446, ts)", dt.datetime(2021, 6, 30, 12, 18, 39)),
    ("DATEADD(DAYS, 3, dt)", dt.date(2021, 10, 14)),
    ("DATESUB(HOURS, 48, dt)", dt.date(2021, 10, 9)),
    ("CONVERT_TZ(ts, 'UTC', 'America/Los_Angeles')", dt.datetime(2021, 6, 30, 5, 18, 39, 446000)),
    ("URL_DECODE_PARAM('url%20encoded')", "url encoded"),
    ("URL_ENCODE_PARAM('a&b')", "a%26b"),
    ("URL_EXTRACT_FRAGMENT('http://test.com#frag%20space')", "frag space"),
    ("URL_EXTRACT_HOST('http://test.com:8080/path')", "test.com"),
    ("URL_EXTRACT_PARAMETER('http://test.com?a=foo&b=bar', 'b')", "bar"),
    ("URL_EXTRACT_PATH('http://test.com/path/to#a')", "/path/to"),
    ("URL_EXTRACT_PORT('http://localhost:8080/path')", 8080),
    ("URL_EXTRACT_PORT('http://localhost/path')", None),
    ("URL_EXTRACT_PROTOCOL('http://test.com?a=foo&b=bar')", "http"),
    ("URL_EXTRACT_QUERY('http://test.com?a=foo%20bar&b=baz')", "a=foo bar&b=baz"),
]  # fmt: skip


CHUNK = 12  # expressions per projection (one batch each)


@pytest.mark.parametrize("start", range(0, len(DOCUMENTED), CHUNK))
def test_documented_examples(row: DataFrame, start: int) -> None:
    cases = DOCUMENTED[start : start + CHUNK]
    values = evaluate(row, *(e for e, _ in cases))
    assert dict(zip((e for e, _ in cases), values, strict=True)) == dict(cases)


def test_random_and_uuid_vary(row: DataFrame) -> None:
    first, second, a, b = evaluate(row, "RANDOM()", "RANDOM()", "UUID()", "UUID()")
    assert 0.0 <= first < 1.0 and 0.0 <= second < 1.0
    assert a != b and a[14] == "4"  # version 4


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("ENCODE('x', 'hex', 'ebcdic')", "Supported input and output encodings are"),
        ("ARRAY_SORT(ARRAY[1], 'UP')", "ARRAY_SORT's direction must be ASC or DESC"),
        ("TIMESTAMPADD(WEEKS, 1, ts)", "TIMESTAMPADD's unit must be one of"),
        ("NO_SUCH_FUNCTION(1)", "Can't find any functions with the name 'NO_SUCH_FUNCTION'"),
        ("TRANSFORM(ARRAY[1], (a, b) => a)", "TRANSFORM needs a lambda of 1 argument(s)"),
    ],
)
def test_bad_calls_are_ksqldb_errors(row: DataFrame, expression: str, message: str) -> None:
    with pytest.raises(KsqlError, match=message.replace("(", r"\(").replace(")", r"\)")):
        evaluate(row, expression)


def test_show_functions_lists_each_function_with_its_category_and_kind() -> None:
    listed = function_list("SHOW FUNCTIONS;")
    assert listed["@type"] == "function_names"
    by_name = {f["name"]: f for f in listed["functions"]}
    assert by_name["MASK"] == {"name": "MASK", "category": "STRING", "type": "SCALAR"}
    assert by_name["TOPK"] == {"name": "TOPK", "category": "AGGREGATE", "type": "AGGREGATE"}
    assert by_name["EXPLODE"]["type"] == "TABLE"
    assert len(by_name) == len(FUNCTIONS) >= 130
    assert [f["name"] for f in listed["functions"]] == sorted(by_name)


def test_describe_function_gives_each_signature() -> None:
    described = describe_function("DESCRIBE FUNCTION instr;", "instr")
    assert (described["@type"], described["name"], described["type"]) == (
        "describe_function", "INSTR", "SCALAR"
    )  # fmt: skip
    variants = described["functions"]
    assert [v["argumentTypes"] for v in variants] == [
        ["VARCHAR", "VARCHAR"], ["VARCHAR", "VARCHAR", "INT"], ["VARCHAR", "VARCHAR", "INT", "INT"]
    ]  # fmt: skip
    assert {v["returnType"] for v in variants} == {"INT"}
    entries = describe_function("DESCRIBE FUNCTION ENTRIES;", "ENTRIES")["functions"][0]
    assert entries["argumentTypes"] == ["MAP<VARCHAR, T>", "BOOLEAN"]
    concat = describe_function("DESCRIBE FUNCTION CONCAT;", "CONCAT")["functions"][0]
    assert concat["arguments"][0]["isVariadic"] is True
    with pytest.raises(KsqlError, match="Can't find any functions with the name 'NOPE'"):
        describe_function("DESCRIBE FUNCTION nope;", "nope")
