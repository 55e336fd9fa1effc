"""CDC to Delta: PostgreSQL → Debezium events in Kafka → Spark → a Delta table kept equal.

The seeds' change-data-capture pipeline, end to end on one machine:

1. Start a temporary PostgreSQL (`initdb`, `wal_level=logical`, removed at the end) and create
   the table `customers` with three rows. Without PostgreSQL's binaries: say so, exit 1.
2. Start a Kafka Connect worker and register Debezium's PostgreSQL connector through Connect's
   REST API, with the JSON a Debezium user posts (`POST /connectors`). It snapshots the table,
   then streams every change to the topic `shop_<run>.public.customers` (`<run>` is new for
   each run, so a Kafka given with `--bootstrap-servers` can be used again).
3. Start the streaming query: `readStream.format("kafka")` on that topic, and
   `foreachBatch(apply_debezium_changes)` (`kaspar.delta`): each micro-batch keeps each key's
   last change and MERGEs it into the Delta table `<data-dir>/customers`.
4. Change the table in rounds (inserts, updates, a key change, deletes, a truncate); after each
   round, wait until the Delta table equals the PostgreSQL table and print it.

With `from pyspark.sql import SparkSession` and delta-spark's `DeltaTable` the query is
PySpark's; `apply_debezium_changes` itself uses only that API.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import httpx

from examples._platform import add_platform_arguments, kafka_platform
from kaspar.connect import ConnectWorker, WorkerConfig
from kaspar.delta import apply_debezium_changes
from kaspar.sql import SparkSession
from kaspar.sql.streaming import StreamingQuery
from kaspar.testing import PostgresServer, running_postgres

ROW = "id INT, name STRING, email STRING, tier STRING"
TABLE = "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text, tier text)"
ROUNDS = [
    (
        "snapshot of the table",
        [
            "INSERT INTO customers VALUES (1, 'ada', 'ada@example.com', 'gold'), "
            "(2, 'bob', NULL, 'silver'), (3, 'cy', 'cy@example.com', 'silver')"
        ],
    ),
    (
        "insert two, update two",
        [
            "INSERT INTO customers VALUES (4, 'di', NULL, 'bronze'), (5, 'ed', NULL, 'gold')",
            "UPDATE customers SET tier = 'gold' WHERE id IN (2, 4)",
            "UPDATE customers SET email = 'bob@example.com' WHERE id = 2",
        ],
    ),
    (
        "delete one, change a key, one transaction",
        [
            "DELETE FROM customers WHERE id = 3",
            "UPDATE customers SET id = 50 WHERE id = 5",
            "BEGIN; INSERT INTO customers VALUES (6, 'fay', NULL, 'silver'); "
            "UPDATE customers SET tier = 'platinum' WHERE id = 1; COMMIT",
        ],
    ),
    (
        "truncate, then two new customers",
        [
            "TRUNCATE customers",
            "INSERT INTO customers VALUES (7, 'gus', NULL, 'gold'), (8, 'hal', NULL, 'bronze')",
        ],
    ),
]
SYNC_TIMEOUT_S = 30.0


def start_connect(bootstrap_servers: str, run: str) -> ConnectWorker:
    """A Connect worker (its REST API on a free port), state topics named after this run."""
    config = WorkerConfig(
        bootstrap_servers=bootstrap_servers, listeners="http://127.0.0.1:0"
    ).with_properties(
        {
            "group.id": f"cdc-example-{run}",
            "config.storage.topic": f"cdc-example-{run}-configs",
            "offset.storage.topic": f"cdc-example-{run}-offsets",
            "status.storage.topic": f"cdc-example-{run}-status",
            "config.storage.replication.factor": "1",
            "offset.storage.replication.factor": "1",
            "status.storage.replication.factor": "1",
            "offset.flush.interval.ms": "200",
        }
    )
    worker = ConnectWorker(config)
    worker.start()
    return worker


def register_debezium(worker: ConnectWorker, server: PostgresServer, run: str) -> None:
    """`POST /connectors` with Debezium's PostgreSQL connector config, then wait for RUNNING."""
    config = {
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": server.host,
        "database.port": str(server.port),
        "database.user": server.user,
        "database.password": "",
        "database.dbname": server.dbname,
        "plugin.name": "pgoutput",
        "topic.prefix": f"shop_{run}",
        "table.include.list": "public.customers",
        "slot.name": f"cdc_example_{run}",
        "publication.name": f"cdc_example_{run}",
        "skipped.operations": "none",  # Debezium skips truncates by default
    }
    with httpx.Client(base_url=worker.url, timeout=30) as http:
        response = http.post("/connectors", json={"name": "shop-customers", "config": config})
        response.raise_for_status()
        deadline = time.monotonic() + SYNC_TIMEOUT_S
        while time.monotonic() < deadline:
            status = http.get("/connectors/shop-customers/status").json()
            tasks = status.get("tasks", [])
            if tasks and all(task["state"] == "RUNNING" for task in tasks):
                return
            time.sleep(0.1)
    raise TimeoutError(f"the connector is not running: {status}")


