"""Parity cases: Spark's partitions and seeded randomness (docs/partitions.md).

Both sessions run one core (local[1]), so the partitions come from ``spark.range``'s
``numPartitions`` and from repartitioning, which kaspar computes as Spark does.
"""

from __future__ import annotations

from typing import Any

from tests.conformance.pyspark.registry import case


def _ids(spark: Any, F: Any, start: int, end: int, step: int, n: int) -> Any:
    return spark.range(start, end, step, n).select(
        "id", F.spark_partition_id().alias("p"), F.monotonically_increasing_id().alias("m")
    )


@case(ordered=True)
def case_partitions_range_slices(spark, F, T):
    return _ids(spark, F, 0, 23, 1, 5).union(_ids(spark, F, 5, 40, 3, 4))


@case(ordered=True)
def case_partitions_range_more_slices_than_rows(spark, F, T):
    return _ids(spark, F, 0, 3, 1, 5).union(_ids(spark, F, 10, 0, -2, 3))


@case(ordered=True)
def case_partitions_filter_then_ids(spark, F, T):
    df = spark.range(0, 40, 1, 3).where("id % 3 != 0")
    return df.select("id", F.spark_partition_id(), F.monotonically_increasing_id())


@case(ordered=True)
def case_partitions_rand_seeds(spark, F, T):
    df = spark.range(0, 30, 1, 3)
    return df.select("id", F.rand(0), F.rand(42), F.rand(-7), F.randn(3), F.randn(123456789))


@case(ordered=True)
def case_partitions_rand_after_filter(spark, F, T):
    df = spark.range(0, 30, 1, 4).where(F.col("id") % 2 == 0)
    return df.select("id", F.rand(1).alias("r")).where(F.rand(9) < 0.6)


@case(ordered=True)
def case_partitions_uniform_randstr_uuid(spark, F, T):
    df = spark.range(0, 12, 1, 2)
    return df.select(
        "id",
        F.uniform(5, 105, 3),
        F.uniform(-10, 10, 4),
        F.uniform(1.5, 3.0, 5),
        F.randstr(8, 6),
        F.uuid(7),
    )


@case(ordered=True)
def case_partitions_hash_repartition(spark, F, T):
    df = spark.range(0, 30, 1, 3).withColumn("s", F.concat(F.lit("k"), (F.col("id") % 7)))
    a = df.repartition(4, "id").select("id", "s", F.spark_partition_id().alias("p"))
    b = df.repartition(3, "s", "id").select("id", "s", F.spark_partition_id().alias("p"))
    return a.union(b).orderBy("id", "p")


@case(ordered=True)
def case_partitions_coalesce(spark, F, T):
    a = spark.range(0, 20, 1, 5).coalesce(2).select("id", F.spark_partition_id().alias("p"))
    b = spark.range(0, 9, 1, 3).coalesce(7).select("id", F.spark_partition_id().alias("p"))
    return a.union(b)


@case(ordered=True)
def case_partitions_range_repartition(spark, F, T):
    df = spark.range(0, 30, 1, 4)
    a = df.repartitionByRange(3, "id").select("id", F.spark_partition_id().alias("p"))
    b = df.repartitionByRange(4, F.col("id").desc()).select("id", F.spark_partition_id())
    return a.orderBy("id").union(b.orderBy("id"))


@case(ordered=True)
def case_partitions_repartition_by_id(spark, F, T):
    df = spark.range(0, 12, 1, 2).withColumn("pid", (F.col("id") * 7 % 4).cast("int"))
    out = df.repartitionById(4, "pid")
    return out.select("id", "pid", F.spark_partition_id(), F.monotonically_increasing_id())


@case()
def case_partitions_round_robin_counts(spark, F, T):
    df = spark.range(0, 50, 1, 3).repartition(4)
    return df.groupBy(F.spark_partition_id().alias("p")).count()


@case(ordered=True)
def case_partitions_sort_within(spark, F, T):
    df = spark.range(0, 20, 1, 3).sortWithinPartitions(F.col("id").desc())
    return df.select("id", F.spark_partition_id(), F.monotonically_increasing_id())


@case(ordered=True)
def case_partitions_sample_bernoulli(spark, F, T):
    df = spark.range(0, 100, 1, 4)
    return df.sample(0.3, 11).union(df.sample(fraction=0.05, seed=-3))


@case(ordered=True)
def case_partitions_sample_poisson(spark, F, T):
    df = spark.range(0, 60, 1, 3)
    return df.sample(True, 0.7, 5).union(df.sample(True, 2.5, 8))


@case(kind="value")
def case_partitions_random_split(spark, F, T):
    df = spark.range(0, 50, 1, 3).withColumn("k", F.col("id") % 5)
    return [[tuple(r) for r in part.collect()] for part in df.randomSplit([1.0, 2.0, 3.0], 7)]


@case(ordered=True)
def case_partitions_sample_by(spark, F, T):
    df = spark.range(0, 100, 1, 3).select("id", (F.col("id") % 3).alias("key"))
    return df.sampleBy("key", fractions={0: 0.1, 1: 0.5}, seed=5)


@case(ordered=True)
def case_partitions_zip_with_index(spark, F, T):
    return spark.range(0, 10, 1, 3).where("id != 4").zipWithIndex()


@case(kind="error")
def case_partitions_repartition_zero(spark, F, T):
    return spark.range(3).repartition(0)


@case(kind="error")
def case_partitions_coalesce_zero(spark, F, T):
    return spark.range(3).coalesce(0)


@case(kind="error")
def case_partitions_sample_negative_fraction(spark, F, T):
    return spark.range(3).sample(-0.5, 1)


@case(ordered=True)
def case_partitions_repartition_by_column_default_count(spark, F, T):
    df = spark.range(0, 20, 1, 2).repartition("id")
    return df.select("id", F.spark_partition_id()).orderBy("id")


@case(ordered=True)
def case_partitions_round_robin_rows(spark, F, T):
    df = spark.range(0, 40, 1, 3)
    return df.repartition(4).select("id", F.spark_partition_id(), F.monotonically_increasing_id())


@case(ordered=True)
def case_partitions_round_robin_typed_rows(spark, F, T):
    df = spark.range(0, 30, 1, 2).select(
        "id",
        (F.col("id") % 4).cast("int").alias("i"),
        F.when(F.col("id") % 5 == 0, None).otherwise(F.col("id") / 3).alias("d"),
        F.when(F.col("id") % 7 == 0, None)
        .otherwise(F.concat(F.lit("name-"), F.col("id").cast("string"), F.lit("-xyz")))
        .alias("s"),
        (F.col("id") % 2 == 0).alias("b"),
        F.date_add(F.lit("2024-01-01").cast("date"), F.col("id").cast("int")).alias("day"),
        F.col("id").cast("short").alias("sh"),
        F.col("id").cast("float").alias("f"),
    )
    return df.repartition(3).select("id", "s", F.spark_partition_id())
