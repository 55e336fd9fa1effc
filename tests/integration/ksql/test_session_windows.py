"""``WINDOW SESSION`` through the REST API: the sink topic read back exactly (session-windowed
keys, values, tombstones of merged sessions, timestamps), EMIT FINAL, late records, and
pull queries on the session-windowed table."""

from __future__ import annotations

import json
import struct
import uuid
from pathlib import Path
from typing import Any

import httpx

from kaspar.ksql import KsqlServer
from tests.integration.ksql.conftest import WAIT_S, Ksql, ksql_config
from tests.integration.ksql.test_persistent_queries import (
    EARLIEST,
    create_pageviews,
    pull,
    terminate_all,
)


def session_key(key: str, start_ms: int, end_ms: int) -> bytes:
    """A session-windowed key as Kafka Streams writes it: key bytes, the end, the start."""
    return key.encode() + struct.pack(">qq", end_ms, start_ms)


def test_session_merges_emit_tombstones_and_the_merged_session(ksql: Ksql, name: str) -> None:
    topic = create_pageviews(ksql, name)
    ksql.produce(topic, [
        ("alice", {"PAGE": "home", "MS": 1}, 1_000),
        ("alice", {"PAGE": "cart", "MS": 2}, 3_000),
        ("bob", {"PAGE": "home", "MS": 4}, 2_000),
    ])  # fmt: skip
    ksql.run(
        f"CREATE TABLE {name}_SESSIONS AS SELECT user_id, COUNT(*) AS n, SUM(ms) AS total, "
        f"MAX(ms) AS hi FROM {name} WINDOW SESSION (5 SECONDS) GROUP BY user_id EMIT CHANGES;",
        **EARLIEST,
    )
    assert sorted(ksql.read(f"{name}_SESSIONS", 2)) == [
        (session_key("alice", 1_000, 3_000), {"N": 2, "TOTAL": 3, "HI": 2}, 3_000),
        (session_key("bob", 2_000, 2_000), {"N": 1, "TOTAL": 4, "HI": 4}, 2_000),
    ]
    ksql.produce(topic, [("alice", {"PAGE": "home", "MS": 8}, 10_000)])  # 7 s later: new
    assert ksql.read(f"{name}_SESSIONS", 3)[2] == (
        session_key("alice", 10_000, 10_000),
        {"N": 1, "TOTAL": 8, "HI": 8},
        10_000,
    )
    ksql.produce(topic, [("alice", {"PAGE": "cart", "MS": 16}, 6_000)])  # bridges both
    merged = ksql.read(f"{name}_SESSIONS", 6)[3:]
    tombstones = sorted((r[0], r[2]) for r in merged if r[1] is None)  # at their last record
    assert tombstones == [
        (session_key("alice", 1_000, 3_000), 3_000),
        (session_key("alice", 10_000, 10_000), 10_000),
    ]
    assert merged[2] == (
        session_key("alice", 1_000, 10_000),
        {"N": 4, "TOTAL": 27, "HI": 16},
        10_000,
    )
    names, rows = pull(ksql.http, f"SELECT * FROM {name}_SESSIONS;")
    assert names == ["USER_ID", "WINDOWSTART", "WINDOWEND", "N", "TOTAL", "HI"]
    assert rows == [["alice", 1_000, 10_000, 4, 27, 16], ["bob", 2_000, 2_000, 1, 4, 4]]
    described = ksql.run(f"DESCRIBE {name}_SESSIONS;")[0]["sourceDescription"]
    assert described["windowType"] == "SESSION"
    terminate_all(ksql)


