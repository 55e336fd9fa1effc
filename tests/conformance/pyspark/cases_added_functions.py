"""Parity cases for functions added for issue 16 (PySpark's documented examples and edges)."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


@case()
def case_collect_union(spark, F, T):
    df = spark.createDataFrame(
        [("a", [1, 2]), ("a", [2, 3, None]), ("b", [4]), ("b", None), ("c", None)],
        "k string, value array<int>",
    )
    return df.groupBy("k").agg(F.sort_array(F.collect_union("value")).alias("u"))


@case()
def case_collect_union_global(spark, F, T):
    df = spark.createDataFrame([([1, 2],), ([2, 3],), ([1],)], "value array<int>")
    return df.select(F.sort_array(F.collect_union("value")))


@case(kind="value")
def case_randstr_uniform_types(spark, F, T):
    df = spark.range(5).select(
        F.randstr(16, 3), F.uniform(5, 105, 3), F.uniform(F.lit(0.5), F.lit(1.5), F.lit(7))
    )
    rows = df.collect()
    lengths = {len(r[0]) for r in rows}
    in_range = all(5 <= r[1] < 105 and 0.5 <= r[2] < 1.5 for r in rows)
    return (df.dtypes, lengths, in_range)


@case()
def case_call_udf_registered(spark, F, T):
    spark.udf.register("plus_one_x2", lambda i: (i + 1) * 2, "int")
    return spark.range(3).select(F.call_udf("plus_one_x2", "id"))


@case()
def case_udf_register_in_sql(spark, F, T):
    spark.udf.register("shout", lambda s: None if s is None else s.upper() + "!")
    spark.createDataFrame([("hi",), (None,)], "s string").createOrReplaceTempView("shout_t")
    return spark.sql("SELECT shout(s), s FROM shout_t")


@case(kind="error")
def case_call_udf_unknown(spark, F, T):
    return spark.range(1).select(F.call_udf("no_such_udf_kaspar", "id"))


@case(kind="value")
def case_version_type(spark, F, T):
    df = spark.range(1).select(F.version())
    return (df.dtypes, df.first()[0].startswith("4."))
