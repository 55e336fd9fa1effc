"""Scalar functions and literals as ksqlDB documents them, evaluated by the engine through a
pull query over one inserted row (one request for them all); aggregate functions in a CTAS
whose changelog is read back; SHOW FUNCTIONS and DESCRIBE FUNCTION over the REST API."""

from __future__ import annotations

import json
import math
import time

from tests.integration.ksql.conftest import WAIT_S, Ksql, create_stream

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
    ("REGEXP_EXTRACT('[0-9]+', 'a1b22')", "1"),  # ksqlDB's order: the pattern first
    ("REGEXP_EXTRACT('b([0-9]+)', 'a1b22', 1)", "22"),
    ("MASK_LEFT(TRIM(s), 3)", "Xxxlo.World"),
    ("TRANSFORM(a, x => x + 1)", [11, 21, 31]),
    ("REDUCE(a, 0, (acc, x) => acc + x)", 60),
    ("TO_JSON_STRING(m)", '{"a":1,"b":2}'),
    ("SPLIT_TO_MAP('k=v;x=y', ';', '=')", {"k": "v", "x": "y"}),
    ("TIMESTAMPADD(SECONDS, 5, FROM_UNIXTIME(ROWTIME))", "1970-01-02T00:00:05.000"),
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


def test_aggregate_functions_in_a_persistent_query(ksql: Ksql, name: str) -> None:
    topic = create_stream(ksql, name, "id STRING KEY, x DOUBLE, y DOUBLE, s STRING")
    ksql.produce(topic, [
        ("k", {"X": 1.0, "Y": 2.0, "S": "a"}, 1_000),
        ("k", {"X": 2.0, "Y": 4.0, "S": None}, 2_000),
        ("k", {"X": 3.0, "Y": 6.0, "S": "c"}, 3_000),
        ("k", {"X": 4.0, "Y": 8.0, "S": "d"}, 4_000),
    ])  # fmt: skip
    ksql.run(
        f"CREATE TABLE {name}_AGG AS SELECT id, STDDEV_SAMP(x) AS sd, STDDEV_POP(x) AS sdp, "
        "CORRELATION(x, y) AS r, EARLIEST_BY_OFFSET(s, 2) AS first2, "
        "LATEST_BY_OFFSET(s, 2) AS last2, LATEST_BY_OFFSET(s, 3, false) AS last3, "
        "EARLIEST_BY_OFFSET(s) AS first, COUNT_DISTINCT(s) AS kinds "
        f"FROM {name} GROUP BY id;",
        **{"auto.offset.reset": "earliest"},
    )
    deadline = time.monotonic() + WAIT_S
    while True:  # the last change of the row: all four records aggregated
        response = ksql.http.post("/query-stream", json={"sql": f"SELECT * FROM {name}_AGG;"})
        header, *rows = [json.loads(line) for line in response.text.splitlines()]
        got = dict(zip(header["columnNames"], rows[0], strict=True)) if rows else {}
        if got.get("LAST2") == ["c", "d"]:
            break
        assert time.monotonic() < deadline, rows
        time.sleep(0.2)
    assert round(got["SD"], 6) == round(math.sqrt(5 / 3), 6)
    assert round(got["SDP"], 6) == round(math.sqrt(5 / 4), 6)
    assert round(got["R"], 6) == 1.0
    assert (got["FIRST2"], got["LAST2"], got["LAST3"]) == (["a", "c"], ["c", "d"], [None, "c", "d"])
    assert (got["FIRST"], got["KINDS"]) == ("a", 3)
    ksql.run("TERMINATE ALL;")


def test_show_and_describe_functions(ksql: Ksql) -> None:
    (listed,) = ksql.run("SHOW FUNCTIONS;")
    assert listed["@type"] == "function_names"
    names = {f["name"]: (f["category"], f["type"]) for f in listed["functions"]}
    assert names["CONCAT_WS"] == ("STRING", "SCALAR")
    assert names["CORRELATION"] == ("AGGREGATE", "AGGREGATE")
    (described,) = ksql.run("DESCRIBE FUNCTION split_to_map;")
    assert (described["@type"], described["name"]) == ("describe_function", "SPLIT_TO_MAP")
    assert described["functions"][0]["argumentTypes"] == ["VARCHAR", "VARCHAR", "VARCHAR"]
    assert described["functions"][0]["returnType"] == "MAP<VARCHAR, VARCHAR>"
    status, error = ksql.fail("DESCRIBE FUNCTION nope;")
    assert (status, error["message"]) == (400, "Can't find any functions with the name 'NOPE'")
