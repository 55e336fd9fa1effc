"""Scalar functions and literals as ksqlDB documents them, evaluated by the engine through a
pull query over one inserted row (one request for them all)."""

from __future__ import annotations

import json

from tests.integration.ksql.conftest import Ksql, create_stream

CASES = [
    ("UCASE(s)", " HELLO.WORLD "),
    ("LCASE(s)", " hello.world "),
    ("LEN(s)", 13),
    ("SUBSTRING(s, 2, 5)", "Hello"),
    ("TRIM(s)", "Hello.World"),
    ("REPLACE(s, '.', '-')", " Hello-World "),
    ("CONCAT(id, '-', TRIM(s))", "k-Hello.World"),
    ("IFNULL(n, 9)", 9),
    ("COALESCE(n, 8)", 8),
    ("ABS(d)", 2.5),
    ("ROUND(d, 1)", -2.5),
    ("CAST(d AS INT)", -2),
    ("CASE WHEN d < 0 THEN 'neg' ELSE 'pos' END", "neg"),
    ("ARRAY_LENGTH(a)", 3),
    ("a[1]", 10),
    ("a[-1]", 30),
    ("m['b']", 2),
    ("ARRAY_CONTAINS(a, 20)", True),
    ("st->x", "in"),
    ("TIMESTAMPTOSTRING(ROWTIME, 'yyyy-MM-dd HH:mm:ss')", "1970-01-02 00:00:00"),
    ("TIMESTAMPTOSTRING(ROWTIME, 'HH:mm', 'Europe/Paris')", "01:00"),
    ("STRINGTOTIMESTAMP('1970-01-02 00:00:01', 'yyyy-MM-dd HH:mm:ss')", 86_401_000),
    ("DATETOSTRING(1, 'yyyy-MM-dd')", "1970-01-02"),
    ("STRINGTODATE('1970-01-03', 'yyyy-MM-dd')", 2),
    ("FORMAT_TIMESTAMP(FROM_UNIXTIME(ROWTIME), 'yyyy-MM-dd')", "1970-01-02"),
    ("EXTRACTJSONFIELD(j, '$.x.y')", "3"),
    ("SPLIT(TRIM(s), '.')", ["Hello", "World"]),
    ("REGEXP_EXTRACT('a1b22', '[0-9]+')", "1"),
    ("REGEXP_EXTRACT('a1b22', 'b([0-9]+)', 1)", "22"),
    ("INSTR(s, 'World')", 8),
    ("LPAD(id, 3, '*')", "**k"),
    ("INITCAP('hello world')", "Hello World"),
    ("GREATEST(1, 5, 3)", 5),
    ("ARRAY[1, 2]", [1, 2]),
    ("MAP('k' := 1)", {"k": 1}),
]


def test_scalar_functions(ksql: Ksql, name: str) -> None:
    create_stream(
        ksql,
        name,
        "id STRING KEY, s STRING, d DOUBLE, n INT, j STRING, a ARRAY<INT>, "
        "m MAP<STRING, INT>, st STRUCT<x STRING>",
    )
    ksql.run(
        f"INSERT INTO {name} (id, s, d, n, j, a, m, st, ROWTIME) VALUES ('k', ' Hello.World ', "
        "-2.5, NULL, '{\"x\":{\"y\":3}}', ARRAY[10, 20, 30], MAP('a' := 1, 'b' := 2), "
        "STRUCT(x := 'in'), 86400000);"
    )
    projection = ", ".join(f"{expression} AS c{i}" for i, (expression, _) in enumerate(CASES))
    response = ksql.http.post("/query-stream", json={"sql": f"SELECT {projection} FROM {name};"})
    assert response.status_code == 200, response.text
    _, row = [json.loads(line) for line in response.text.splitlines()]
    assert dict(zip([e for e, _ in CASES], row, strict=True)) == dict(CASES)


def test_a_bad_value_is_a_statement_error(ksql: Ksql, name: str) -> None:
    create_stream(ksql, name, "id STRING KEY, n INT")
    status, error = ksql.fail(f"INSERT INTO {name} (id, n) VALUES ('k', nope);")
    assert (status, error["@type"], error["error_code"]) == (400, "statement_error", 40001)
    assert error["message"] == "Column 'NOPE' cannot be resolved."
