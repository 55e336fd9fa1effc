"""PostgreSQL CDC benchmark: kaspar's Debezium-compatible source, with a plain psycopg2
logical-replication reader as the ceiling. Debezium itself does not run here: a JVM is
installed, but its jars (debezium-connector-postgres, connect-runtime) come from the Maven
registry, which this machine cannot reach (`mvn`: Unknown host repo.maven.apache.org).

    .venv/bin/python -m bench.connect_cdc [--snapshot-rows 100000] [--changes 50000]
        [--latency-rows 500] [--json-out PATH]

One PostgreSQL (temporary cluster, wal_level=logical), one kaspar broker (a subprocess) and one
Connect worker in this process; the connector writes Debezium's envelope with JsonConverter
(schemas on, the default). Steps:

1. snapshot: a table of `--snapshot-rows` rows; the time from the connector's creation until
   the topic's high watermark holds them all: rows/s.
2. streaming: `--changes` inserts in transactions of 100 rows, as fast as one connection
   commits them; the time from the first commit until the last event is in Kafka: changes/s.
3. latency: `--latency-rows` single-row transactions, 200/s; per event, the time from the
   commit (`source.ts_ms`, PostgreSQL's clock = this machine's) to the event read by a consumer
   (fetch.wait.max.ms=5): p50, p99.
4. ceiling: a psycopg2 reader on its own slot decodes the same changes with no Kafka: messages/s.
"""

from __future__ import annotations

import argparse
import json
import select
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from bench.launch import running
from kaspar.connect import ConnectWorker, WorkerConfig
from tests.integration.connect.postgres_fixture import PostgresServer, running_postgres

WAIT_S = 300.0


def high_watermark(consumer: Consumer, topic: str) -> int:
    try:
        return int(consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=5)[1])
    except Exception:
        return 0


def wait_for_records(consumer: Consumer, topic: str, count: int) -> float:
    deadline = time.monotonic() + WAIT_S
    while high_watermark(consumer, topic) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{topic}: fewer than {count} records after {WAIT_S} s")
        time.sleep(0.01)
    return time.monotonic()


def execute(server: PostgresServer, *statements: str) -> None:
    with server.connect() as connection, connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def snapshot(
    server: PostgresServer, worker: ConnectWorker, peek: Consumer, rows: int
) -> dict[str, float]:
    """Step 1."""
    import httpx

    execute(
        server,
        "CREATE TABLE orders (id serial PRIMARY KEY, customer text NOT NULL,"
        " amount numeric(10, 2), created timestamptz DEFAULT now())",
        f"INSERT INTO orders (customer, amount) SELECT 'c' || g % 1000, g / 100.0"
        f" FROM generate_series(1, {rows}) g",
    )
    config = server.connector_config(
        **{"topic.prefix": "bench", "slot.name": "bench", "publication.name": "bench"}
    )
    started = time.monotonic()
    httpx.post(f"{worker.url}/connectors", json={"name": "cdc", "config": config}, timeout=30)
    done = wait_for_records(peek, "bench.public.orders", rows)
    return {"rows": rows, "seconds": done - started, "rows_per_s": rows / (done - started)}


def streaming(server: PostgresServer, peek: Consumer, base: int, changes: int) -> dict[str, float]:
    """Step 2."""
    started = time.monotonic()
    with server.connect() as connection, connection.cursor() as cursor:
        for _ in range(changes // 100):
            cursor.execute(
                "INSERT INTO orders (customer, amount) SELECT 's', g FROM generate_series(1, 100) g"
            )
    committed = time.monotonic()
    done = wait_for_records(peek, "bench.public.orders", base + changes)
    return {
        "changes": changes,
        "seconds": done - started,
        "changes_per_s": changes / (done - started),
        "database_commit_s": committed - started,
    }


def latency(server: PostgresServer, bootstrap: str, base: int, rows: int) -> dict[str, float]:
    """Step 3."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-{uuid.uuid4().hex}",
            "fetch.wait.max.ms": 5,
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition("bench.public.orders", 0, base)])
    samples: list[float] = []

    def insert() -> None:
        with server.connect() as connection, connection.cursor() as cursor:
            # the cluster runs with synchronous_commit=off for speed: its WAL writer would hold
            # each commit back up to wal_writer_delay (200 ms) before logical decoding sees it
            cursor.execute("SET synchronous_commit = on")
            for _ in range(rows):
                cursor.execute("INSERT INTO orders (customer, amount) VALUES ('l', 1)")
                time.sleep(0.005)

    writer = threading.Thread(target=insert)
    writer.start()
    deadline = time.monotonic() + WAIT_S
    while len(samples) < rows and time.monotonic() < deadline:
        for message in consumer.consume(100, 0.1):
            if message.error() is None and message.value():
                source = json.loads(message.value())["payload"]["source"]
                samples.append(time.time() * 1000 - source["ts_ms"])
    writer.join()
    consumer.close()
    samples.sort()
    return {
        "events": len(samples),
        "p50_ms": statistics.median(samples),
        "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
    }


def ceiling(server: PostgresServer, changes: int) -> dict[str, float]:
    """Step 4: the same kind of changes through a bare psycopg2 reader."""
    import psycopg2
    import psycopg2.extras

    connection = psycopg2.connect(
        host=server.host,
        port=server.port,
        user=server.user,
        dbname=server.dbname,
        connection_factory=psycopg2.extras.LogicalReplicationConnection,
    )
    cursor = connection.cursor()
    cursor.create_replication_slot("ceiling", output_plugin="pgoutput")
    execute(
        server,
        *(
            ["INSERT INTO orders (customer, amount) SELECT 's', g FROM generate_series(1, 100) g"]
            * (changes // 100)
        ),
    )
    cursor.start_replication(
        slot_name="ceiling",
        decode=False,
        options={"proto_version": "1", "publication_names": "bench"},
    )
    seen, started = 0, time.monotonic()
    while seen < changes:
        message = cursor.read_message()
        if message is None:
            select.select([connection], [], [], 0.1)
        elif message.payload[:1] == b"I":
            seen += 1
    elapsed = time.monotonic() - started
    connection.close()
    return {"changes": changes, "seconds": elapsed, "changes_per_s": changes / elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--snapshot-rows", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=50_000)
    parser.add_argument("--latency-rows", type=int, default=500)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with (
        running_postgres() as server,
        tempfile.TemporaryDirectory() as work,
        running("kaspar", Path(work)) as broker,
    ):
        config = WorkerConfig(
            bootstrap_servers=broker.bootstrap_servers, listeners="http://127.0.0.1:0"
        )
        worker = ConnectWorker(config.with_properties({"offset.flush.interval.ms": "1000"}))
        worker.start()
        peek = Consumer({"bootstrap.servers": broker.bootstrap_servers, "group.id": "peek"})
        try:
            results["snapshot"] = snapshot(server, worker, peek, args.snapshot_rows)
            base = args.snapshot_rows
            results["streaming"] = streaming(server, peek, base, args.changes)
            base += args.changes
            results["latency"] = latency(server, broker.bootstrap_servers, base, args.latency_rows)
            results["ceiling_psycopg2_reader"] = ceiling(server, args.changes)
        finally:
            peek.close()
            worker.stop()
    for name, values in results.items():
        print(f"{name:24s} " + "  ".join(f"{k}={v:,.1f}" for k, v in values.items()))
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
