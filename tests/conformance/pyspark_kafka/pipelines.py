"""The pipelines of examples 1-5 on one engine against a given Kafka; results as JSON.

``python -m tests.conformance.pyspark_kafka.pipelines --engine pyspark|kaspar
--bootstrap-servers HOST:PORT --out DIR [--jars DIR]`` runs, in order:

1. word_count: the lines of both files, counted by the example's query (``run_word_count``,
   once per file, same checkpoint); then the counts written by Spark's Kafka sink (update
   mode) to the topic ``word-counts`` and read back with ``spark.read.format("kafka")``.
2. trip_data: the example's batch read and its ``readStream``, both to Parquet.
3. order_totals: the example's Kafka stream, totals per customer (complete mode, memory sink),
   and its Spark SQL query of the orders above 100.
4. events_table: the example's key and value JSON parsing, from the earliest offsets.
5. sensor_temperatures: the example's windows with a watermark, in two runs (the second with a
   late reading), and what their progress reports.

The examples' functions are called as they are. With ``--engine pyspark`` the names
``kaspar.sql``, ``kaspar.sql.functions``, ``.types`` and ``.streaming`` are PySpark's modules
before the examples are imported: the switch of import DESIGN.md promises, done for them.
Outputs are read back with pyarrow (not with the engine under test) and written to
``DIR/results.json``; the topics are produced here, by the examples' own helpers.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

TIMEOUT_S = 60


def use_pyspark_as_kaspar_sql() -> None:
    import pyspark.sql.functions
    import pyspark.sql.streaming
    import pyspark.sql.types  # noqa: F401

    # the examples' other kaspar imports, bound to kaspar's own modules before the switch
    import kaspar.cli.demo
    import kaspar.delta.tables  # noqa: F401

    for name in ("", ".functions", ".types", ".streaming"):
        sys.modules["kaspar.sql" + name] = sys.modules["pyspark.sql" + name]


def spark_session(engine: str, jars: Path | None) -> Any:
    from kaspar.sql import SparkSession  # PySpark's after use_pyspark_as_kaspar_sql

    builder = SparkSession.builder.appName("examples-on-kaspar").config(
        "spark.sql.session.timeZone", "UTC"
    )
    if engine == "pyspark":
        builder = (
            builder.master("local[2]")
            .config("spark.jars", ",".join(str(j) for j in sorted((jars or Path()).glob("*.jar"))))
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        )
    spark = builder.getOrCreate()
    if engine == "pyspark":
        spark.sparkContext.setLogLevel("ERROR")
    return spark


def plain(value: Any) -> Any:
    """JSON-able and engine-neutral: timestamps as naive UTC ISO text, floats rounded."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return round(value, 6)
    if hasattr(value, "isoformat"):
        if getattr(value, "tzinfo", None) is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode()
    return value


def parquet_rows(directory: Path) -> list[Any]:
    rows = [plain(row) for row in pq.read_table(directory).to_pylist()]
    return sorted(rows, key=json.dumps)


def collected(rows: list[Any]) -> list[Any]:
    return sorted((plain(row.asDict(recursive=True)) for row in rows), key=json.dumps)


def await_end(query: Any) -> None:
    query.awaitTermination(TIMEOUT_S)
    if query.isActive or query.exception() is not None:
        query.stop()
        raise RuntimeError(f"query did not finish: {query.exception()}")


def word_count(spark: Any, servers: str, out: Path) -> dict[str, Any]:
    from examples._platform import create_topics, produce
    from examples.word_count import main as example

    create_topics(servers, {example.TOPIC: 2})
    for name in ("lines.txt", "more_lines.txt"):
        produce(servers, example.TOPIC, example.lines_of(name))
        example.run_word_count(spark, servers, out)
    query = (
        example.word_counts(spark, servers)
        .selectExpr("word AS key", "CAST(`count` AS STRING) AS value")
        .writeStream.format("kafka")
        .outputMode("update")
        .option("kafka.bootstrap.servers", servers)
        .option("topic", "word-counts")
        .option("checkpointLocation", str(out / "checkpoints" / "kafka-sink"))
        .trigger(availableNow=True)
        .start()
    )
    await_end(query)
    written = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", servers)
        .option("subscribe", "word-counts")
        .option("startingOffsets", "earliest")
        .load()
        .selectExpr("CAST(key AS STRING) AS key", "CAST(value AS STRING) AS value", "offset")
        .collect()
    )
    last = {r.key: r.value for r in sorted(written, key=lambda r: r.offset)}
    return {"counts": parquet_rows(out / "wordCount"), "kafka_sink": last}


