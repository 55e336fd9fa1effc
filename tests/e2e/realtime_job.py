"""A real-time query run as its own process by ``test_realtime_crash.py`` (``python -m ...``).

Usage: ``realtime_job.py (map|dedup|count) SERVERS TOPIC CHECKPOINT TARGET (run|drain)``.
``map``: ids -> from_json -> filter -> the id as the value of topic TARGET;
``dedup``: the same through ``dropDuplicates(["id"])``; ``count``: records per ``id % 10``
(update mode), each update ``{"g": ..., "count": ...}`` as the value. All with ``trigger(realTime="2
seconds")`` and the exactly-once Kafka sink (one transaction per epoch). ``run`` processes
until killed; ``drain`` processes what is there, stops (closing and committing the epoch) and
exits.
"""

from __future__ import annotations

import sys

from kaspar.sql import SparkSession
from kaspar.sql import functions as F

SCHEMA = "id long, copy int"


def main(kind: str, servers: str, topic: str, checkpoint: str, target: str, how: str) -> int:
    spark = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    ids = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topic)
        .option("startingOffsets", "earliest")
        .load()
        .select(F.from_json(F.col("value").cast("string"), SCHEMA).alias("r"))
        .select("r.*")
    )
    if kind == "count":
        counts = ids.groupBy((F.col("id") % 10).alias("g")).count()
        output = counts.select(F.to_json(F.struct("g", "count")).alias("value"))
    else:
        ids = ids.dropDuplicates(["id"]) if kind == "dedup" else ids.filter(F.col("copy") == 0)
        output = ids.select(F.col("id").cast("string").alias("value"))
    query = (
        output.writeStream.format("kafka")
        .outputMode("update" if kind == "count" else "append")
        .option("kafka.bootstrap.servers", servers)
        .option("topic", target)
        .option("deliveryGuarantee", "exactly-once")
        .option("checkpointLocation", checkpoint)
        .trigger(realTime="2 seconds")
        .start()
    )
    print("started", flush=True)
    if how == "drain":
        query.processAllAvailable()
        query.stop()
        return 0
    query.awaitTermination()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:7]))
