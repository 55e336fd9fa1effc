"""kaspar.ksql against the same query written as a kaspar Structured Streaming program.

``python -m bench.ksql [--records N]``: one in-process broker, N JSON records in a topic, then
for each scenario (a CSAS filter/projection, a windowed count) the ksql statement through the
REST API and the hand-written DataFrame program, each from the earliest offset to the exactly-
once Kafka sink, timed from start until the query's progress has counted every input record.
Prints records/s per side and the ratio (the SQL layer's overhead should be near zero: both
run the same engine).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from kaspar.broker import Broker
from kaspar.ksql import KsqlConfig, KsqlServer
from kaspar.sql import SparkSession
from kaspar.sql import functions as F

TIMEOUT_S = 600.0
SCENARIOS = {
    "CSAS filter/projection": (
        "CREATE STREAM {out} AS SELECT id, UCASE(page) AS page, ms * 2 AS double_ms "
        "FROM clicks WHERE ms > 10 EMIT CHANGES;"
    ),
    "windowed count (tumbling 10 s)": (
        "CREATE TABLE {out} AS SELECT page, COUNT(*) AS n FROM clicks "
        "WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY page EMIT CHANGES;"
    ),
}


def produce(servers: str, topic: str, records: int) -> None:
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 20})
    for i in range(records):
        value = json.dumps({"PAGE": f"p{i % 50}", "MS": i % 100})
        while True:
            try:
                producer.produce(topic, value.encode(), str(i).encode(), timestamp=1 + i)
                break
            except BufferError:
                producer.poll(0.1)
    producer.flush(60)


def until_counted(query: Any, records: int) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        if sum(p["numInputRows"] for p in query.recentProgress) >= records:
            return
        time.sleep(0.05)
    raise TimeoutError("the query did not read every record in time")


def program(spark: SparkSession, servers: str, scenario: str, out: str, ckpt: Path) -> Any:
    """The scenario as a user writes it with kaspar.sql."""
    clicks = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", "clicks")
        .option("startingOffsets", "earliest")
        .load()
        .select(
            F.col("key").alias("key"),
            F.from_json(F.col("value").cast("string"), "PAGE string, MS int").alias("v"),
            F.col("timestamp"),
        )
    )
    if scenario.startswith("CSAS"):
        rows = clicks.filter(F.col("v.MS") > 10).select(
            "key",
            F.to_json(
                F.struct(F.upper("v.PAGE").alias("PAGE"), (F.col("v.MS") * 2).alias("DOUBLE_MS"))
            ).alias("value"),
            "timestamp",
        )
        mode = "append"
    else:
        rows = (
            clicks.withWatermark("timestamp", "1 day")
            .groupBy(F.window("timestamp", "10 seconds"), F.col("v.PAGE").alias("PAGE"))
            .agg(F.count(F.lit(1)).alias("N"), F.max("timestamp").alias("timestamp"))
            .select(
                F.col("PAGE").alias("key"), F.to_json(F.struct("N")).alias("value"), "timestamp"
            )
        )
        mode = "update"
    return (
        rows.writeStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("topic", out)
        .option("checkpointLocation", str(ckpt))
        .outputMode(mode)
        .trigger(processingTime="100 milliseconds")
        .start()
    )


def timed(start: Callable[[], Any], records: int) -> tuple[float, float]:
    """(records/s from the start request to the last record counted, records/s over the
    batches' own durations: the engine's work without the start-up)."""
    began = time.monotonic()
    query = start()
    until_counted(query, records)
    elapsed = time.monotonic() - began
    busy_ms = sum(p["durationMs"]["triggerExecution"] for p in query.recentProgress)
    query.stop()
    return records / elapsed, records / (busy_ms / 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    records = parser.parse_args().records
    data = Path(tempfile.mkdtemp(prefix="bench-ksql-"))
    broker = Broker(data / "broker")
    broker.start()
    servers = broker.bootstrap_servers
    admin = AdminClient({"bootstrap.servers": servers})
    admin.create_topics([NewTopic("clicks", 1, 1)])["clicks"].result(30)
    produce(servers, "clicks", records)
    server = KsqlServer(KsqlConfig(bootstrap_servers=servers, listen_port=0, data_dir=data / "k"))
    server.start()
    http = httpx.Client(base_url=server.url, timeout=60)
    http.post("/ksql", json={"ksql": "CREATE STREAM clicks (id STRING KEY, page STRING, ms INT) "
                             "WITH (kafka_topic='clicks', value_format='JSON');"})  # fmt: skip
    spark = SparkSession({"spark.sql.session.timeZone": "UTC"})
    try:
        for i, (scenario, statement) in enumerate(SCENARIOS.items()):

            def via_ksql(statement: str = statement, i: int = i) -> Any:
                body = {"ksql": statement.format(out=f"KSQL_OUT_{i}"),
                        "streamsProperties": {"auto.offset.reset": "earliest"}}  # fmt: skip
                answer = http.post("/ksql", json=body).json()
                query_id = answer[0]["commandStatus"]["queryId"]
                return server.engine.queries[query_id].query

            def via_program(scenario: str = scenario, i: int = i) -> Any:
                return program(spark, servers, scenario, f"program_out_{i}", data / f"ck{i}")

            ksql_wall, ksql_busy = timed(via_ksql, records)
            program_wall, program_busy = timed(via_program, records)
            print(
                f"{scenario}, {records:,} records, records/s from start (in batches): "
                f"kaspar.ksql {ksql_wall:,.0f} ({ksql_busy:,.0f}), program "
                f"{program_wall:,.0f} ({program_busy:,.0f}); ratio {ksql_wall / program_wall:.2f} "
                f"({ksql_busy / program_busy:.2f})"
            )
    finally:
        server.stop()
        broker.stop()


if __name__ == "__main__":
    main()
