"""Four streaming queries and a batch job at once on one SparkSession: the workload of
``tests/integration/test_many_queries.py`` and, run as its own process, of the crash test
``tests/e2e/test_many_queries_crash.py``.

Usage: ``many_queries_job.py SERVERS TOPIC_A TOPIC_B OUT_TOPIC ROOT (run|drain)``.

Records are JSON ``{"id": n}``. The queries, each with its checkpoint under ``ROOT/ckpt``:

* ``to_kafka``: TOPIC_A -> Kafka topic OUT_TOPIC (exactly once, one transaction per batch);
* ``to_delta``: TOPIC_B -> Delta table ``ROOT/delta`` (exactly once: txn appId/version);
* ``to_foreach``: TOPIC_A and TOPIC_B -> ``foreachBatch`` writing ``ROOT/batches/<id>.json``,
  idempotent by batch id as Spark's docs advise (foreachBatch itself is at least once: a
  batch re-run after a crash calls the function again, with the same rows);
* ``to_memory``: TOPIC_B -> the memory sink ``to_memory`` (gone with the process).

With TOPIC_A == TOPIC_B every query reads the same DataFrame. ``run`` runs until killed (a batch
job runs in another thread meanwhile); ``drain`` processes what is there (``availableNow``)
and exits.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from kaspar.sql import DataFrame, SparkSession
from kaspar.sql import functions as F
from kaspar.sql.streaming import DataStreamWriter

MAX_OFFSETS = "60"


def ids(spark: SparkSession, servers: str, topics: str) -> DataFrame:
    """The ``id`` of every record of ``topics`` (a comma-separated list)."""
    return (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", topics)
        .option("startingOffsets", "earliest")
        .option("maxOffsetsPerTrigger", MAX_OFFSETS)
        .load()
        .select(F.from_json(F.col("value").cast("string"), "id long").alias("r"))
        .select("r.id")
    )


def write_batch(folder: Path, frame: DataFrame, batch_id: int) -> None:
    """One file per batch id, replaced whole: a re-run of the batch writes the same file."""
    rows = sorted(r.id for r in frame.collect())
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{batch_id}.json.tmp"
    temporary.write_text(json.dumps(rows))
    os.replace(temporary, folder / f"{batch_id}.json")


def writers(
    spark: SparkSession,
    servers: str,
    topic_a: str,
    topic_b: str,
    out_topic: str,
    root: Path,
    available_now: bool = False,
) -> list[DataStreamWriter]:
    """The four queries, ready to ``start()``."""
    if topic_a == topic_b:  # one DataFrame for every query
        from_a = from_b = both = ids(spark, servers, topic_a)
    else:
        from_a, from_b = ids(spark, servers, topic_a), ids(spark, servers, topic_b)
        both = ids(spark, servers, f"{topic_a},{topic_b}")
    named = {
        "to_kafka": from_a.select(F.col("id").cast("string").alias("value"))
        .writeStream.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("topic", out_topic),
        "to_delta": from_b.writeStream.format("delta").option("path", str(root / "delta")),
        "to_foreach": both.writeStream.foreachBatch(
            lambda frame, batch_id: write_batch(root / "batches", frame, batch_id)
        ),
        "to_memory": from_b.writeStream.format("memory"),
    }
    result = []
    for name, writer in named.items():
        ready = writer.queryName(name).option("checkpointLocation", str(root / "ckpt" / name))
        result.append(ready.trigger(availableNow=True) if available_now else ready)
    return result


def batch_job(spark: SparkSession, rounds: int) -> list[Any]:
    """A batch query, again and again; its answers (each must be the same)."""
    frame = spark.createDataFrame([(i, i % 7) for i in range(2000)], "a long, b long")
    answers = []
    for _ in range(rounds):
        rows = frame.groupBy("b").agg(F.sum("a").alias("s")).orderBy("b").collect()
        answers.append([(r.b, r.s) for r in rows])
    return answers


def main(servers: str, topic_a: str, topic_b: str, out_topic: str, root: str, how: str) -> int:
    spark = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    prepared = writers(
        spark, servers, topic_a, topic_b, out_topic, Path(root), available_now=how == "drain"
    )
    queries = [writer.start() for writer in prepared]
    threading.Thread(target=batch_job, args=(spark, 10**6), daemon=True).start()
    print("started", flush=True)
    for query in queries:
        query.awaitTermination()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:7]))
