"""kaspar.ksql over TABLE changelogs: an aggregation over a table, a primary-key and a
foreign-key table-table join, each from the earliest offset to the exactly-once Kafka sink.

``python -m bench.ksql_tables [--records N]``: one in-process broker; N updates of a users
table (N / 10 keys, each update moving its row to one of 50 regions), N / 2 updates of a
scores table on the same keys, N updates of an orders table (N / 5 orders over 1,000
customers) and 1,000 customers. Prints records/s per query, from the start request to the
last record counted, and over the batches' own durations.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from bench.ksql import timed
from kaspar.broker import Broker
from kaspar.ksql import KsqlConfig, KsqlServer

TABLES = {
    "users": "id STRING PRIMARY KEY, region STRING, amount INT",
    "scores": "id STRING PRIMARY KEY, score INT",
    "orders": "id STRING PRIMARY KEY, customer STRING, total INT",
    "customers": "id STRING PRIMARY KEY, name STRING",
}
QUERIES = {
    "aggregation over a table (50 groups)": (
        "CREATE TABLE {out} AS SELECT region, COUNT(*) AS n, SUM(amount) AS total, "
        "MAX(amount) AS top FROM users GROUP BY region EMIT CHANGES;",
        ("users",),
    ),
    "primary-key join": (
        "CREATE TABLE {out} AS SELECT u.id AS id, u.region, s.score FROM users u "
        "JOIN scores s ON u.id = s.id EMIT CHANGES;",
        ("users", "scores"),
    ),
    "foreign-key join": (
        "CREATE TABLE {out} AS SELECT o.id AS id, o.total, c.name FROM orders o "
        "JOIN customers c ON o.customer = c.id EMIT CHANGES;",
        ("orders", "customers"),
    ),
}


def records(table: str, n: int) -> Iterator[tuple[str, dict[str, Any]]]:
    if table == "users":
        return (
            (f"u{i % (n // 10)}", {"REGION": f"r{i % 50}", "AMOUNT": i % 997}) for i in range(n)
        )
    if table == "scores":
        return ((f"u{i % (n // 10)}", {"SCORE": i}) for i in range(n // 2))
    if table == "orders":
        return ((f"o{i % (n // 5)}", {"CUSTOMER": f"c{i % 1000}", "TOTAL": i}) for i in range(n))
    return ((f"c{i}", {"NAME": f"customer {i}"}) for i in range(1000))


def produce(servers: str, table: str, n: int) -> int:
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 20})
    count = 0
    for key, value in records(table, n):
        while True:
            try:
                producer.produce(table, json.dumps(value).encode(), key.encode(), timestamp=1)
                break
            except BufferError:
                producer.poll(0.1)
        count += 1
    producer.flush(60)
    return count


def loaded_broker(data: Path, n: int) -> tuple[Broker, dict[str, int]]:
    """A broker with the four tables' topics filled (records per topic)."""
    broker = Broker(data / "broker")
    broker.start()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})
    for future in admin.create_topics([NewTopic(t, 1, 1) for t in TABLES]).values():
        future.result(30)
    return broker, {t: produce(broker.bootstrap_servers, t, n) for t in TABLES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=100_000)
    data = Path(tempfile.mkdtemp(prefix="bench-ksql-tables-"))
    broker, counts = loaded_broker(data, parser.parse_args().records)
    config = KsqlConfig(bootstrap_servers=broker.bootstrap_servers, listen_port=0, data_dir=data)
    server = KsqlServer(config)
    server.start()
    http = httpx.Client(base_url=server.url, timeout=60)
    for table, columns in TABLES.items():
        statement = (
            f"CREATE TABLE {table} ({columns}) WITH (kafka_topic='{table}', value_format='JSON');"
        )
        http.post("/ksql", json={"ksql": statement})
    try:
        for i, (label, (statement, inputs)) in enumerate(QUERIES.items()):
            total = sum(counts[t] for t in inputs)

            def start(statement: str = statement, i: int = i) -> Any:
                body = {"ksql": statement.format(out=f"OUT_{i}"),
                        "streamsProperties": {"auto.offset.reset": "earliest"}}  # fmt: skip
                answer = http.post("/ksql", json=body).json()
                return server.engine.queries[answer[0]["commandStatus"]["queryId"]].query

            report(label, total, timed(start, total))
    finally:
        server.stop()
        broker.stop()


def report(label: str, total: int, rates: tuple[float, float]) -> None:
    wall, busy = rates
    print(f"{label}: {total:,} records, {wall:,.0f} records/s from start ({busy:,.0f} in batches)")


if __name__ == "__main__":
    main()
