"""Parity cases: Spark's ANSI type coercion (set operations' common types, strings meeting
numbers and dates in comparisons, arithmetic and conditionals), ``div`` and join syntax."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case

TYPED = (
    "select cast(1 as int) i, cast(2 as bigint) l, cast(1.5 as double) d, "
    "cast(1.25 as decimal(10,2)) dec, '1' s, '2020-01-01' sd, date'2020-01-01' dt, "
    "timestamp'2020-01-01 00:00:00' ts, true b, 'true' sb, 'x' sx, '1.5' sf, "
    "array(1, 2) ai, array(cast(1 as bigint)) al"
)


def typed(spark):
    return spark.sql(TYPED)


def ages(spark):
    return spark.createDataFrame([("31",), ("20",), (None,)], "age string")


@case()
def case_coerce_div_is_bigint(spark, F, T):
    return typed(spark).selectExpr("i div 2", "l div 2", "dec div 1", "s div 1", "-7 div 2")


@case("error")
def case_coerce_div_of_double(spark, F, T):
    return typed(spark).selectExpr("d div 2")


@case()
def case_coerce_union_string_bigint(spark, F, T):
    a = spark.createDataFrame([("1",), ("3",)], "a string")
    b = spark.createDataFrame([(2,), (3,)], "a bigint")
    return a.union(b)


@case()
def case_coerce_intersect_except_widen(spark, F, T):
    a = spark.createDataFrame([("1",), ("3",)], "a string")
    b = spark.createDataFrame([(2,), (3,)], "a bigint")
    return a.intersect(b).union(a.exceptAll(b)).union(b.subtract(a))


@case()
def case_coerce_union_by_name_missing(spark, F, T):
    a = spark.createDataFrame([(1,)], "x int")
    b = spark.createDataFrame([(2, "q")], "x bigint, y string")
    return a.unionByName(b, allowMissingColumns=True)


@case()
def case_coerce_sql_union_matrix(spark, F, T):
    return spark.sql(
        "select 1 as a, date'2020-01-01' as b, '2021-02-03' as c, cast(1.5 as decimal(5,1)) as d, "
        "array(1) as e, named_struct('f', 1) as f, null as g, cast(1 as float) as h "
        "union all select 2.5D, timestamp'2020-01-01 10:00:00', date'2022-01-01', 7, "
        "array(2L), named_struct('f', 2L), 'x', 3"
    )


@case()
def case_coerce_sql_union_string_numbers(spark, F, T):
    return spark.sql("select 1 as x union select 2.5D union select '3'")


@case()
def case_coerce_sql_except_string_int(spark, F, T):
    return spark.sql("select * from values (1), (2) t(x) except select * from values ('1') u(y)")


@case("error")
def case_coerce_union_incompatible(spark, F, T):
    a = spark.createDataFrame([(1,)], "x int")
    return a.union(spark.createDataFrame([(True,)], "x boolean"))


@case("error")
def case_coerce_union_bad_string(spark, F, T):
    a = spark.createDataFrame([("x",)], "a string")
    return a.union(spark.createDataFrame([(2,)], "a bigint"))


@case()
def case_coerce_string_column_filters(spark, F, T):
    df = ages(spark)
    return (
        df.filter("age > 30")
        .union(df.filter(F.col("age") > 30))
        .union(df.filter("age in (20, 2)"))
        .union(df.filter("age between 10 and 25"))
        .union(df.filter(F.col("age").between(10, 25)))
        .union(df.filter(F.col("age").isin(20, 31)))
    )


@case("error")
def case_coerce_string_compare_malformed(spark, F, T):
    return spark.createDataFrame([("1.5",)], "age string").filter("age > 1")


@case()
def case_coerce_comparisons(spark, F, T):
    return typed(spark).selectExpr(
        "s = i",
        "s = d",
        "s = dec",
        "s < l",
        "sd = dt",
        "ts = sd",
        "b = sb",
        "s <=> 1",
        "s <> 1",
        "sf = 1.5",
        "s in ('1', 2)",
    )


@case()
def case_coerce_string_arithmetic(spark, F, T):
    exprs = ["s + 1", "s + i", "s * 2", "s / 2", "s - d", "s + dec", "-s"]
    return typed(spark).selectExpr(*(f"{e} as c{n}" for n, e in enumerate(exprs)))


@case("error")
def case_coerce_string_arithmetic_malformed(spark, F, T):
    return typed(spark).selectExpr("sx + 1")


@case()
def case_coerce_conditionals(spark, F, T):
    exprs = [
        "coalesce(i, s)",
        "coalesce(s, i)",
        "coalesce(dt, s)",
        "coalesce(b, s)",
        "if(true, i, s)",
        "case when true then i else s end",
        "nvl(s, i)",
        "nvl2(i, s, i)",
        "array(i, s)",
        "case s when 1 then 'a' else 'b' end",
    ]
    return typed(spark).selectExpr(*(f"{e} as c{n}" for n, e in enumerate(exprs)))


@case()
def case_coerce_conditionals_columns(spark, F, T):
    df = typed(spark)
    return df.select(
        F.coalesce("i", "s").alias("c"),
        F.when(F.col("b"), F.col("i")).otherwise(F.col("s")).alias("w"),
        F.array("i", "s").alias("a"),
    )


@case("error")
def case_coerce_greatest_string_int(spark, F, T):
    return typed(spark).selectExpr("greatest(i, s)")


@case("error")
def case_coerce_coalesce_bad_date(spark, F, T):
    return typed(spark).selectExpr("coalesce(s, dt)")


@case()
def case_coerce_nested_string_compare(spark, F, T):
    df = ages(spark)
    return df.groupBy((F.col("age") > 25).alias("old")).count()


@case()
def case_coerce_join_string_key(spark, F, T):
    a = spark.createDataFrame([("1", "a"), ("2", "b")], "k string, v string")
    b = spark.createDataFrame([(1, 10), (3, 30)], "k int, w int")
    return a.join(b, a.k == b.k).select(a.v, b.w)


@case()
def case_join_cross_with_condition(spark, F, T):
    return spark.sql("select * from values (1), (2) a(x) cross join values (1) b(y) on x = y")


@case()
def case_join_syntaxes(spark, F, T):
    return spark.sql(
        "select x, z, w from values (1, 2) a(x, z) natural join values (1, 3) b(x, w) "
        "union all select x, z, w from values (1, 2) a(x, z) join values (1, 3) b(x, w) using (x) "
        "union all select x, 0, 0 from values (1), (2) a(x) left semi join values (1) b(y) "
        "on x = y "
        "union all select x, 0, 0 from values (1), (2) a(x) left anti join values (1) b(y) "
        "on x = y "
        "union all select x, y, 0 from values (1), (2) a(x), values (1) b(y) where x = y "
        "union all select x, z, 0 from values (1), (2) a(x), lateral (select x + 1 as z)"
    )


@case()
def case_join_hint_ignored(spark, F, T):
    return spark.sql(
        "select /*+ BROADCAST(b) */ * from values (1) a(x) join values (1) b(y) on x = y"
    )


@case()
def case_coerce_function_arguments(spark, F, T):
    exprs = ["upper(i)", "length(i)", "substr(i, 1)", "i like '1%'", "abs(s)", "round(s)"]
    return typed(spark).selectExpr(*(f"{e} as c{n}" for n, e in enumerate(exprs)))


@case()
def case_coerce_aggregates_of_strings(spark, F, T):
    df = ages(spark)
    return df.agg(F.sum("age").alias("s"), F.avg("age").alias("a"), F.max("age").alias("m"))
