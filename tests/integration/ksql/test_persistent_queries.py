"""Persistent queries through the REST API: CSAS, CTAS (windowed and not), INSERT INTO, their
sink topics read back exactly (keys, values, timestamps, window bounds), and pull queries on
the tables they materialise."""

from __future__ import annotations

import json
import struct
import time
from typing import Any

from confluent_kafka import Producer

from tests.integration.ksql.conftest import WAIT_S, Ksql, create_stream

EARLIEST = {"auto.offset.reset": "earliest"}


def window_key(key: str, start_ms: int) -> bytes:
    """A time-windowed key as Kafka Streams writes it: key bytes, then the window start."""
    return key.encode() + struct.pack(">q", start_ms)


def pull(http: Any, sql: str) -> tuple[list[str], list[list[Any]]]:
    response = http.post("/query-stream", json={"sql": sql})
    assert response.status_code == 200, response.text
    header, *rows = [json.loads(x) for x in response.text.splitlines()]
    return header["columnNames"], sorted(rows, key=str)


def create_pageviews(ksql: Ksql, name: str) -> str:
    return create_stream(ksql, name, "user_id STRING KEY, page STRING, ms INT")


def terminate_all(ksql: Ksql) -> None:
    ksql.run("TERMINATE ALL;")


def test_csas_filter_and_projection(ksql: Ksql, name: str) -> None:
    topic = create_pageviews(ksql, name)
    ksql.produce(topic, [
        ("alice", {"PAGE": "home", "MS": 5}, 1_000),
        ("bob", {"PAGE": "cart", "MS": 50}, 2_000),
        ("carol", {"PAGE": "home", "MS": 70}, 3_000),
    ])  # fmt: skip
    result = ksql.run(
        f"CREATE STREAM {name}_SLOW AS SELECT user_id, UCASE(page) AS page, ms * 2 AS double_ms "
        f"FROM {name} WHERE ms > 10 EMIT CHANGES;",
        **EARLIEST,
    )
    status = result[0]
    assert status["@type"] == "currentStatus"
    assert status["commandStatus"]["status"] == "SUCCESS"
    assert status["commandStatus"]["queryId"].startswith(f"CSAS_{name}_SLOW_")
    assert ksql.read(f"{name}_SLOW", 2) == [
        (b"bob", {"PAGE": "CART", "DOUBLE_MS": 100}, 2_000),
        (b"carol", {"PAGE": "HOME", "DOUBLE_MS": 140}, 3_000),
    ]
    terminate_all(ksql)


def test_ctas_tumbling_window_count(ksql: Ksql, name: str) -> None:
    topic = create_pageviews(ksql, name)
    ksql.produce(topic, [
        ("alice", {"PAGE": "home", "MS": 1}, 1_000),
        ("alice", {"PAGE": "cart", "MS": 2}, 4_000),
        ("bob", {"PAGE": "home", "MS": 3}, 6_000),
        ("alice", {"PAGE": "home", "MS": 4}, 12_000),
    ])  # fmt: skip
    ksql.run(
        f"CREATE TABLE {name}_COUNTS AS SELECT user_id, COUNT(*) AS views, SUM(ms) AS total "
        f"FROM {name} WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 0 SECONDS) "
        "GROUP BY user_id EMIT CHANGES;",
        **EARLIEST,
    )
    records = ksql.read(f"{name}_COUNTS", 3)
    # one batch saw all four records: each window's row once, at its latest event time
    assert sorted(records, key=lambda r: (r[0] or b"", r[2])) == [
        (window_key("alice", 0), {"VIEWS": 2, "TOTAL": 3}, 4_000),
        (window_key("alice", 10_000), {"VIEWS": 1, "TOTAL": 4}, 12_000),
        (window_key("bob", 0), {"VIEWS": 1, "TOTAL": 3}, 6_000),
    ]
    names, rows = pull(ksql.http, f"SELECT * FROM {name}_COUNTS WHERE user_id = 'alice';")
    assert names == ["USER_ID", "WINDOWSTART", "WINDOWEND", "VIEWS", "TOTAL"]
    assert rows == [["alice", 0, 10_000, 2, 3], ["alice", 10_000, 20_000, 1, 4]]
    ksql.run(  # the same topic registered as a windowed table of its own
        f"CREATE TABLE {name}_AGAIN (user_id STRING PRIMARY KEY, views BIGINT, total BIGINT) "
        f"WITH (kafka_topic='{name}_COUNTS', value_format='JSON', window_type='TUMBLING', "
        "window_size='10 SECONDS');"
    )
    again = pull(ksql.http, f"SELECT * FROM {name}_AGAIN WHERE user_id = 'alice';")
    assert again == (names, rows)
    terminate_all(ksql)


