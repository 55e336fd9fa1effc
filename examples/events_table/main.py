"""Events table: Kafka records whose key and value are both JSON → a Delta table, every 10 seconds.

Seed 002's "continuous Delta Lake writes" snippet in Python:

1. Create the topic `events`.
2. Start the seed's query: parse the key with `keySchema` and the value with `valueSchema`,
   flatten both, and write to the Delta table `events_table` with `toTable(...)`, triggered every
   10 seconds (`processingTime`). Like the seed, it reads from the latest offsets.
3. Once the query runs, produce the events of `events.jsonl` (key `{"user_id"}`, value
   `{"event_type", "event_ts"}`). The next trigger, up to 10 seconds later, writes them.
4. Stop the query once every event is in the table; print the table and when each batch ran.
5. The seed's SQL version (a Databricks streaming table over `read_kafka`), as Spark SQL over
   the Kafka source: `get_json_object` for the `key::string:user_id` paths, into `events_sql`.

The pipeline is PySpark's API: with `from pyspark.sql import ...` it runs on Apache Spark
(with Delta Lake's catalog configured for `toTable`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from examples._platform import add_platform_arguments, create_topics, kafka_platform, produce
from kaspar.sql import DataFrame, SparkSession
from kaspar.sql.functions import col, from_json
from kaspar.sql.streaming import StreamingQuery
from kaspar.sql.types import StringType, StructType

HERE = Path(__file__).resolve().parent
TOPIC = "events"
WAIT_S = 40

keySchema = StructType().add("user_id", StringType())
valueSchema = StructType().add("event_type", StringType()).add("event_ts", StringType())


def parsed_events(spark: SparkSession, kafka_options: dict[str, str]) -> DataFrame:
    """The seed's read: key and value parsed from JSON, then flattened."""
    return (
        spark.readStream.format("kafka")
        .options(**kafka_options)
        .load()
        .select(
            from_json(col("key").cast("string"), keySchema).alias("key"),
            from_json(col("value").cast("string"), valueSchema).alias("value"),
        )
        .select("key.*", "value.*")
    )


def start_events_table(
    spark: SparkSession, bootstrap_servers: str, data_dir: Path
) -> StreamingQuery:
    """The seed's write: Delta, a checkpoint, a 10 second trigger, a catalog table."""
    kafka_options = {"kafka.bootstrap.servers": bootstrap_servers, "subscribe": TOPIC}
    parsed_df = parsed_events(spark, kafka_options)
    return (
        parsed_df.writeStream.format("delta")
        .option("checkpointLocation", str(data_dir / "checkpoints" / "events_table"))
        .trigger(processingTime="10 seconds")
        .toTable("events_table")
    )


def events_by_sql(spark: SparkSession, bootstrap_servers: str, data_dir: Path) -> None:
    """The seed's `CREATE OR REFRESH STREAMING TABLE ... read_kafka(...)` in Spark SQL."""
    (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("subscribe", TOPIC)
        .option("startingOffsets", "earliest")
        .load()
        .createOrReplaceTempView("kafka_events")
    )
    events = spark.sql(
        """
        SELECT get_json_object(CAST(key AS STRING), '$.user_id') AS user_id,
               get_json_object(CAST(value AS STRING), '$.event_type') AS event_type,
               to_timestamp(get_json_object(CAST(value AS STRING), '$.event_ts')) AS event_ts
        FROM kafka_events
        """
    )
    query = (
        events.writeStream.format("delta")
        .option("checkpointLocation", str(data_dir / "checkpoints" / "events_sql"))
        .trigger(availableNow=True)
        .toTable("events_sql")
    )
    query.awaitTermination(WAIT_S)
    if query.isActive or query.exception() is not None:
        query.stop()
        raise RuntimeError(f"the SQL query did not finish: {query.exception()}")


def wait_for_rows(query: StreamingQuery, started_batches: int, rows: int) -> None:
    """Wait until batches after the first `started_batches` have read `rows` records."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if query.exception() is not None:
            raise RuntimeError(f"the events query failed: {query.exception()}")
        batches = query.recentProgress[started_batches:]
        if sum(batch["numInputRows"] for batch in batches) >= rows:
            return
        time.sleep(0.2)
    raise TimeoutError(f"the events query did not read {rows} records in {WAIT_S} s")


def wait_for_first_batch(query: StreamingQuery) -> int:
    """The first trigger runs at once: it fixes the starting (latest) offsets."""
    deadline = time.monotonic() + WAIT_S
    while not query.recentProgress:
        if query.exception() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the events query did not start: {query.exception()}")
        time.sleep(0.1)
    return len(query.recentProgress)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_platform_arguments(parser)
    args = parser.parse_args(argv)
    with kafka_platform(args.bootstrap_servers, args.data_dir) as platform:
        bootstrap, data_dir = platform.bootstrap_servers, platform.data_dir
        print(f"Kafka at {bootstrap}, data in {data_dir}")
        spark = (
            SparkSession.builder.appName("events_table")
            .config("spark.sql.warehouse.dir", str(data_dir / "spark-warehouse"))
            .getOrCreate()
        )
        create_topics(bootstrap, {TOPIC: 2})
        query = start_events_table(spark, bootstrap, data_dir)
        started = wait_for_first_batch(query)
        events = [json.loads(line) for line in (HERE / "events.jsonl").read_text().splitlines()]
        records = [(json.dumps(e["key"]), json.dumps(e["value"])) for e in events]
        print(f"produced {produce(bootstrap, TOPIC, records)} events to {TOPIC}")
        wait_for_rows(query, started, len(records))
        query.stop()
        for batch in query.recentProgress:
            print(f"trigger at {batch['timestamp']}: {batch['numInputRows']} rows")
        events_by_sql(spark, bootstrap, data_dir)

    spark.table("events_table").orderBy("event_ts").show(truncate=False)
    sql_rows = spark.table("events_sql").count()
    print(f"events_sql (the SQL version) holds {sql_rows} events")
    location = data_dir / "spark-warehouse" / "events_table"
    print(f"the Delta table events_table is {location}")


if __name__ == "__main__":
    main()
