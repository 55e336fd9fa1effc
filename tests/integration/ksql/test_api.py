"""The REST API's other endpoints and statements: push queries (/query chunked, /query-stream
delimited and JSON, /close-query), /inserts-stream, PRINT, SHOW, DESCRIBE, DROP, TERMINATE,
/info, /healthcheck, /status; and ksqlDB's error bodies naming the problem and position."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import httpx
from confluent_kafka import Producer

from tests.integration.ksql.conftest import Ksql, create_stream

EARLIEST = {"auto.offset.reset": "earliest"}


def create_orders(ksql: Ksql, name: str) -> str:
    return create_stream(ksql, name, "id STRING KEY, amount DOUBLE, item STRUCT<sku STRING, n INT>")


def test_push_query_over_query_stream(ksql: Ksql, http: httpx.Client, name: str) -> None:
    topic = create_orders(ksql, name)
    ksql.produce(topic, [
        ("o1", {"AMOUNT": 5.5, "ITEM": {"SKU": "a", "N": 1}}, 1_000),
        ("o2", {"AMOUNT": 20.0, "ITEM": {"SKU": "b", "N": 3}}, 2_000),
        ("o3", {"AMOUNT": 30.0, "ITEM": {"SKU": "c", "N": 2}}, 3_000),
    ])  # fmt: skip
    sql = (
        f"SELECT id, item->sku AS sku, amount * item->n AS total FROM {name} "
        "WHERE amount > 10 EMIT CHANGES LIMIT 2;"
    )
    body = {"sql": sql, "properties": EARLIEST}
    with http.stream("POST", "/query-stream", json=body) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/vnd.ksqlapi.delimited")
        lines = [json.loads(line) for line in response.iter_lines() if line]
    header, *rows = lines
    assert header["queryId"].startswith("transient_")
    assert header["columnNames"] == ["ID", "SKU", "TOTAL"]
    assert header["columnTypes"] == ["STRING", "STRING", "DOUBLE"]
    assert rows == [["o2", "b", 60.0], ["o3", "c", 60.0]]


def test_push_query_over_query_chunked(ksql: Ksql, http: httpx.Client, name: str) -> None:
    topic = create_orders(ksql, name)
    ksql.produce(topic, [("o1", {"AMOUNT": 1.0}, 1_000), ("o2", {"AMOUNT": 2.0}, 2_000)])
    body = {"ksql": f"SELECT id, amount FROM {name} EMIT CHANGES LIMIT 2;",
            "streamsProperties": EARLIEST}  # fmt: skip
    response = http.post("/query", json=body)
    assert response.status_code == 200
    assert json.loads(response.text) == [
        {"header": {"queryId": json.loads(response.text)[0]["header"]["queryId"],
                    "schema": "`ID` STRING KEY, `AMOUNT` DOUBLE"}},
        {"row": {"columns": ["o1", 1.0]}},
        {"row": {"columns": ["o2", 2.0]}},
        {"finalMessage": "Limit Reached"},
    ]  # fmt: skip


def test_close_query_ends_a_push_query(ksql: Ksql, http: httpx.Client, name: str) -> None:
    create_orders(ksql, name)
    body = {"sql": f"SELECT * FROM {name} EMIT CHANGES;", "properties": {}}
    with http.stream("POST", "/query-stream", json=body) as response:
        lines = response.iter_lines()
        header = json.loads(next(lines))
        closed = httpx.post(f"{http.base_url}/close-query", json={"queryId": header["queryId"]})
        assert closed.status_code == 200
        assert [line for line in lines if line] == []  # the response ends


def test_inserts_stream_then_pull_scan(ksql: Ksql, http: httpx.Client, name: str) -> None:
    create_orders(ksql, name)
    lines = [{"target": name}, {"id": "x1", "amount": 1.5}, {"ID": "x2", "AMOUNT": 2.5}]
    body = "".join(json.dumps(line) + "\n" for line in lines)
    response = http.post("/inserts-stream", content=body)
    assert response.status_code == 200
    acks = [json.loads(line) for line in response.text.splitlines()]
    assert acks == [{"status": "ok", "seq": 0}, {"status": "ok", "seq": 1}]
    scan = http.post("/query-stream", json={"sql": f"SELECT id, amount FROM {name};"},
                     headers={"Accept": "application/json"})  # fmt: skip
    assert scan.json() == [
        {"columnNames": ["ID", "AMOUNT"], "columnTypes": ["STRING", "DOUBLE"]},
        ["x1", 1.5],
        ["x2", 2.5],
    ]


def test_print_topic_from_beginning(ksql: Ksql, http: httpx.Client, name: str) -> None:
    topic = create_orders(ksql, name)
    ksql.produce(topic, [("o1", {"AMOUNT": 1.0}, 1_000), ("o2", {"AMOUNT": 2.0}, 2_000)])
    body = {"ksql": f"PRINT '{topic}' FROM BEGINNING LIMIT 2;"}
    response = http.post("/query", json=body)
    lines = [line for line in response.text.splitlines() if line.startswith("rowtime")]
    assert lines == [
        'rowtime: 1970/01/01 00:00:01.000 Z, key: o1, value: {"AMOUNT": 1.0}, partition: 0',
        'rowtime: 1970/01/01 00:00:02.000 Z, key: o2, value: {"AMOUNT": 2.0}, partition: 0',
    ]


def test_show_describe_drop(ksql: Ksql, name: str) -> None:
    topic = create_orders(ksql, name)
    streams = ksql.run("SHOW STREAMS;")[0]
    assert streams["@type"] == "streams"
    assert {"type": "STREAM", "name": name, "topic": topic, "keyFormat": "KAFKA",
            "valueFormat": "JSON", "isWindowed": False} in streams["streams"]  # fmt: skip
    assert topic in [t["name"] for t in ksql.run("SHOW TOPICS;")[0]["topics"]]
    described = ksql.run(f"DESCRIBE {name} EXTENDED;")[0]["sourceDescription"]
    assert [f["name"] for f in described["fields"]] == ["ID", "AMOUNT", "ITEM"]
    assert described["extended"] is True
    ksql.run(f"CREATE STREAM {name}_COPY AS SELECT * FROM {name};")
    status, error = ksql.fail(f"DROP STREAM {name};")
    assert status == 400
    assert error["@type"] == "statement_error"
    assert error["message"].startswith(f"Cannot drop {name}.")
    query_id = next(q["id"] for q in ksql.run("SHOW QUERIES;")[0]["queries"]
                    if q["sinks"] == [f"{name}_COPY"])  # fmt: skip
    explained = ksql.run(f"EXPLAIN {query_id}; EXPLAIN SELECT id, amount * 2 AS a2 FROM {name};")
    running, planned = (e["queryDescription"] for e in explained)
    assert (running["id"], running["sinks"]) == (query_id, [f"{name}_COPY"])
    assert [f["name"] for f in planned["fields"]] == ["ID", "A2"]
    assert (planned["sources"], planned["queryType"]) == ([name], "PUSH")
    assert ksql.run(f"TERMINATE {query_id};")[0]["commandStatus"]["message"] == "Query terminated."
    dropped = ksql.run(f"DROP STREAM {name}_COPY DELETE TOPIC; DROP STREAM {name};")
    assert (
        dropped[1]["commandStatus"]["message"] == f"Source `{name}` (topic: {topic}) was dropped."
    )
    assert name not in [s["name"] for s in ksql.run("SHOW STREAMS;")[0]["streams"]]
    command_id = dropped[1]["commandId"]
    assert ksql.http.get(f"/status/{command_id}").json()["status"] == "SUCCESS"


def test_bad_statements_are_ksqldb_errors(ksql: Ksql, name: str) -> None:
    create_orders(ksql, name)
    status, error = ksql.fail(f"SELECT * FROM {name}\n  WHERE amount >> EMIT CHANGES;")
    assert status == 400
    assert error["@type"] == "statement_error"
    assert error["error_code"] == 40001
    assert error["message"].startswith("line 2:")
    text = f"CREATE STREAM {name}_X AS SELECT nope FROM {name};"
    status, error = ksql.fail(text)
    assert (status, error["error_code"]) == (400, 40001)
    column = text.index("nope") + 1
    assert error["message"] == f"Line: 1, Col: {column}: column 'NOPE' cannot be resolved."
    assert error["statementText"] == text
    status, error = ksql.fail(f"SELECT * FROM {name} EMIT CHANGES;")
    assert (status, error["error_code"]) == (400, 40002)
    status, error = ksql.fail(
        "CREATE STREAM s (a INT) WITH (kafka_topic='no-such-topic', value_format='JSON');"
    )
    assert error["message"].startswith("Topic 'no-such-topic' does not exist.")
    status, error = ksql.fail(f"CREATE STREAM {name}_NOKEY AS SELECT amount FROM {name};")
    assert error["message"].startswith(
        "Key missing from projection (ie, SELECT). The query used to build "
        f"`{name}_NOKEY` must include the key columns ID"
    )
    ksql.run(
        f"CREATE SOURCE STREAM {name}_RO (id STRING KEY, n INT) WITH "
        f"(kafka_topic='{name.lower()}-input', value_format='JSON');"
    )
    status, error = ksql.fail(f"INSERT INTO {name}_RO (id, n) VALUES ('a', 1);")
    assert error["message"] == f"Cannot insert into read-only stream: {name}_RO"
    status, error = ksql.fail("DESCRIBE NO_SUCH_STREAM;")
    assert error["message"] == "NO_SUCH_STREAM does not exist."


def test_info_healthcheck(http: httpx.Client) -> None:
    info = http.get("/info").json()["KsqlServerInfo"]
    assert info["serverStatus"] == "RUNNING"
    assert info["ksqlServiceId"].startswith("test_")
    assert http.get("/healthcheck").json()["isHealthy"] is True
    missing = http.get("/status/stream/NOPE/create")
    assert missing.status_code == 404
    assert missing.json()["@type"] == "generic_error"


def test_a_client_going_away_stops_its_push_query(
    ksql: Ksql, http: httpx.Client, ksql_server: Any, name: str
) -> None:
    create_orders(ksql, name)
    body = {"sql": f"SELECT * FROM {name} EMIT CHANGES;", "properties": {}}
    with httpx.Client(base_url=ksql_server.url, timeout=10) as client:
        with client.stream("POST", "/query-stream", json=body) as response:
            query_id = json.loads(next(response.iter_lines()))["queryId"]
            shown = ksql.run("SHOW QUERIES;")[0]["queries"]
            assert {"id": query_id, "queryType": "PUSH", "state": "RUNNING"}.items() <= next(
                q for q in shown if q["id"] == query_id
            ).items()
    deadline = time.monotonic() + 10
    while query_id in ksql_server.engine.push_queries and time.monotonic() < deadline:
        time.sleep(0.05)
    assert query_id not in ksql_server.engine.push_queries


def test_header_columns(ksql: Ksql, http: httpx.Client, name: str) -> None:
    topic = f"{name.lower()}-headers"
    ksql.run(
        f"CREATE STREAM {name} (id STRING KEY, n INT, hs ARRAY<STRUCT<key STRING, value BYTES>> "
        f"HEADERS, trace BYTES HEADER('trace')) WITH (kafka_topic='{topic}', "
        "value_format='JSON', partitions=1);"
    )
    producer = Producer({"bootstrap.servers": ksql.servers})
    headers = [("trace", b"t1"), ("other", b"x"), ("trace", b"t2")]
    producer.produce(topic, b'{"N": 1}', b"a", headers=headers, timestamp=1_000)
    producer.produce(topic, b'{"N": 2}', b"b", timestamp=2_000)
    assert producer.flush(10) == 0
    scan = http.post("/query-stream", json={"sql": f"SELECT * FROM {name};"})
    header, *rows = [json.loads(line) for line in scan.text.splitlines()]
    assert header["columnNames"] == ["ID", "N", "HS", "TRACE"]
    b64 = {v: base64.b64encode(v).decode() for v in (b"t1", b"x", b"t2")}
    assert rows == [
        ["a", 1, [{"KEY": "trace", "VALUE": b64[b"t1"]}, {"KEY": "other", "VALUE": b64[b"x"]},
                  {"KEY": "trace", "VALUE": b64[b"t2"]}], b64[b"t2"]],
        ["b", 2, None, None],
    ]  # fmt: skip
    described = ksql.run(f"DESCRIBE {name};")[0]["sourceDescription"]
    assert "HEADER('trace')" in described["statement"]