def start_query(
    spark: SparkSession, bootstrap_servers: str, data_dir: Path, run: str
) -> StreamingQuery:
    """The seeds' pattern: the CDC topic as a stream, each micro-batch MERGEd into Delta."""
    apply = functools.partial(
        apply_debezium_changes,
        target=str(data_dir / "customers"),
        key_columns=["id"],
        schema=ROW,
    )
    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("subscribe", f"shop_{run}.public.customers")
        .option("startingOffsets", "earliest")
        .load()
        .writeStream.foreachBatch(apply)
        .option("checkpointLocation", str(data_dir / "checkpoints" / "customers"))
        .start()
    )


def postgres_rows(server: PostgresServer) -> list[tuple[Any, ...]]:
    with server.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SELECT id, name, email, tier FROM customers ORDER BY id")
        return [tuple(row) for row in cursor.fetchall()]


def delta_rows(spark: SparkSession, path: Path) -> list[tuple[Any, ...]]:
    if not (path / "_delta_log").is_dir():
        return []
    return [
        tuple(row) for row in spark.read.format("delta").load(str(path)).orderBy("id").collect()
    ]


def wait_in_sync(spark: SparkSession, server: PostgresServer, path: Path) -> list[tuple[Any, ...]]:
    """Until the Delta table holds the PostgreSQL table's rows; raises after SYNC_TIMEOUT_S."""
    deadline = time.monotonic() + SYNC_TIMEOUT_S
    while time.monotonic() < deadline:
        expected = postgres_rows(server)
        if delta_rows(spark, path) == expected:
            return expected
        time.sleep(0.2)
    raise TimeoutError(f"the Delta table did not catch up with PostgreSQL in {SYNC_TIMEOUT_S} s")


def change_in_rounds(spark: SparkSession, server: PostgresServer, data_dir: Path) -> None:
    """Step 4: each round's statements, then the Delta table once it equals PostgreSQL."""
    for title, statements in ROUNDS[1:]:
        with server.connect() as connection, connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        show(title, statements, wait_in_sync(spark, server, data_dir / "customers"))


def show(title: str, statements: list[str], rows: list[tuple[Any, ...]]) -> None:
    print(f"\n== {title}")
    for statement in statements:
        print(f"   {statement}")
    print(f"   Delta table = PostgreSQL table ({len(rows)} rows):")
    for row in rows:
        print(f"     {row}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_platform_arguments(parser)
    args = parser.parse_args(argv)
    if args.data_dir is not None and (args.data_dir / "customers").exists():
        print(f"{args.data_dir} holds an earlier run's table: give another --data-dir")
        return 1
    postgres = running_postgres()
    try:
        server = postgres.__enter__()
    except LookupError as e:
        print(f"cdc_to_delta needs PostgreSQL: {e}.", file=sys.stderr)
        print("Install it (apt-get install postgresql) and run again.", file=sys.stderr)
        return 1
    try:
        with kafka_platform(args.bootstrap_servers, args.data_dir) as platform:
            run(server, platform.bootstrap_servers, platform.data_dir)
    finally:
        postgres.__exit__(None, None, None)
    return 0


def run(server: PostgresServer, bootstrap: str, data_dir: Path) -> None:
    print(f"Kafka at {bootstrap}, PostgreSQL at {server.host}:{server.port}, data in {data_dir}")
    title, statements = ROUNDS[0]
    with server.connect() as connection, connection.cursor() as cursor:
        for statement in [TABLE, *statements]:
            cursor.execute(statement)
    run_id = uuid.uuid4().hex[:8]
    worker = start_connect(bootstrap, run_id)
    spark = SparkSession.builder.appName("cdc_to_delta").getOrCreate()
    try:
        register_debezium(worker, server, run_id)
        query = start_query(spark, bootstrap, data_dir, run_id)
        try:
            show(title, statements, wait_in_sync(spark, server, data_dir / "customers"))
            change_in_rounds(spark, server, data_dir)
        finally:
            query.stop()
    finally:
        worker.stop()
    print(f"\nthe Delta table is {data_dir / 'customers'}")


if __name__ == "__main__":
    sys.exit(main())