def test_ctas_hopping_window_emit_final(ksql: Ksql, name: str) -> None:
    topic = create_pageviews(ksql, name)
    ksql.produce(topic, [
        ("alice", {"PAGE": "home", "MS": 1}, 1_000),
        ("alice", {"PAGE": "cart", "MS": 2}, 3_000),
        ("alice", {"PAGE": "home", "MS": 4}, 13_000),  # moves the watermark past 6 s
    ])  # fmt: skip
    ksql.run(
        f"CREATE TABLE {name}_HOPS AS SELECT user_id, COUNT(*) AS n FROM {name} "
        "WINDOW HOPPING (SIZE 4 SECONDS, ADVANCE BY 2 SECONDS, GRACE PERIOD 0 SECONDS) "
        "GROUP BY user_id EMIT FINAL;",
        **EARLIEST,
    )
    # closed windows only, once each; none starts before 0; [10 s, 14 s) and [12 s, 16 s) open
    assert sorted(ksql.read(f"{name}_HOPS", 2)) == [
        (window_key("alice", 0), {"N": 2}, 3_000),
        (window_key("alice", 2_000), {"N": 1}, 3_000),
    ]
    terminate_all(ksql)


def test_ctas_aggregates_and_pull_query(ksql: Ksql, name: str) -> None:
    topic = create_pageviews(ksql, name)
    ksql.produce(topic, [
        ("alice", {"PAGE": "home", "MS": 10}, 1_000),
        ("alice", {"PAGE": "cart", "MS": 30}, 2_000),
        ("bob", {"PAGE": "home", "MS": 7}, 3_000),
    ])  # fmt: skip
    ksql.run(
        f"CREATE TABLE {name}_STATS AS SELECT user_id, COUNT(*) AS n, MIN(ms) AS lo, "
        "MAX(ms) AS hi, AVG(ms) AS mean, LATEST_BY_OFFSET(page) AS last_page, "
        f"COLLECT_LIST(page) AS pages FROM {name} GROUP BY user_id EMIT CHANGES;",
        **EARLIEST,
    )
    records = sorted(ksql.read(f"{name}_STATS", 2), key=str)
    assert records == [
        (b"alice", {"N": 2, "LO": 10, "HI": 30, "MEAN": 20.0, "LAST_PAGE": "cart",
                    "PAGES": ["home", "cart"]}, 2_000),
        (b"bob", {"N": 1, "LO": 7, "HI": 7, "MEAN": 7.0, "LAST_PAGE": "home",
                  "PAGES": ["home"]}, 3_000),
    ]  # fmt: skip
    names, rows = pull(ksql.http, f"SELECT user_id, n, last_page FROM {name}_STATS;")
    assert names == ["USER_ID", "N", "LAST_PAGE"]
    assert rows == [["alice", 2, "cart"], ["bob", 1, "home"]]
    described = ksql.run(f"DESCRIBE {name}_STATS;")[0]["sourceDescription"]
    assert described["type"] == "TABLE"
    assert described["fields"][0] == {
        "name": "USER_ID", "schema": {"type": "STRING", "fields": None, "memberSchema": None},
        "type": "KEY",
    }  # fmt: skip
    assert described["writeQueries"][0]["id"].startswith(f"CTAS_{name}_STATS_")
    terminate_all(ksql)


