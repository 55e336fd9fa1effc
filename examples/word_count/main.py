"""Word count: a topic of text lines, counted per word by Structured Streaming, kept in Parquet.

Seed 000's Scala example in Python:

1. Create the topic `foo` and produce the lines of `lines.txt`, one record each.
2. Run the streaming query: split each line on whitespace, explode into words, count per word.
   The counts are an aggregation, so they go out in complete mode through `foreachBatch`, which
   overwrites a Parquet directory with the latest counts at every micro-batch (Spark's Parquet
   sink itself only appends; see README.md). `availableNow` makes the query stop once the topic
   is read.
3. Produce `more_lines.txt` and run the same query again with the same checkpoint: it resumes at
   the offsets it stopped at, with the counts restored from its state, and the Parquet directory
   now holds the counts of every line.

The pipeline is PySpark's API: with `from pyspark.sql import ...` it runs on Apache Spark.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `examples` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from examples._platform import add_platform_arguments, create_topics, kafka_platform, produce
from kaspar.sql import DataFrame, SparkSession
from kaspar.sql.functions import col, explode, split

HERE = Path(__file__).resolve().parent
TOPIC = "foo"


def word_counts(spark: SparkSession, bootstrap_servers: str) -> DataFrame:
    """The seed's query: words of the `foo` topic, counted."""
    df = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap_servers)
        .option("subscribe", TOPIC)
        .option("startingOffsets", "earliest")
        .load()
    )
    return (
        df.select(explode(split(col("value").cast("string"), "\\s+")).alias("word"))
        .groupBy("word")
        .count()
    )


def run_word_count(spark: SparkSession, bootstrap_servers: str, data_dir: Path) -> None:
    """Run the query until the topic is read; the counts end up in `data_dir/wordCount`."""
    output = str(data_dir / "wordCount")

    def write_counts(batch: DataFrame, batch_id: int) -> None:
        batch.write.mode("overwrite").parquet(output)

    query = (
        word_counts(spark, bootstrap_servers)
        .writeStream.outputMode("complete")
        .foreachBatch(write_counts)
        .option("checkpointLocation", str(data_dir / "streamcheckpoint"))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination(30)
    if query.isActive or query.exception() is not None:
        query.stop()
        raise RuntimeError(f"the word count query did not finish: {query.exception()}")


def lines_of(name: str) -> list[tuple[str | None, str]]:
    return [(None, line) for line in (HERE / name).read_text().splitlines() if line]


def top_words(spark: SparkSession, data_dir: Path) -> list[tuple[str, int]]:
    counts = spark.read.parquet(str(data_dir / "wordCount"))
    rows = counts.orderBy(col("count").desc(), col("word")).collect()
    return [(row.word, row["count"]) for row in rows]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    add_platform_arguments(parser)
    args = parser.parse_args(argv)
    with kafka_platform(args.bootstrap_servers, args.data_dir) as platform:
        print(f"Kafka at {platform.bootstrap_servers}, data in {platform.data_dir}")
        spark = SparkSession.builder.appName("word_count").getOrCreate()
        create_topics(platform.bootstrap_servers, {TOPIC: 2})
        for name in ("lines.txt", "more_lines.txt"):
            produced = produce(platform.bootstrap_servers, TOPIC, lines_of(name))
            print(f"\nproduced {produced} lines of {name} to {TOPIC}")
            run_word_count(spark, platform.bootstrap_servers, platform.data_dir)
            counts = top_words(spark, platform.data_dir)
            print(f"{len(counts)} words in {platform.data_dir / 'wordCount'}, the most frequent:")
            for word, count in counts[:5]:
                print(f"  {word:<12} {count}")


if __name__ == "__main__":
    main()