def trip_data(spark: Any, servers: str, out: Path) -> dict[str, Any]:
    from examples._platform import create_topics, produce
    from examples.trip_data import main as example

    create_topics(servers, {example.TOPIC: 2})
    lines = (example.HERE / "trips.jsonl").read_text().splitlines()
    produce(servers, example.TOPIC, [(None, line) for line in lines])
    example.batch_trips(spark, servers, out)
    example.stream_trips(spark, servers, out)
    return {
        "batch": parquet_rows(out / "batchtripdata"),
        "stream": parquet_rows(out / "streamingtripdata"),
    }


def order_totals(spark: Any, servers: str, out: Path) -> dict[str, Any]:
    from examples._platform import create_topics, produce
    from examples.order_totals import main as example
    from kaspar.cli.demo import order_events
    from kaspar.sql.functions import col, from_json
    from kaspar.sql.functions import sum as _sum
    from kaspar.sql.types import DoubleType, StringType, StructType

    create_topics(servers, {example.TOPIC: 3})
    events = [(key, value.decode()) for key, value in order_events(example.ORDERS)]
    produce(servers, example.TOPIC, events)
    schema = StructType().add("customerId", StringType()).add("amount", DoubleType())
    parsed = example.read_orders(spark, servers).select(
        from_json(col("value").cast("string"), schema).alias("d")
    )
    query = (
        parsed.select("d.*")
        .groupBy("customerId")
        .agg(_sum("amount").alias("total"))
        .writeStream.format("memory")
        .queryName("order_totals")
        .outputMode("complete")
        .trigger(availableNow=True)
        .start()
    )
    await_end(query)
    totals = collected(spark.sql("SELECT * FROM order_totals").collect())
    return {"totals": totals, "large_orders": plain(example.large_orders(spark, servers))}


def events_table(spark: Any, servers: str, out: Path) -> dict[str, Any]:
    from examples._platform import create_topics, produce
    from examples.events_table import main as example

    create_topics(servers, {example.TOPIC: 2})
    events = [json.loads(line) for line in (example.HERE / "events.jsonl").read_text().splitlines()]
    produce(
        servers, example.TOPIC, [(json.dumps(e["key"]), json.dumps(e["value"])) for e in events]
    )
    options = {
        "kafka.bootstrap.servers": servers,
        "subscribe": example.TOPIC,
        "startingOffsets": "earliest",
    }
    query = (
        example.parsed_events(spark, options)
        .writeStream.format("memory")
        .queryName("events")
        .trigger(availableNow=True)
        .start()
    )
    await_end(query)
    return {"rows": collected(spark.sql("SELECT * FROM events").collect())}


def sensor_temperatures(spark: Any, servers: str, out: Path) -> dict[str, Any]:
    from examples._platform import create_topics, produce
    from examples.sensor_temperatures import main as example

    create_topics(servers, {example.TOPIC: 3})
    runs = []
    for name in ("readings.jsonl", "more_readings.jsonl"):
        produce(servers, example.TOPIC, example.readings_of(name))
        runs.append(example.run_averages(spark, servers, out))
    return {"windows": parquet_rows(out / "sensor_averages"), "runs": runs}


PIPELINES = [word_count, trip_data, order_totals, events_table, sensor_temperatures]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--engine", choices=["kaspar", "pyspark"], required=True)
    parser.add_argument("--bootstrap-servers", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--jars", type=Path, help="spark-sql-kafka-0-10 and its dependencies")
    args = parser.parse_args()
    if args.engine == "pyspark":
        use_pyspark_as_kaspar_sql()
    spark = spark_session(args.engine, args.jars)
    results = {}
    for pipeline in PIPELINES:
        out = args.out / pipeline.__name__
        out.mkdir(parents=True, exist_ok=True)
        results[pipeline.__name__] = pipeline(spark, args.bootstrap_servers, out)
    (args.out / "results.json").write_text(json.dumps(results, indent=1, sort_keys=True))
    spark.stop()


if __name__ == "__main__":
    main()