def test_insert_values_and_insert_into_select(ksql: Ksql, name: str) -> None:
    create_pageviews(ksql, name)
    ksql.run(
        f"CREATE STREAM {name}_ALL (user_id STRING KEY, page STRING, ms INT) WITH "
        f"(kafka_topic='{name.lower()}-all', value_format='DELIMITED', partitions=1);"
    )
    ksql.run(f"INSERT INTO {name}_ALL SELECT * FROM {name} EMIT CHANGES;", **EARLIEST)
    ksql.run(
        f"INSERT INTO {name} (user_id, page, ms, ROWTIME) VALUES ('dan', 'it''s', 42, 5000);"
        f"INSERT INTO {name} (user_id, page) VALUES ('eve', 'home');"
    )
    dan, eve = ksql.read(f"{name.lower()}-all", 2)
    assert dan == (b"dan", b"it's,42", 5_000)
    assert eve[:2] == (b"eve", b"home,")  # no ROWTIME given: the time of the insert
    terminate_all(ksql)


def test_stream_table_join(ksql: Ksql, name: str) -> None:
    """Each order meets the customers table as it is when the order is processed."""
    customers = create_stream(ksql, f"{name}_C_IN", "id STRING KEY, name STRING")
    ksql.run(
        f"CREATE TABLE {name}_CUSTOMERS (id STRING PRIMARY KEY, name STRING) WITH "
        f"(kafka_topic='{customers}', value_format='JSON');"
    )
    orders = create_stream(ksql, f"{name}_ORDERS", "order_id STRING KEY, customer STRING, n INT")
    ksql.produce(customers, [("c1", {"NAME": "Ann"}, 1_000), ("c1", {"NAME": "Anna"}, 2_000)])
    ksql.produce(orders, [
        ("o1", {"CUSTOMER": "c1", "N": 2}, 3_000),
        ("o2", {"CUSTOMER": "c9", "N": 5}, 4_000),
    ])  # fmt: skip
    ksql.run(
        f"CREATE STREAM {name}_ENRICHED AS SELECT o.customer, o.order_id, c.name AS customer_name, "
        "o.n "
        f"FROM {name}_ORDERS o LEFT JOIN {name}_CUSTOMERS c ON o.customer = c.id EMIT CHANGES;",
        **EARLIEST,
    )
    # keyed by the join expression, as ksqlDB keys a stream-table join
    assert sorted(ksql.read(f"{name}_ENRICHED", 2)) == [
        (b"c1", {"ORDER_ID": "o1", "CUSTOMER_NAME": "Anna", "N": 2}, 3_000),
        (b"c9", {"ORDER_ID": "o2", "CUSTOMER_NAME": None, "N": 5}, 4_000),
    ]
    reads = ksql.run(f"DESCRIBE {name}_CUSTOMERS;")[0]["sourceDescription"]["readQueries"]
    assert [q["sinks"] for q in reads] == [[f"{name}_ENRICHED"]]
    terminate_all(ksql)


def test_partition_by_and_timestamp_column(ksql: Ksql, name: str) -> None:
    """PARTITION BY re-keys the stream; WITH (TIMESTAMP=...) takes ROWTIME from a column."""
    topic = f"{name.lower()}-events"
    ksql.run(
        f"CREATE STREAM {name} (id STRING KEY, page STRING, at BIGINT) WITH (kafka_topic="
        f"'{topic}', value_format='JSON', partitions=1, timestamp='at');"
    )
    ksql.produce(topic, [("u1", {"PAGE": "home", "AT": 7_000}, 1_000)])
    ksql.run(
        f"CREATE STREAM {name}_BY_PAGE AS SELECT page, id FROM {name} PARTITION BY page;",
        **EARLIEST,
    )
    assert ksql.read(f"{name}_BY_PAGE", 1) == [(b"home", {"ID": "u1"}, 7_000)]
    terminate_all(ksql)


def test_kafka_int_keys_and_delimited_values(ksql: Ksql, name: str) -> None:
    topic = f"{name.lower()}-ints"
    ksql.run(
        f"CREATE STREAM {name} (id INT KEY, label STRING, score DOUBLE) WITH (kafka_topic="
        f"'{topic}', value_format='DELIMITED', partitions=1);"
        f"INSERT INTO {name} (id, label, score, ROWTIME) VALUES (7, 'seven', 0.5, 1000);"
        f"INSERT INTO {name} (id, label, score, ROWTIME) VALUES (-1, NULL, 2, 2000);"
    )
    assert ksql.read(topic, 2) == [
        (struct.pack(">i", 7), b"seven,0.5", 1_000),
        (struct.pack(">i", -1), b",2.0", 2_000),
    ]
    response = ksql.http.post("/query-stream", json={"sql": f"SELECT * FROM {name};"})
    header, *rows = [json.loads(x) for x in response.text.splitlines()]
    assert header["columnTypes"] == ["INTEGER", "STRING", "DOUBLE"]
    assert rows == [[7, "seven", 0.5], [-1, None, 2.0]]


