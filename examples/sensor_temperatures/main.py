"""Sensor temperatures: each sensor's average over the last minute, by event time, with a watermark.

Seed 000's stateful example ("the average temperature of temperature sensor readings over the
last minute"):

1. Create the topic `sensors` and produce `readings.jsonl`: three sensors, one reading each every
   10 seconds for 5 minutes, keyed by sensor.
2. Run the streaming query: parse the readings, `withWatermark("timestamp", "1 minute")`,
   average per sensor over 1 minute windows that start every 30 seconds, in append mode to
   Parquet with a checkpoint. A window's row is written once the watermark (the latest event
   time seen, minus 1 minute) passes the window's end; its state is then dropped.
3. Produce `more_readings.jsonl`: one more minute of readings, and a reading from 09:01:15 that
   arrives too late (older than the watermark), and run the query again on the same checkpoint:
   the late reading is dropped and counted in the progress, the new windows are written.

The pipeline is PySpark's API: with `from pyspark.sql import ...` it runs on Apache Spark.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from examples._platform import add_platform_arguments, create_topics, kafka_platform, produce
from kaspar.sql import DataFrame, SparkSession
from kaspar.sql.functions import avg, col, count, from_json, window
from kaspar.sql.types import DoubleType, StringType, StructType, TimestampType

HERE = Path(__file__).resolve().parent
TOPIC = "sensors"
BOUNDED_S = 30

schema = (
    StructType()
    .add("sensorId", StringType())
    .add("temperature", DoubleType())
    .add("timestamp", TimestampType())
)


def average_temperatures(spark: SparkSession, bootstrap_servers: str) -> DataFrame:
    """Average temperature per sensor and 1 minute window (sliding every 30 s), by event time."""
    readings = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("subscribe", TOPIC)
        .option("startingOffsets", "earliest")
        .load()
        .select(from_json(col("value").cast("string"), schema).alias("reading"))
        .select("reading.*")
    )
    return (
        readings.withWatermark("timestamp", "1 minute")
        .groupBy(window("timestamp", "1 minute", "30 seconds"), "sensorId")
        .agg(avg("temperature").alias("avg_temperature"), count("*").alias("readings"))
        .select(
            col("window.start").alias("window_start"),
            col("window.end").alias("window_end"),
            "sensorId",
            "avg_temperature",
            "readings",
        )
    )


def run_averages(spark: SparkSession, bootstrap_servers: str, data_dir: Path) -> dict[str, int]:
    """Run the query until the topic is read; returns what its batches report."""
    query = (
        average_temperatures(spark, bootstrap_servers)
        .writeStream.format("parquet")
        .outputMode("append")
        .option("path", str(data_dir / "sensor_averages"))
        .option("checkpointLocation", str(data_dir / "checkpoints" / "sensor_averages"))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination(BOUNDED_S)
    if query.isActive or query.exception() is not None:
        query.stop()
        raise RuntimeError(f"the sensor query did not finish: {query.exception()}")
    batches = query.recentProgress
    return {
        "input rows": sum(b["numInputRows"] for b in batches),
        "windows written": sum(b["sink"]["numOutputRows"] for b in batches),
        "late rows dropped (one per window)": sum(
            op["numRowsDroppedByWatermark"] for b in batches for op in b["stateOperators"]
        ),
        "watermark": batches[-1]["eventTime"].get("watermark", "-"),
    }


def readings_of(name: str) -> list[tuple[str | None, str]]:
    lines = (HERE / name).read_text().splitlines()
    return [(json.loads(line)["sensorId"], line) for line in lines]


def print_averages(spark: SparkSession, data_dir: Path) -> None:
    averages = spark.read.parquet(str(data_dir / "sensor_averages"))
    print("window (end)  sensor  avg temperature  readings")
    for row in averages.orderBy("window_end", "sensorId").collect():
        end = row.window_end.strftime("%H:%M:%S")
        print(f"{end:<13} {row.sensorId:<7} {row.avg_temperature:>15.3f}  {row.readings:>8}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_platform_arguments(parser)
    args = parser.parse_args(argv)
    with kafka_platform(args.bootstrap_servers, args.data_dir) as platform:
        bootstrap, data_dir = platform.bootstrap_servers, platform.data_dir
        print(f"Kafka at {bootstrap}, data in {data_dir}")
        spark = (
            SparkSession.builder.appName("sensor_temperatures")
            .config("spark.sql.session.timeZone", "UTC")
            .getOrCreate()
        )
        create_topics(bootstrap, {TOPIC: 3})
        for name in ("readings.jsonl", "more_readings.jsonl"):
            produced = produce(bootstrap, TOPIC, readings_of(name))
            print(f"\nproduced {produced} readings of {name} to {TOPIC}")
            for what, value in run_averages(spark, bootstrap, data_dir).items():
                print(f"  {what}: {value}")
    print()
    print_averages(spark, data_dir)


if __name__ == "__main__":
    main()
