"""Order totals: Kafka orders → `from_json` → total per customer → Delta, then MERGE, time travel.

Seed 001's Structured Streaming and Delta Lake snippets, end to end:

1. Create the topic `orders` and produce order events (the ones `kaspar demo` produces:
   `{"order_id", "customerId", "amount", "ts"}`, keyed by customer).
2. The seed's first streaming query: the raw JSON of each order to the console sink.
3. The seed's full pipeline: `from_json` with the seed's schema, `groupBy("customerId")`,
   `sum("amount")`, written to a Delta table in complete mode with a checkpoint. `kaspar demo`
   runs this same pipeline with a live progress display.
4. Spark SQL over the stream: the orders above 100 (ksqlDB's `SELECT ... EMIT CHANGES`).
5. The seed's Delta snippet: read the table, MERGE (upsert) corrected totals from
   `updates.jsonl` by customer, and time travel to the version before the merge.

The pipeline is PySpark's and delta-spark's API: with `from pyspark.sql import ...` and
`from delta.tables import DeltaTable` it runs on Apache Spark.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from examples._platform import add_platform_arguments, create_topics, kafka_platform, produce
from kaspar.cli.demo import order_events
from kaspar.delta.tables import DeltaTable
from kaspar.sql import DataFrame, SparkSession
from kaspar.sql.functions import col, from_json
from kaspar.sql.functions import sum as _sum
from kaspar.sql.streaming import StreamingQuery
from kaspar.sql.types import DoubleType, StringType, StructType

HERE = Path(__file__).resolve().parent
TOPIC = "orders"
ORDERS = 40
BOUNDED_S = 30


def read_orders(spark: SparkSession, bootstrap_servers: str) -> DataFrame:
    """The seed's `spark.readStream.format("kafka")`, from the start of the topic."""
    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("subscribe", TOPIC)
        .option("startingOffsets", "earliest")
        .load()
    )


def show_raw_orders(spark: SparkSession, bootstrap_servers: str) -> None:
    """Seed 001's first streaming query: the raw JSON of the orders on the console."""
    stream = read_orders(spark, bootstrap_servers)
    parsed = stream.selectExpr("CAST(value AS STRING) as json")
    query = (
        parsed.writeStream.format("console")
        .outputMode("append")
        .option("truncate", "false")
        .option("numRows", 5)
        .trigger(availableNow=True)
        .start()
    )
    await_end(query)


def order_totals(spark: SparkSession, bootstrap_servers: str) -> DataFrame:
    """Seed 001's aggregation: `from_json` of the orders, total amount per customer."""
    orders = read_orders(spark, bootstrap_servers)
    schema = StructType().add("customerId", StringType()).add("amount", DoubleType())
    parsed = orders.select(from_json(col("value").cast("string"), schema).alias("data")).select(
        "data.*"
    )
    return parsed.groupBy("customerId").agg(_sum("amount").alias("total"))


def total_per_customer(spark: SparkSession, bootstrap_servers: str, data_dir: Path) -> None:
    """Seed 001's full pipeline: Kafka → aggregate → Delta, complete mode."""
    query = (
        order_totals(spark, bootstrap_servers)
        .writeStream.format("delta")
        .outputMode("complete")
        .option("checkpointLocation", str(data_dir / "checkpoints" / "totals"))
        .trigger(availableNow=True)
        .start(str(data_dir / "order_totals"))
    )
    await_end(query)


def large_orders(spark: SparkSession, bootstrap_servers: str) -> list[tuple[str, float]]:
    """ksqlDB's `SELECT orderId, amount FROM orders WHERE amount > 100` as Spark SQL on a stream."""
    schema = StructType().add("order_id", StringType()).add("amount", DoubleType())
    orders = read_orders(spark, bootstrap_servers)
    orders.select(from_json(col("value").cast("string"), schema).alias("o")).select(
        "o.*"
    ).createOrReplaceTempView("orders")
    query = (
        spark.sql("SELECT order_id, amount FROM orders WHERE amount > 100")
        .writeStream.format("memory")
        .queryName("large_orders")
        .trigger(availableNow=True)
        .start()
    )
    await_end(query)
    rows = spark.sql("SELECT * FROM large_orders ORDER BY order_id").collect()
    return [(row.order_id, row.amount) for row in rows]


def upsert_and_time_travel(spark: SparkSession, data_dir: Path) -> None:
    """Seed 001's Delta snippet on the totals: read, MERGE the updates, read an older version."""
    path = str(data_dir / "order_totals")
    df = spark.read.format("delta").load(path)
    print_totals("totals from the stream", df)
    before_merge = DeltaTable.forPath(spark, path).history(1).first().version

    updates = spark.read.json(str(HERE / "updates.jsonl"))
    deltaTable = DeltaTable.forPath(spark, path)
    deltaTable.alias("target").merge(
        updates.alias("source"), "target.customerId = source.customerId"
    ).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
    print_totals("after MERGE of updates.jsonl", spark.read.format("delta").load(path))

    df_old = spark.read.format("delta").option("versionAsOf", before_merge).load(path)
    print_totals(f"time travel: versionAsOf {before_merge}", df_old)
    print("history:")
    for row in deltaTable.history().select("version", "operation").collect():
        print(f"  version {row.version}: {row.operation}")


def print_totals(title: str, totals: DataFrame) -> None:
    print(f"{title}:")
    for row in totals.orderBy("customerId").collect():
        print(f"  {row.customerId:<10} {row.total:>10.2f}")


def await_end(query: StreamingQuery) -> None:
    """Wait for an `availableNow` query to end; fail if it does not, or fails."""
    query.awaitTermination(BOUNDED_S)
    if query.isActive or query.exception() is not None:
        query.stop()
        raise RuntimeError(f"the streaming query did not finish: {query.exception()}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_platform_arguments(parser)
    args = parser.parse_args(argv)
    with kafka_platform(args.bootstrap_servers, args.data_dir) as platform:
        bootstrap, data_dir = platform.bootstrap_servers, platform.data_dir
        print(f"Kafka at {bootstrap}, data in {data_dir}")
        create_topics(bootstrap, {TOPIC: 3})
        events = ((key, value.decode()) for key, value in order_events(ORDERS))
        print(f"produced {produce(bootstrap, TOPIC, events)} orders to {TOPIC}")
        spark = SparkSession.builder.appName("order_totals").getOrCreate()
        show_raw_orders(spark, bootstrap)
        total_per_customer(spark, bootstrap, data_dir)
        large = large_orders(spark, bootstrap)
        print(f"{len(large)} orders above 100, the first: {large[:3]}")
    upsert_and_time_travel(spark, data_dir)
    print(f"the Delta table is {data_dir / 'order_totals'}")


if __name__ == "__main__":
    main()
