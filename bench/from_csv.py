"""``from_csv`` throughput: N CSV lines (a long, a string, a double) parsed into a struct and
aggregated, beside the same query written with ``split`` and Spark's casts (which know no CSV:
quotes, escapes, Java's number grammar, malformed records).

    python -m bench.from_csv [--rows 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time

from kaspar.sql import SparkSession
from kaspar.sql import functions as F


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    spark = SparkSession.builder.getOrCreate()
    lines = spark.range(args.rows).select(
        F.concat_ws(",", "id", F.lit("name"), (F.col("id") * 1.5).cast("string")).alias("line")
    )
    parsed = lines.select(F.from_csv("line", "a long, b string, c double").alias("r"))
    csv = parsed.select("r.*").agg(F.sum("a"), F.count("b"), F.sum("c"))
    parts = lines.select(F.split("line", ",").alias("p")).select(
        F.col("p")[0].cast("long").alias("a"),
        F.col("p")[1].alias("b"),
        F.col("p")[2].cast("double").alias("c"),
    )
    floor = parts.agg(F.sum("a"), F.count("b"), F.sum("c"))
    rates: dict[str, list[float]] = {"from_csv": [], "split + cast": []}
    for _ in range(args.runs):
        for label, query in (("from_csv", csv), ("split + cast", floor)):
            started = time.perf_counter()
            query.collect()
            rates[label].append(args.rows / (time.perf_counter() - started))
    assert csv.collect() == floor.collect(), "from_csv and split + cast disagree"
    median = {label: statistics.median(r) for label, r in rates.items()}
    for label, rate in median.items():
        print(f"{label:14s} {rate / 1e6:6.2f} M rows/s (median of {args.runs})")
    print(f"from_csv / split + cast: {median['from_csv'] / median['split + cast']:.2f}")


if __name__ == "__main__":
    main()
