"""Trip data, batch then stream: Kafka JSON records → `from_json` with a schema → Parquet.

Seed 002's two Scala snippets in Python:

1. Create the topic `tripdata` and produce the taxi trips of `trips.jsonl`, one JSON record each.
2. Batch: `spark.read.format("kafka")` from the earliest offsets, parse the value with the trip
   schema, write `batchtripdata/` as Parquet. The query reads what the topic holds now, and ends.
3. Stream: the same with `spark.readStream` and `writeStream`, into `streamingtripdata/`, with a
   checkpoint. `availableNow` stops it once the topic is read (the seed's query runs on; it
   only waits 30 seconds for it).
4. List the files written (the seed checks them with `hdfs dfs -ls`) and read both back.

The pipeline is PySpark's API: with `from pyspark.sql import ...` it runs on Apache Spark.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from examples._platform import add_platform_arguments, create_topics, kafka_platform, produce
from kaspar.sql import SparkSession
from kaspar.sql.functions import col, from_json
from kaspar.sql.types import (
    DoubleType,
    IntegerType,
    StructField,
    StructType,
    TimestampType,
)

HERE = Path(__file__).resolve().parent
TOPIC = "tripdata"

schema = StructType(
    [
        StructField("vendorid", IntegerType()),
        StructField("lpep_pickup_datetime", TimestampType()),
        StructField("lpep_dropoff_datetime", TimestampType()),
        StructField("passenger_count", IntegerType()),
        StructField("trip_distance", DoubleType()),
        StructField("fare_amount", DoubleType()),
        StructField("tip_amount", DoubleType()),
        StructField("total_amount", DoubleType()),
        StructField("payment_type", IntegerType()),
    ]
)


def batch_trips(spark: SparkSession, kafka_brokers: str, data_dir: Path) -> None:
    """Seed 002's batch snippet: read the topic once, write the parsed trips to Parquet."""
    kafka_df = (
        spark.read.format("kafka")
        .option("kafka.bootstrap.servers", kafka_brokers)
        .option("subscribe", TOPIC)
        .option("startingOffsets", "earliest")
        .load()
    )
    (
        kafka_df.select(from_json(col("value").cast("string"), schema).alias("trip"))
        .write.format("parquet")
        .option("path", str(data_dir / "batchtripdata"))
        .option("checkpointLocation", str(data_dir / "batchcheckpoint"))
        .save()
    )


def stream_trips(spark: SparkSession, kafka_brokers: str, data_dir: Path) -> None:
    """Seed 002's streaming snippet, bounded with `availableNow`."""
    kafka_stream_df = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", kafka_brokers)
        .option("subscribe", TOPIC)
        .option("startingOffsets", "earliest")
        .load()
    )
    query = (
        kafka_stream_df.select(from_json(col("value").cast("string"), schema).alias("trip"))
        .writeStream.format("parquet")
        .option("path", str(data_dir / "streamingtripdata"))
        .option("checkpointLocation", str(data_dir / "streamcheckpoint"))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination(30)
    if query.isActive or query.exception() is not None:
        query.stop()
        raise RuntimeError(f"the trip stream did not finish: {query.exception()}")


def list_files(directory: Path) -> None:
    """What `hdfs dfs -ls <directory>` shows: the data files of the output."""
    files = sorted(p for p in directory.iterdir() if p.is_file())
    print(f"Found {len(files)} items in {directory}")
    for path in files:
        print(f"  {path.stat().st_size:>8}  {path.name}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_platform_arguments(parser)
    args = parser.parse_args(argv)
    with kafka_platform(args.bootstrap_servers, args.data_dir) as platform:
        data_dir = platform.data_dir
        print(f"Kafka at {platform.bootstrap_servers}, data in {data_dir}")
        create_topics(platform.bootstrap_servers, {TOPIC: 2})
        lines = (HERE / "trips.jsonl").read_text().splitlines()
        produced = produce(platform.bootstrap_servers, TOPIC, [(None, line) for line in lines])
        print(f"produced {produced} trips to {TOPIC}")
        spark = SparkSession.builder.appName("trip_data").getOrCreate()
        batch_trips(spark, platform.bootstrap_servers, data_dir)
        stream_trips(spark, platform.bootstrap_servers, data_dir)

    for name in ("batchtripdata", "streamingtripdata"):
        list_files(data_dir / name)
        trips = spark.read.parquet(str(data_dir / name)).select("trip.*")
        total = trips.agg({"total_amount": "sum"}).first()[0]
        print(f"{name}: {trips.count()} trips, total amount {total:.2f}")
    trips.orderBy("lpep_pickup_datetime").show(5)


if __name__ == "__main__":
    main()
