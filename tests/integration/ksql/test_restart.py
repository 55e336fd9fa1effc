"""A restart of the service with persistent queries running: the command topic brings the
streams, tables and queries back (same query ids), their checkpoints resume them, and the sink
topics hold every output once: nothing lost, nothing duplicated, aggregates continue."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from kaspar.ksql import KsqlServer
from tests.integration.ksql.conftest import WAIT_S, Ksql, ksql_config


def test_restart_resumes_persistent_queries(kaspar_broker: Any, tmp_path: Path) -> None:
    servers = kaspar_broker.bootstrap_servers
    config = ksql_config(servers, tmp_path, f"restart_{uuid.uuid4().hex[:8]}_")
    name = f"R{uuid.uuid4().hex[:6].upper()}"
    topic = f"{name.lower()}-clicks"
    first = KsqlServer(config)
    with httpx.Client(base_url=first.start(), timeout=WAIT_S) as http:
        ksql = Ksql(http, servers)
        ksql.run(
            f"CREATE STREAM {name} (user_id STRING KEY, n INT) WITH (kafka_topic='{topic}', "
            "value_format='JSON', partitions=1);"
            f"CREATE STREAM {name}_BIG AS SELECT user_id, n FROM {name} WHERE n >= 10;"
            f"CREATE TABLE {name}_TOTALS AS SELECT user_id, SUM(n) AS total FROM {name} "
            "GROUP BY user_id;",
            **{"auto.offset.reset": "earliest"},
        )
        queries = sorted(q["id"] for q in ksql.run("SHOW QUERIES;")[0]["queries"])
        ksql.produce(topic, [("a", {"N": 10}, 1_000), ("b", {"N": 1}, 2_000)])
        assert ksql.read(f"{name}_BIG", 1) == [(b"a", {"N": 10}, 1_000)]
        ksql.read(f"{name}_TOTALS", 2)
    first.stop()

    ksql.produce(topic, [("a", {"N": 20}, 3_000), ("b", {"N": 5}, 4_000)])  # while down
    second = KsqlServer(config)
    with httpx.Client(base_url=second.start(), timeout=WAIT_S) as http:
        ksql = Ksql(http, servers)
        assert sorted(q["id"] for q in ksql.run("SHOW QUERIES;")[0]["queries"]) == queries
        assert ksql.read(f"{name}_BIG", 2) == [
            (b"a", {"N": 10}, 1_000),
            (b"a", {"N": 20}, 3_000),
        ]
        totals = ksql.read(f"{name}_TOTALS", 4)
        assert sorted(totals[2:], key=str) == [
            (b"a", {"TOTAL": 30}, 3_000),
            (b"b", {"TOTAL": 6}, 4_000),
        ]
        ksql.run("TERMINATE ALL;")
    second.stop()
