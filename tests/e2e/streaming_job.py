"""A streaming query run as its own process by the crash tests (``python -m ...``).

Usage: ``streaming_job.py (delta|kafka) SERVERS TOPIC CHECKPOINT TARGET (run|drain)``.
``delta``: orders -> from_json -> groupBy(customerId) sum/count -> Delta (complete mode).
``kafka``: orders -> from_json -> select id -> Kafka topic TARGET (exactly-once sink).
``run`` processes until killed; ``drain`` processes what is there (availableNow) and exits.
"""

from __future__ import annotations

import sys

from kaspar.sql import SparkSession
from kaspar.sql import functions as F

SCHEMA = "id long, customerId string, amount long"


def main(kind: str, servers: str, topic: str, checkpoint: str, target: str, how: str) -> int:
    spark = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    orders = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", "40")
        .load()
        .select(F.from_json(F.col("value").cast("string"), SCHEMA).alias("o"))
        .select("o.*")
    )
    if kind == "delta":
        writer = (
            orders.groupBy("customerId")
            .agg(F.sum("amount").alias("total"), F.count("*").alias("orders"))
            .writeStream.format("delta")
            .outputMode("complete")
            .option("path", target)
        )
    else:
        writer = (
            orders.select(F.col("id").cast("string").alias("value"))
            .writeStream.format("kafka")
            .option("kafka.bootstrap.servers", servers)
            .option("topic", target)
        )
    writer = writer.option("checkpointLocation", checkpoint)
    if how == "drain":
        writer = writer.trigger(availableNow=True)
    query = writer.start()
    print("started", flush=True)
    query.awaitTermination()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:7]))