def test_table_tombstones(ksql: Ksql, name: str) -> None:
    """A null value deletes the table's row: pull queries lose it, a CTAS passes it on."""
    topic = f"{name.lower()}-users"
    ksql.run(
        f"CREATE TABLE {name} (id STRING PRIMARY KEY, city STRING) WITH (kafka_topic='{topic}', "
        "value_format='JSON', partitions=1);"
    )
    ksql.produce(topic, [
        ("u1", {"CITY": "Oslo"}, 1_000),
        ("u2", {"CITY": "Rome"}, 2_000),
        ("u1", None, 3_000),
    ])  # fmt: skip
    ksql.run(f"CREATE TABLE {name}_UP AS SELECT id, UCASE(city) AS city FROM {name};", **EARLIEST)
    assert ksql.read(f"{name}_UP", 3) == [
        (b"u1", {"CITY": "OSLO"}, 1_000),
        (b"u2", {"CITY": "ROME"}, 2_000),
        (b"u1", None, 3_000),
    ]
    names, rows = pull(ksql.http, f"SELECT * FROM {name}_UP;")
    assert (names, rows) == (["ID", "CITY"], [["u2", "ROME"]])
    # an aggregation over the table counts the rows it holds: u1 was deleted
    # (test_table_changelogs.py follows a table aggregation change by change)
    ksql.run(
        f"CREATE TABLE {name}_N AS SELECT city, COUNT(*) AS n FROM {name} GROUP BY city;",
        **EARLIEST,
    )
    deadline = time.monotonic() + WAIT_S
    while pull(ksql.http, f"SELECT * FROM {name}_N;")[1] != [["Rome", 1]]:
        assert time.monotonic() < deadline, pull(ksql.http, f"SELECT * FROM {name}_N;")
        time.sleep(0.2)
    terminate_all(ksql)


def test_collection_aggregates_in_a_push_query(ksql: Ksql, name: str) -> None:
    topic = create_pageviews(ksql, name)
    ksql.produce(topic, [
        ("alice", {"PAGE": "home", "MS": 10}, 1_000),
        ("alice", {"PAGE": "cart", "MS": 30}, 2_000),
        ("alice", {"PAGE": "home", "MS": 20}, 3_000),
        ("bob", {"PAGE": "home", "MS": 7}, 4_000),
    ])  # fmt: skip
    sql = (
        "SELECT user_id, TOPK(ms, 2) AS top, TOPKDISTINCT(page, 5) AS pages, "
        "COUNT_DISTINCT(page) AS kinds, HISTOGRAM(page) AS seen "
        f"FROM {name} GROUP BY user_id EMIT CHANGES LIMIT 2;"
    )
    body = {"sql": sql, "properties": EARLIEST}
    with ksql.http.stream("POST", "/query-stream", json=body) as response:
        header, *rows = [json.loads(line) for line in response.iter_lines() if line]
    assert header["columnTypes"] == [
        "STRING", "ARRAY<INTEGER>", "ARRAY<STRING>", "BIGINT", "MAP<STRING, BIGINT>"
    ]  # fmt: skip
    assert sorted(rows) == [
        ["alice", [30, 20], ["home", "cart"], 2, {"home": 2, "cart": 1}],
        ["bob", [7], ["home"], 1, {"home": 1}],
    ]


