"""Parity cases: generators (explode variants, inline), arrays, maps and higher-order functions."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case, nested


def arrays(spark):
    return spark.createDataFrame(
        [(1, [3, 1, 2], [2, 5]), (2, [], [1]), (3, None, None), (4, [7, 7, None], [7])],
        "id int, a array<int>, b array<int>",
    )


@case()
def case_posexplode(spark, F, T):
    return nested(spark).select("id", F.posexplode("arr"))


@case()
def case_posexplode_alias(spark, F, T):
    return nested(spark).select("id", F.posexplode("arr").alias("p", "v"))


@case()
def case_posexplode_outer(spark, F, T):
    return nested(spark).select("id", F.posexplode_outer("arr"))


@case()
def case_explode_outer(spark, F, T):
    return nested(spark).select("id", F.explode_outer("arr"))


@case()
def case_explode_with_expression(spark, F, T):
    return nested(spark).select((F.col("id") * 10).alias("x"), F.explode("arr").alias("v"))


@case()
def case_explode_then_group(spark, F, T):
    return (
        nested(spark)
        .select(F.explode("arr").alias("v"))
        .groupBy((F.col("v") % 2).alias("odd"))
        .count()
    )


@case()
def case_inline(spark, F, T):
    df = spark.createDataFrame(
        [(1, [(1, "a"), (2, "b")]), (2, [])], "id int, a array<struct<x:int,y:string>>"
    )
    return df.select("id", F.inline("a"))


@case()
def case_inline_outer(spark, F, T):
    df = spark.createDataFrame(
        [(1, [(1, "a"), (2, "b")]), (2, [])], "id int, a array<struct<x:int,y:string>>"
    )
    return df.select("id", F.inline_outer("a"))


@case()
def case_struct_star(spark, F, T):
    return nested(spark).select("id", "st.*")


@case()
def case_struct_star_of_built_struct(spark, F, T):
    df = nested(spark).select(F.struct("id", F.col("st.name").alias("n")).alias("s"))
    return df.select("s.*")


@case()
def case_array_size_contains_sort(spark, F, T):
    return arrays(spark).select(
        F.size("a"),
        F.array_size("a"),
        F.array_contains("a", 7),
        F.sort_array("a"),
        F.sort_array("a", asc=False),
    )


@case()
def case_element_at_and_get(spark, F, T):
    return arrays(spark).select(F.element_at("b", 1), F.get("a", 0), F.get("a", 5))


@case()
def case_arrays_overlap_prepend_repeat(spark, F, T):
    return arrays(spark).select(
        F.arrays_overlap("a", "b"), F.array_prepend("b", 0), F.array_repeat("id", 2)
    )


@case()
def case_transform(spark, F, T):
    return arrays(spark).select(F.transform("a", lambda x: x * 2).alias("d"))


@case()
def case_transform_with_index(spark, F, T):
    return arrays(spark).select(F.transform("b", lambda x, i: x + i).alias("d"))


@case()
def case_filter_exists_forall(spark, F, T):
    return arrays(spark).select(
        F.filter("a", lambda x: x > 1).alias("f"),
        F.exists("a", lambda x: x > 5).alias("e"),
        F.forall("b", lambda x: x > 1).alias("all"),
    )


@case()
def case_aggregate_lambda(spark, F, T):
    return arrays(spark).select(
        F.aggregate("b", F.lit(0), lambda acc, x: acc + x).alias("s"),
        F.aggregate("b", F.lit(0), lambda acc, x: acc + x, lambda acc: acc * 10).alias("s10"),
    )


@case()
def case_zip_with(spark, F, T):
    return arrays(spark).select(F.zip_with("a", "b", lambda x, y: x + y).alias("z"))


@case()
def case_map_functions(spark, F, T):
    return nested(spark).select(
        F.map_keys("m"), F.map_values("m"), F.map_contains_key("m", "a"), F.map_entries("m")
    )


@case()
def case_map_builders(spark, F, T):
    return spark.range(2).select(
        F.map_from_arrays(F.array(F.lit("a"), F.lit("b")), F.array(F.col("id"), F.lit(9))).alias(
            "m1"
        ),
        F.create_map(F.lit("k"), F.col("id")).alias("m2"),
    )


@case()
def case_map_concat(spark, F, T):
    return spark.range(2).select(
        F.map_concat(
            F.create_map(F.lit("a"), F.col("id")), F.create_map(F.lit("b"), F.lit(2))
        ).alias("m")
    )


@case()
def case_map_concat_same_types(spark, F, T):
    return spark.range(2).select(
        F.map_concat(
            F.create_map(F.lit("a"), F.col("id")), F.create_map(F.lit("b"), F.col("id") * 2)
        ).alias("m")
    )


@case()
def case_map_from_entries(spark, F, T):
    e = F.array(F.struct(F.lit("a").alias("k"), F.col("id").alias("v")))
    return spark.range(2).select(F.map_from_entries(e).alias("m"))


@case()
def case_named_struct(spark, F, T):
    return spark.range(2).select(
        F.named_struct(F.lit("x"), F.col("id"), F.lit("y"), F.lit("z")).alias("s")
    )


@case()
def case_struct_create_and_access(spark, F, T):
    return nested(spark).select(F.struct("id", F.col("arr")).alias("s")).select("s.id", "s.arr")


@case()
def case_try_element_at(spark, F, T):
    return arrays(spark).select(F.try_element_at("b", F.lit(5)), F.try_element_at("b", F.lit(1)))


@case()
def case_collect_list_set(spark, F, T):
    df = spark.createDataFrame([(1, "a"), (1, "b"), (1, "a"), (2, None)], "k int, v string")
    return df.groupBy("k").agg(
        F.sort_array(F.collect_list("v")).alias("l"), F.sort_array(F.collect_set("v")).alias("s")
    )


@case()
def case_array_agg(spark, F, T):
    df = spark.createDataFrame([(1, 3), (1, 1), (2, 5)], "k int, v int")
    return df.groupBy("k").agg(F.sort_array(F.array_agg("v")).alias("l"))