def test_session_emit_final_and_late_records(ksql: Ksql, name: str) -> None:
    topic = create_pageviews(ksql, name)
    ksql.produce(topic, [
        ("alice", {"PAGE": "home", "MS": 1}, 1_000),
        ("alice", {"PAGE": "cart", "MS": 2}, 3_000),
        ("bob", {"PAGE": "home", "MS": 4}, 2_000),
        ("carol", {"PAGE": "home", "MS": 8}, 20_000),  # stream time 20 s closes both
    ])  # fmt: skip
    ksql.run(
        f"CREATE TABLE {name}_FINAL AS SELECT user_id, COUNT(*) AS n, SUM(ms) AS total "
        f"FROM {name} WINDOW SESSION (5 SECONDS, RETENTION 1 HOUR, GRACE PERIOD 0 SECONDS) "
        "GROUP BY user_id EMIT FINAL;",
        **EARLIEST,
    )
    assert sorted(ksql.read(f"{name}_FINAL", 2)) == [
        (session_key("alice", 1_000, 3_000), {"N": 2, "TOTAL": 3}, 3_000),
        (session_key("bob", 2_000, 2_000), {"N": 1, "TOTAL": 4}, 2_000),
    ]
    ksql.produce(topic, [
        ("alice", {"PAGE": "late", "MS": 32}, 2_500),  # its session closed long ago: dropped
        ("carol", {"PAGE": "cart", "MS": 16}, 23_000),
        ("dave", {"PAGE": "home", "MS": 64}, 40_000),  # closes carol's session
    ])  # fmt: skip
    assert ksql.read(f"{name}_FINAL", 3)[2] == (
        session_key("carol", 20_000, 23_000),
        {"N": 2, "TOTAL": 24},
        23_000,
    )
    terminate_all(ksql)


def test_session_push_query(ksql: Ksql, name: str) -> None:
    topic = create_pageviews(ksql, name)
    ksql.produce(topic, [
        ("alice", {"PAGE": "home", "MS": 1}, 1_000),
        ("alice", {"PAGE": "cart", "MS": 2}, 3_000),
        ("bob", {"PAGE": "home", "MS": 4}, 2_000),
    ])  # fmt: skip
    sql = (
        f"SELECT user_id, WINDOWSTART AS ws, WINDOWEND AS we, COUNT(*) AS n FROM {name} "
        "WINDOW SESSION (5 SECONDS) GROUP BY user_id EMIT CHANGES LIMIT 2;"
    )
    body = {"sql": sql, "properties": EARLIEST}
    with ksql.http.stream("POST", "/query-stream", json=body) as response:
        assert response.status_code == 200
        header, *rows = [json.loads(line) for line in response.iter_lines() if line]
    assert header["columnNames"] == ["USER_ID", "WS", "WE", "N"]
    assert sorted(rows) == [["alice", 1_000, 3_000, 2], ["bob", 2_000, 2_000, 1]]


def test_sessions_continue_after_a_restart(kaspar_broker: Any, tmp_path: Path) -> None:
    servers = kaspar_broker.bootstrap_servers
    config = ksql_config(servers, tmp_path, f"sessions_{uuid.uuid4().hex[:8]}_")
    name = f"S{uuid.uuid4().hex[:6].upper()}"
    first = KsqlServer(config)
    with httpx.Client(base_url=first.start(), timeout=WAIT_S) as http:
        ksql = Ksql(http, servers)
        topic = create_pageviews(ksql, name)
        ksql.run(
            f"CREATE TABLE {name}_S AS SELECT user_id, COUNT(*) AS n FROM {name} "
            "WINDOW SESSION (5 SECONDS) GROUP BY user_id;",
            **EARLIEST,
        )
        ksql.produce(topic, [
            ("alice", {"PAGE": "home", "MS": 1}, 1_000),
            ("alice", {"PAGE": "cart", "MS": 2}, 3_000),
        ])  # fmt: skip
        assert ksql.read(f"{name}_S", 1) == [(session_key("alice", 1_000, 3_000), {"N": 2}, 3_000)]
    first.stop()

    ksql.produce(topic, [  # while the server is down: the stored session grows
        ("alice", {"PAGE": "home", "MS": 4}, 10_000),
        ("alice", {"PAGE": "cart", "MS": 8}, 6_000),
    ])  # fmt: skip
    second = KsqlServer(config)
    with httpx.Client(base_url=second.start(), timeout=WAIT_S) as http:
        ksql = Ksql(http, servers)
        assert ksql.read(f"{name}_S", 3)[1:] == [
            (session_key("alice", 1_000, 3_000), None, 3_000),
            (session_key("alice", 1_000, 10_000), {"N": 4}, 10_000),
        ]
        terminate_all(ksql)
    second.stop()