def test_grace_period_drops_late_records(ksql: Ksql, name: str) -> None:
    topic = create_pageviews(ksql, name)
    ksql.produce(topic, [
        ("alice", {"PAGE": "home", "MS": 1}, 1_000),
        ("alice", {"PAGE": "home", "MS": 1}, 12_000),  # stream time 12 s: [0, 10 s) closed at 11
    ])  # fmt: skip
    ksql.run(
        f"CREATE TABLE {name}_W AS SELECT user_id, COUNT(*) AS n FROM {name} "
        "WINDOW TUMBLING (SIZE 10 SECONDS, GRACE PERIOD 1 SECOND) GROUP BY user_id;",
        **EARLIEST,
    )
    assert len(ksql.read(f"{name}_W", 2)) == 2
    ksql.produce(topic, [
        ("alice", {"PAGE": "late", "MS": 1}, 2_000),  # its window closed: dropped
        ("alice", {"PAGE": "cart", "MS": 1}, 13_000),
    ])  # fmt: skip
    assert sorted(ksql.read(f"{name}_W", 3), key=lambda r: r[2]) == [
        (window_key("alice", 0), {"N": 1}, 1_000),
        (window_key("alice", 10_000), {"N": 1}, 12_000),
        (window_key("alice", 10_000), {"N": 2}, 13_000),
    ]
    terminate_all(ksql)


def test_variables_pause_and_resume(ksql: Ksql, name: str) -> None:
    shown = ksql.http.post(
        "/ksql",
        json={
            "ksql": f"DEFINE topic = '{name.lower()}-vars'; SHOW VARIABLES;",
            "sessionVariables": {"stream": name},
        },
    ).json()
    assert shown[0]["variables"] == [
        {"name": "STREAM", "value": name},
        {"name": "TOPIC", "value": f"{name.lower()}-vars"},
    ]
    ksql.run(
        f"DEFINE topic = '{name.lower()}-vars'; DEFINE s = '{name}';"
        "CREATE STREAM ${s} (id STRING KEY, n INT) WITH (kafka_topic='${topic}', "
        "value_format='JSON', partitions=1);"
        "CREATE STREAM ${s}_COPY AS SELECT * FROM ${s};",
        **EARLIEST,
    )
    topic = f"{name.lower()}-vars"
    ksql.produce(topic, [("a", {"N": 1}, 1_000)])
    assert ksql.read(f"{name}_COPY", 1) == [(b"a", {"N": 1}, 1_000)]
    (query,) = [
        q for q in ksql.run("SHOW QUERIES;")[0]["queries"] if q["sinks"] == [f"{name}_COPY"]
    ]
    assert ksql.run(f"PAUSE {query['id']};")[0]["commandStatus"]["message"] == "Query paused."
    states = {q["id"]: q["state"] for q in ksql.run("SHOW QUERIES;")[0]["queries"]}
    assert states[query["id"]] == "PAUSED"
    ksql.produce(topic, [("b", {"N": 2}, 2_000)])
    assert len(ksql.read(f"{name}_COPY", 1)) == 1  # nothing while paused
    ksql.run(f"RESUME {query['id']};")
    assert ksql.read(f"{name}_COPY", 2)[1] == (b"b", {"N": 2}, 2_000)
    terminate_all(ksql)


def test_latest_by_offset_across_partitions(ksql: Ksql, name: str) -> None:
    """The latest record is the one that arrived last, not the one with the highest offset
    (offsets of different partitions do not compare)."""
    topic = f"{name.lower()}-two"
    ksql.run(
        f"CREATE STREAM {name} (id STRING KEY, page STRING, n INT) WITH (kafka_topic='{topic}', "
        "value_format='JSON', partitions=2);"
        f"CREATE TABLE {name}_LAST AS SELECT page, LATEST_BY_OFFSET(n) AS n FROM {name} "
        "GROUP BY page;",
        **EARLIEST,
    )
    producer = Producer({"bootstrap.servers": ksql.servers})
    for i in range(5):  # offsets 0-4 of partition 0
        producer.produce(topic, json.dumps({"PAGE": "p", "N": i}).encode(), b"k", partition=0)
    assert producer.flush(10) == 0
    assert ksql.read(f"{name}_LAST", 1)[0][1] == {"N": 4}
    producer.produce(topic, json.dumps({"PAGE": "p", "N": 99}).encode(), b"k", partition=1)
    assert producer.flush(10) == 0  # offset 0 of partition 1, after the others
    assert [value for _, value, _ in ksql.read(f"{name}_LAST", 2)] == [{"N": 4}, {"N": 99}]
    terminate_all(ksql)
