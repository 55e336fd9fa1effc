"""Parity cases: ``approx_count_distinct`` (Spark's HyperLogLog++ over XXH64, with its bias
tables and linear counting) and ``xxhash64`` of nested values: the estimates must be Spark's
own numbers, not just close."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


def numbers(spark, n):
    return spark.range(n).selectExpr(
        "id",
        "CAST(id AS INT) AS i",
        "CAST(id AS STRING) AS s",
        "id / 7 AS d",
        "CAST(id AS FLOAT) AS f",
        "CAST(id % 5 AS BOOLEAN) AS b",
        "DATE_ADD(DATE'2024-01-01', CAST(id % 400 AS INT)) AS dt",
        "CAST(DATE_ADD(DATE'2024-01-01', CAST(id % 400 AS INT)) AS TIMESTAMP) AS ts",
        "CAST(CAST(id AS STRING) AS BINARY) AS bin",
        "id % 13 AS g",
    )


@case()
def case_hllpp_every_type_small(spark, F, T):
    df = numbers(spark, 300)
    cols = ["id", "i", "s", "d", "f", "b", "dt", "ts", "bin"]
    return df.agg(*(F.approx_count_distinct(c).alias(c) for c in cols))


@case()
def case_hllpp_bias_correction_range(spark, F, T):
    df = numbers(spark, 1800)  # raw estimate between 2.5 m and 5 m at the default rsd
    return df.agg(*(F.approx_count_distinct(c).alias(c) for c in ["id", "s", "d", "ts"]))


@case()
def case_hllpp_rsd_values(spark, F, T):
    df = numbers(spark, 5000)
    return df.agg(
        F.approx_count_distinct("id", 0.01).alias("p14"),
        F.approx_count_distinct("s", 0.02).alias("p12"),
        F.approx_count_distinct("d", 0.1).alias("p7"),
        F.approx_count_distinct("i", 0.3).alias("p4"),
        F.approx_count_distinct("s", 0.39).alias("p4b"),
    )


@case()
def case_hllpp_grouped_with_nulls(spark, F, T):
    df = numbers(spark, 2000).withColumn(
        "n", F.when(F.col("id") % 3 == 0, None).otherwise(F.col("s"))
    )
    return df.groupBy("g").agg(F.approx_count_distinct("n").alias("a"), F.count("n").alias("c"))


@case()
def case_hllpp_sql_and_window(spark, F, T):
    numbers(spark, 600).createOrReplaceTempView("hllpp_numbers")
    grouped = spark.sql(
        "SELECT g, approx_count_distinct(s) AS a, approx_count_distinct(d, 0.05) AS b "
        "FROM hllpp_numbers GROUP BY g"
    )
    windowed = spark.sql(
        "SELECT DISTINCT g, approx_count_distinct(id) OVER (PARTITION BY g) AS w FROM hllpp_numbers"
    )
    return grouped.join(windowed, "g")


@case()
def case_hllpp_nested_values(spark, F, T):
    df = numbers(spark, 700)
    return df.agg(
        F.approx_count_distinct(F.array("i", "g")).alias("arr"),
        F.approx_count_distinct(F.struct("i", "s")).alias("st"),
        F.approx_count_distinct(F.create_map("s", "i")).alias("m"),
        F.approx_count_distinct(F.lit(None)).alias("nothing"),
    )


@case()
def case_xxhash64_nested(spark, F, T):
    df = numbers(spark, 20)
    return df.select(
        "id",
        F.xxhash64(F.array("i", "g")).alias("arr"),
        F.xxhash64(F.struct("i", "s", "d")).alias("st"),
        F.xxhash64("s", "d", "b", "dt", "ts", "bin").alias("many"),
    )


@case("error")
def case_hllpp_rsd_too_large(spark, F, T):
    return numbers(spark, 10).agg(F.approx_count_distinct("id", 0.5))
