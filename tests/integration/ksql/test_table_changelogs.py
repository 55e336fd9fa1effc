"""Tables as changelogs, as ksqlDB documents them: table-table joins (primary key: inner,
left, full outer; foreign key) and aggregations over a table, each change on either side
emitting the new row of the keys it affects and a tombstone for a row that disappears.

Inputs go in steps, each awaited on the sink topic before the next, so every step's output
is known whatever the micro-batches (a batch emits the net change per key)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx

from kaspar.ksql import KsqlServer
from tests.integration.ksql.conftest import WAIT_S, Ksql, ksql_config

EARLIEST = {"auto.offset.reset": "earliest"}
Record = tuple[bytes | None, Any, int]


def table(ksql: Ksql, name: str, columns: str) -> str:
    """CREATE TABLE `name` over a new one-partition topic; returns the topic."""
    topic = f"{name.lower()}-{uuid.uuid4().hex[:4]}"
    ksql.run(
        f"CREATE TABLE {name} ({columns}) WITH (kafka_topic='{topic}', value_format='JSON', "
        "partitions=1);"
    )
    return topic


class Steps:
    """The sink topic read after each step: the records that step added."""

    def __init__(self, ksql: Ksql, sink: str) -> None:
        self.ksql, self.sink, self.seen = ksql, sink, 0

    def expect(self, count: int) -> list[Record]:
        records = self.ksql.read(self.sink, self.seen + count)[self.seen :]
        self.seen += count
        return sorted(records, key=lambda r: (r[0] or b"", json.dumps(r[1])))


def pull(ksql: Ksql, sql: str) -> list[list[Any]]:
    response = ksql.http.post("/query-stream", json={"sql": sql})
    assert response.status_code == 200, response.text
    _, *rows = [json.loads(x) for x in response.text.splitlines()]
    return sorted(rows, key=str)


def _users_scores(ksql: Ksql, name: str) -> tuple[str, str]:
    users = table(ksql, f"{name}_USERS", "id STRING PRIMARY KEY, name STRING")
    scores = table(ksql, f"{name}_SCORES", "id STRING PRIMARY KEY, score INT")
    return users, scores


def _joined(
    ksql: Ksql, name: str, sink: str, key: str, kind: str, where: str = ""
) -> tuple[str, str, Steps]:
    """USERS `kind` JOIN SCORES on their keys into `sink`, projecting `key` AS id."""
    users, scores = _users_scores(ksql, name)
    ksql.run(
        f"CREATE TABLE {sink} AS SELECT {key} AS id, u.name, s.score FROM {name}_USERS u "
        f"{kind} JOIN {name}_SCORES s ON u.id = s.id {where} EMIT CHANGES;",
        **EARLIEST,
    )
    return users, scores, Steps(ksql, sink)


def test_inner_join_on_primary_keys(ksql: Ksql, name: str) -> None:
    users, scores, steps = _joined(ksql, name, f"{name}_J", "u.id", "INNER")
    ksql.produce(users, [("a", {"NAME": "Alice"}, 1_000), ("b", {"NAME": "Bob"}, 2_000)])
    ksql.produce(scores, [("a", {"SCORE": 10}, 3_000)])
    # b has no score: no row; a's row takes the later of the two times
    assert steps.expect(1) == [(b"a", {"NAME": "Alice", "SCORE": 10}, 3_000)]
    ksql.produce(scores, [("b", {"SCORE": 20}, 4_000)])
    assert steps.expect(1) == [(b"b", {"NAME": "Bob", "SCORE": 20}, 4_000)]
    ksql.produce(users, [("a", {"NAME": "Ann"}, 5_000)])  # an update of the left side
    assert steps.expect(1) == [(b"a", {"NAME": "Ann", "SCORE": 10}, 5_000)]
    # the materialised result, by pull query
    assert pull(ksql, f"SELECT * FROM {name}_J;") == [["a", "Ann", 10], ["b", "Bob", 20]]
    ksql.produce(scores, [("a", None, 6_000)])  # the right row deleted: the row goes
    assert steps.expect(1) == [(b"a", None, 6_000)]
    ksql.produce(users, [("b", None, 7_000)])  # the left row deleted
    assert steps.expect(1) == [(b"b", None, 7_000)]
    ksql.produce(users, [("c", {"NAME": "Cy"}, 8_000)])  # no partner: nothing, then a row
    ksql.produce(scores, [("c", {"SCORE": 1}, 9_000)])
    assert steps.expect(1) == [(b"c", {"NAME": "Cy", "SCORE": 1}, 9_000)]
    assert pull(ksql, f"SELECT * FROM {name}_J;") == [["c", "Cy", 1]]
    ksql.run("TERMINATE ALL;")


def test_left_join_on_primary_keys(ksql: Ksql, name: str) -> None:
    users, scores, steps = _joined(ksql, name, f"{name}_L", "u.id", "LEFT")
    ksql.produce(users, [("a", {"NAME": "Alice"}, 1_000), ("b", {"NAME": "Bob"}, 2_000)])
    assert steps.expect(2) == [
        (b"a", {"NAME": "Alice", "SCORE": None}, 1_000),
        (b"b", {"NAME": "Bob", "SCORE": None}, 2_000),
    ]
    ksql.produce(scores, [("a", {"SCORE": 10}, 3_000)])
    assert steps.expect(1) == [(b"a", {"NAME": "Alice", "SCORE": 10}, 3_000)]
    ksql.produce(scores, [("a", None, 4_000)])  # the right row deleted: nulls again
    assert steps.expect(1) == [(b"a", {"NAME": "Alice", "SCORE": None}, 4_000)]
    ksql.produce(users, [("b", None, 5_000)])
    assert steps.expect(1) == [(b"b", None, 5_000)]
    ksql.produce(scores, [("c", {"SCORE": 5}, 6_000)])  # no left row: nothing
    ksql.produce(users, [("c", {"NAME": "Cy"}, 7_000)])
    assert steps.expect(1) == [(b"c", {"NAME": "Cy", "SCORE": 5}, 7_000)]
    ksql.run("TERMINATE ALL;")


def test_full_outer_join_keyed_by_rowkey(ksql: Ksql, name: str) -> None:
    users, scores, steps = _joined(ksql, name, f"{name}_F", "ROWKEY", "FULL OUTER")
    ksql.produce(users, [("a", {"NAME": "Alice"}, 1_000)])
    ksql.produce(scores, [("z", {"SCORE": 1}, 2_000)])
    assert steps.expect(2) == [
        (b"a", {"NAME": "Alice", "SCORE": None}, 1_000),
        (b"z", {"NAME": None, "SCORE": 1}, 2_000),
    ]
    ksql.produce(scores, [("a", {"SCORE": 10}, 3_000)])
    assert steps.expect(1) == [(b"a", {"NAME": "Alice", "SCORE": 10}, 3_000)]
    ksql.produce(users, [("a", None, 4_000)])  # one side left: the other's row stays
    assert steps.expect(1) == [(b"a", {"NAME": None, "SCORE": 10}, 4_000)]
    ksql.produce(scores, [("a", None, 5_000)])  # neither side: the row goes
    assert steps.expect(1) == [(b"a", None, 5_000)]
    ksql.run("TERMINATE ALL;")


def test_right_join_with_where(ksql: Ksql, name: str) -> None:
    where = "WHERE s.score > 5"
    users, scores, steps = _joined(ksql, name, f"{name}_R", "s.id", "RIGHT", where)
    ksql.produce(scores, [("a", {"SCORE": 10}, 1_000), ("b", {"SCORE": 1}, 1_000)])
    assert steps.expect(1) == [(b"a", {"NAME": None, "SCORE": 10}, 1_000)]  # b filtered out
    ksql.produce(users, [("a", {"NAME": "Alice"}, 2_000)])
    assert steps.expect(1) == [(b"a", {"NAME": "Alice", "SCORE": 10}, 2_000)]
    ksql.produce(scores, [("a", {"SCORE": 3}, 3_000)])  # no longer passes WHERE: deleted
    assert steps.expect(1) == [(b"a", None, 3_000)]
    ksql.produce(scores, [("b", {"SCORE": 7}, 4_000)])
    assert steps.expect(1) == [(b"b", {"NAME": None, "SCORE": 7}, 4_000)]
    ksql.run("TERMINATE ALL;")


def test_foreign_key_join(ksql: Ksql, name: str) -> None:
    orders = table(ksql, f"{name}_ORDERS", "id STRING PRIMARY KEY, customer STRING, amount INT")
    customers = table(ksql, f"{name}_CUSTOMERS", "id STRING PRIMARY KEY, name STRING")
    ksql.run(
        f"CREATE TABLE {name}_FK AS SELECT o.id AS id, o.amount, c.name FROM {name}_ORDERS o "
        f"JOIN {name}_CUSTOMERS c ON o.customer = c.id EMIT CHANGES;",
        **EARLIEST,
    )
    steps = Steps(ksql, f"{name}_FK")
    ksql.produce(customers, [("c1", {"NAME": "Ann"}, 1_000), ("c2", {"NAME": "Bob"}, 1_000)])
    ksql.produce(orders, [
        ("o1", {"CUSTOMER": "c1", "AMOUNT": 5}, 2_000),
        ("o2", {"CUSTOMER": "c1", "AMOUNT": 7}, 2_000),
        ("o3", {"CUSTOMER": "c2", "AMOUNT": 9}, 2_000),
    ])  # fmt: skip
    assert steps.expect(3) == [
        (b"o1", {"AMOUNT": 5, "NAME": "Ann"}, 2_000),
        (b"o2", {"AMOUNT": 7, "NAME": "Ann"}, 2_000),
        (b"o3", {"AMOUNT": 9, "NAME": "Bob"}, 2_000),
    ]
    ksql.produce(customers, [("c1", {"NAME": "Anna"}, 3_000)])  # every order of c1
    assert steps.expect(2) == [
        (b"o1", {"AMOUNT": 5, "NAME": "Anna"}, 3_000),
        (b"o2", {"AMOUNT": 7, "NAME": "Anna"}, 3_000),
    ]
    ksql.produce(orders, [("o2", {"CUSTOMER": "c2", "AMOUNT": 7}, 4_000)])  # a new customer
    assert steps.expect(1) == [(b"o2", {"AMOUNT": 7, "NAME": "Bob"}, 4_000)]
    ksql.produce(customers, [("c2", None, 5_000)])  # inner join: c2's orders go
    assert steps.expect(2) == [(b"o2", None, 5_000), (b"o3", None, 5_000)]
    assert pull(ksql, f"SELECT * FROM {name}_FK;") == [["o1", 5, "Anna"]]
    ksql.run("TERMINATE ALL;")


def test_refusals(ksql: Ksql, name: str) -> None:
    _users_scores(ksql, name)
    status, body = ksql.fail(
        f"CREATE TABLE {name}_X AS SELECT u.id AS id, s.score FROM {name}_USERS u "
        f"FULL OUTER JOIN {name}_SCORES s ON u.name = s.id;"
    )
    assert status == 400
    assert "not supported for foreign-key table-table join" in body["message"]
    status, body = ksql.fail(
        f"CREATE TABLE {name}_X AS SELECT u.id AS id FROM {name}_USERS u "
        f"JOIN {name}_SCORES s ON u.id = s.score;"
    )
    assert status == 400
    assert "primary key of the right input table" in body["message"]
    # a LEFT join's key is the left table's
    status, body = ksql.fail(
        f"CREATE TABLE {name}_X AS SELECT s.id AS id, name FROM {name}_USERS u "
        f"LEFT JOIN {name}_SCORES s ON u.id = s.id;"
    )
    assert status == 400
    assert body["message"].startswith("Key missing from projection (ie, SELECT).")
    response = ksql.http.post(
        "/query-stream",
        json={"sql": f"SELECT name FROM {name}_USERS u JOIN {name}_SCORES s ON u.id = s.id;"},
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Pull queries don't support JOIN clauses."
    status, body = ksql.fail(
        f"CREATE TABLE {name}_X AS SELECT name, LATEST_BY_OFFSET(id) AS last FROM {name}_USERS "
        "GROUP BY name;"
    )
    assert status == 400
    assert body["message"] == (
        "The aggregation function LATEST_BY_OFFSET cannot be applied to a table source, only "
        "to a stream source."
    )


def _accounts(ksql: Ksql, name: str) -> str:
    return table(ksql, f"{name}_ACCOUNTS", "id STRING PRIMARY KEY, region STRING, amount INT")


AGGREGATE = (
    "SELECT region, COUNT(*) AS n, SUM(amount) AS total, MIN(amount) AS lo, "
    "MAX(amount) AS hi, AVG(amount) AS mean FROM {name}_ACCOUNTS GROUP BY region EMIT CHANGES;"
)


def test_aggregation_over_a_table_undoes_old_values(ksql: Ksql, name: str) -> None:
    accounts = _accounts(ksql, name)
    ksql.run(f"CREATE TABLE {name}_BY_REGION AS {AGGREGATE.format(name=name)}", **EARLIEST)
    steps = Steps(ksql, f"{name}_BY_REGION")
    ksql.produce(accounts, [
        ("u1", {"REGION": "east", "AMOUNT": 10}, 1_000),
        ("u2", {"REGION": "east", "AMOUNT": 20}, 2_000),
        ("u3", {"REGION": "west", "AMOUNT": 5}, 3_000),
    ])  # fmt: skip
    # as many records as batches for east: the last one holds both rows
    records = ksql.read(f"{name}_BY_REGION", 2)
    by_key = {key: value for key, value, _ in records}
    if by_key[b"east"]["N"] == 1:  # u1 and u2 came in two batches
        records = ksql.read(f"{name}_BY_REGION", 3)
        by_key = {key: value for key, value, _ in records}
    steps.seen = len(records)
    assert by_key == {
        b"east": {"N": 2, "TOTAL": 30, "LO": 10, "HI": 20, "MEAN": 15.0},
        b"west": {"N": 1, "TOTAL": 5, "LO": 5, "HI": 5, "MEAN": 5.0},
    }
    # u2 moves to west with a new amount: out of east (undone), into west
    ksql.produce(accounts, [("u2", {"REGION": "west", "AMOUNT": 30}, 4_000)])
    assert steps.expect(2) == [
        (b"east", {"N": 1, "TOTAL": 10, "LO": 10, "HI": 10, "MEAN": 10.0}, 4_000),
        (b"west", {"N": 2, "TOTAL": 35, "LO": 5, "HI": 30, "MEAN": 17.5}, 4_000),
    ]
    ksql.produce(accounts, [("u3", {"REGION": "west", "AMOUNT": 1}, 5_000)])  # MIN drops
    assert steps.expect(1) == [
        (b"west", {"N": 2, "TOTAL": 31, "LO": 1, "HI": 30, "MEAN": 15.5}, 5_000)
    ]
    ksql.produce(accounts, [("u2", None, 6_000)])  # a delete: MAX falls back
    assert steps.expect(1) == [
        (b"west", {"N": 1, "TOTAL": 1, "LO": 1, "HI": 1, "MEAN": 1.0}, 6_000)
    ]
    # east's last row goes: east stays, counting 0 (ksqlDB's "should count back to zero")
    ksql.produce(accounts, [("u1", None, 7_000)])
    empty = {"N": 0, "TOTAL": None, "LO": None, "HI": None, "MEAN": None}
    assert steps.expect(1) == [(b"east", empty, 7_000)]
    rows = pull(ksql, f"SELECT * FROM {name}_BY_REGION;")
    assert rows == [["east", 0, None, None, None, None], ["west", 1, 1, 1, 1, 1.0]]
    ksql.run("TERMINATE ALL;")


def test_aggregation_over_a_table_with_where_and_having(ksql: Ksql, name: str) -> None:
    accounts = _accounts(ksql, name)
    ksql.run(
        f"CREATE TABLE {name}_BIG AS SELECT region, COUNT(*) AS n FROM {name}_ACCOUNTS "
        "WHERE amount >= 10 GROUP BY region HAVING COUNT(*) >= 2 EMIT CHANGES;",
        **EARLIEST,
    )
    steps = Steps(ksql, f"{name}_BIG")
    # east's one row fails HAVING: no tombstone for a row the table never had (ksqlDB
    # 0.13+); west's two rows, after it in the topic, show that batch was processed
    ksql.produce(accounts, [("u1", {"REGION": "east", "AMOUNT": 10}, 1_000)])
    ksql.produce(accounts, [
        ("u8", {"REGION": "west", "AMOUNT": 10}, 1_000),
        ("u9", {"REGION": "west", "AMOUNT": 10}, 1_000),
    ])  # fmt: skip
    assert steps.expect(1) == [(b"west", {"N": 2}, 1_000)]
    ksql.produce(accounts, [("u2", {"REGION": "east", "AMOUNT": 20}, 1_000)])
    assert steps.expect(1) == [(b"east", {"N": 2}, 1_000)]
    ksql.produce(accounts, [("u2", {"REGION": "east", "AMOUNT": 5}, 2_000)])  # WHERE drops it
    assert steps.expect(1) == [(b"east", None, 2_000)]
    ksql.produce(accounts, [("u3", {"REGION": "east", "AMOUNT": 50}, 3_000)])
    assert steps.expect(1) == [(b"east", {"N": 2}, 3_000)]
    ksql.run("TERMINATE ALL;")


def test_restart_keeps_join_and_aggregation_state(kaspar_broker: Any, tmp_path: Path) -> None:
    servers = kaspar_broker.bootstrap_servers
    config = ksql_config(servers, tmp_path, f"changelog_{uuid.uuid4().hex[:8]}_")
    name = f"C{uuid.uuid4().hex[:6].upper()}"
    first = KsqlServer(config)
    with httpx.Client(base_url=first.start(), timeout=WAIT_S) as http:
        ksql = Ksql(http, servers)
        accounts = _accounts(ksql, name)
        ksql.run(f"CREATE TABLE {name}_BY_REGION AS {AGGREGATE.format(name=name)}", **EARLIEST)
        users, scores, _ = _joined(ksql, name, f"{name}_J", "u.id", "")
        ksql.produce(accounts, [("u1", {"REGION": "east", "AMOUNT": 10}, 1_000)])
        ksql.produce(users, [("a", {"NAME": "Alice"}, 1_000)])
        ksql.produce(scores, [("a", {"SCORE": 10}, 2_000)])
        ksql.read(f"{name}_BY_REGION", 1)
        ksql.read(f"{name}_J", 1)
    first.stop()

    # while down: u1 moves (its old group must be known to undo it), a's score changes
    ksql.produce(accounts, [("u1", {"REGION": "west", "AMOUNT": 15}, 3_000)])
    ksql.produce(scores, [("a", {"SCORE": 11}, 4_000)])
    second = KsqlServer(config)
    with httpx.Client(base_url=second.start(), timeout=WAIT_S) as http:
        ksql = Ksql(http, servers)
        records = ksql.read(f"{name}_BY_REGION", 3)
        assert sorted(records[1:], key=str) == [
            (b"east", {"N": 0, "TOTAL": None, "LO": None, "HI": None, "MEAN": None}, 3_000),
            (b"west", {"N": 1, "TOTAL": 15, "LO": 15, "HI": 15, "MEAN": 15.0}, 3_000),
        ]
        assert ksql.read(f"{name}_J", 2)[1] == (b"a", {"NAME": "Alice", "SCORE": 11}, 4_000)
        ksql.run("TERMINATE ALL;")
    second.stop()


def push(ksql: Ksql, sql: str, limit: int) -> list[list[Any]]:
    """The first `limit` rows of a push query from the earliest offsets."""
    body = {"sql": f"{sql} EMIT CHANGES LIMIT {limit};", "properties": EARLIEST}
    with ksql.http.stream("POST", "/query-stream", json=body) as response:
        assert response.status_code == 200
        _, *rows = [json.loads(line) for line in response.iter_lines() if line]
    return rows


def test_push_queries_over_a_join_and_a_table_aggregation(ksql: Ksql, name: str) -> None:
    users, scores = _users_scores(ksql, name)
    accounts = _accounts(ksql, name)
    ksql.produce(users, [("a", {"NAME": "Alice"}, 1_000), ("b", {"NAME": "Bob"}, 1_000)])
    ksql.produce(scores, [("a", {"SCORE": 10}, 2_000), ("b", {"SCORE": 20}, 2_000)])
    ksql.produce(accounts, [
        ("u1", {"REGION": "east", "AMOUNT": 10}, 1_000),
        ("u2", {"REGION": "east", "AMOUNT": 20}, 1_000),
    ])  # fmt: skip
    rows = push(
        ksql,
        f"SELECT u.id AS id, name, score FROM {name}_USERS u JOIN {name}_SCORES s ON u.id = s.id",
        2,
    )
    assert sorted(rows) == [["a", "Alice", 10], ["b", "Bob", 20]]
    rows = push(
        ksql, f"SELECT region, SUM(amount) AS total FROM {name}_ACCOUNTS GROUP BY region", 1
    )
    assert rows == [["east", 30]]  # the records there before it started: one batch


def test_collection_aggregates_over_a_table(ksql: Ksql, name: str) -> None:
    accounts = _accounts(ksql, name)
    ksql.run(
        f"CREATE TABLE {name}_IDS AS SELECT region, COLLECT_SET(id) AS ids, "
        f"COUNT_DISTINCT(amount) AS amounts FROM {name}_ACCOUNTS GROUP BY region EMIT CHANGES;",
        **EARLIEST,
    )
    steps = Steps(ksql, f"{name}_IDS")

    def expect(count: int) -> list[tuple[bytes | None, Any]]:
        return [(k, {**v, "IDS": sorted(v["IDS"] or [])}) for k, v, _ in steps.expect(count)]

    ksql.produce(accounts, [("u1", {"REGION": "east", "AMOUNT": 10}, 1_000)])
    assert expect(1) == [(b"east", {"IDS": ["u1"], "AMOUNTS": 1})]
    ksql.produce(accounts, [("u2", {"REGION": "east", "AMOUNT": 20}, 2_000)])
    assert expect(1) == [(b"east", {"IDS": ["u1", "u2"], "AMOUNTS": 2})]
    ksql.produce(accounts, [("u2", {"REGION": "west", "AMOUNT": 20}, 3_000)])
    assert expect(2) == [
        (b"east", {"IDS": ["u1"], "AMOUNTS": 1}),
        (b"west", {"IDS": ["u2"], "AMOUNTS": 1}),
    ]
    # east empty: no ids, no amounts (ksqlDB's undone set is []; the engine's SQL collect_set
    # of no value is NULL where Spark's is [], so `expect` reads NULL as [])
    ksql.produce(accounts, [("u1", None, 4_000)])
    assert expect(1) == [(b"east", {"IDS": [], "AMOUNTS": 0})]
    ksql.run("TERMINATE ALL;")
