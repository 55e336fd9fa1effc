"""Parity cases: DataFrame transformations and actions."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case, depts, nested, people


@case()
def case_create_tuples_ddl(spark, F, T):
    return people(spark)


@case()
def case_create_inferred_tuples(spark, F, T):
    return spark.createDataFrame([(1, "a", 1.5, True), (2, "b", None, False)])


@case()
def case_create_names_list(spark, F, T):
    return spark.createDataFrame([(1, "a"), (2, "b")], ["k", "v"])


@case()
def case_create_dicts(spark, F, T):
    return spark.createDataFrame([{"b": 1, "a": "x"}, {"b": 2, "a": "y"}])


@case()
def case_create_rows(spark, F, T):
    from kaspar.sql import Row as KRow

    row = KRow if "kaspar" in type(spark).__module__ else __import__("pyspark.sql").sql.Row
    return spark.createDataFrame([row(a=1, b="x"), row(a=2, b="y")])


@case()
def case_create_struct_type(spark, F, T):
    schema = T.StructType(
        [
            T.StructField("a", T.LongType()),
            T.StructField("b", T.StringType()),
            T.StructField("c", T.ArrayType(T.IntegerType())),
        ]
    )
    return spark.createDataFrame([(1, "x", [1, 2]), (2, None, None)], schema)


@case()
def case_create_scalars_with_type(spark, F, T):
    return spark.createDataFrame([1, 2, 3], T.IntegerType())


@case()
def case_create_nested_types(spark, F, T):
    return nested(spark)


@case()
def case_create_pandas(spark, F, T):
    import pandas as pd

    return spark.createDataFrame(pd.DataFrame({"a": [1, 2], "b": ["x", "y"], "c": [0.5, 1.5]}))


@case(ordered=True)
def case_range(spark, F, T):
    return spark.range(5)


@case(ordered=True)
def case_range_step(spark, F, T):
    return spark.range(2, 20, 3)


@case()
def case_select_names(spark, F, T):
    return people(spark).select("name", "age")


@case()
def case_select_star_and_expr(spark, F, T):
    return people(spark).select("*", (F.col("age") + 1).alias("next"))


@case()
def case_select_case_insensitive(spark, F, T):
    return people(spark).select("NAME", F.col("Age"))


@case()
def case_select_df_attr(spark, F, T):
    df = people(spark)
    return df.select(df.name, df["age"])


@case()
def case_select_expr(spark, F, T):
    return people(spark).selectExpr("name", "age * 2 AS double_age", "upper(dept)")


@case()
def case_filter_column(spark, F, T):
    return people(spark).filter(F.col("age") > 25)


@case()
def case_filter_sql_string(spark, F, T):
    return people(spark).where("age > 25 AND dept = 'eng'")


@case()
def case_filter_isnull(spark, F, T):
    return people(spark).filter(F.col("age").isNull() | F.col("dept").isNull())


@case()
def case_filter_isin(spark, F, T):
    return people(spark).filter(F.col("name").isin("Alice", "Dan"))


@case()
def case_filter_between(spark, F, T):
    return people(spark).filter(F.col("age").between(25, 40))


@case()
def case_filter_like(spark, F, T):
    return people(spark).filter(F.col("name").like("%a%"))


@case()
def case_filter_rlike(spark, F, T):
    return people(spark).filter(F.col("name").rlike("^[A-C]"))


@case()
def case_filter_not(spark, F, T):
    return people(spark).filter(~(F.col("dept") == "eng"))


@case()
def case_with_column_new(spark, F, T):
    return people(spark).withColumn("ratio", F.col("score") / F.col("age"))


@case()
def case_with_column_replace(spark, F, T):
    return people(spark).withColumn("age", F.col("age") * 10)


@case()
def case_with_columns(spark, F, T):
    return people(spark).withColumns({"a": F.lit(1), "b": F.col("id") * 2})


@case()
def case_with_column_renamed(spark, F, T):
    return people(spark).withColumnRenamed("name", "full_name")


@case()
def case_with_column_renamed_missing(spark, F, T):
    return people(spark).withColumnRenamed("nope", "x")


@case()
def case_drop(spark, F, T):
    return people(spark).drop("score", "dept")


@case()
def case_drop_missing(spark, F, T):
    return people(spark).drop("nope")


@case()
def case_to_df(spark, F, T):
    return people(spark).select("id", "name").toDF("a", "b")


@case()
def case_distinct(spark, F, T):
    return people(spark).select("dept").distinct()


@case()
def case_drop_duplicates_subset(spark, F, T):
    return people(spark).dropDuplicates(["dept"]).select("dept")


@case(ordered=True)
def case_order_by_asc(spark, F, T):
    return people(spark).orderBy("age")


@case(ordered=True)
def case_order_by_desc(spark, F, T):
    return people(spark).orderBy(F.col("age").desc())


@case(ordered=True)
def case_order_by_nulls_last(spark, F, T):
    return people(spark).orderBy(F.col("age").asc_nulls_last())


@case(ordered=True)
def case_order_by_desc_nulls_first(spark, F, T):
    return people(spark).orderBy(
        F.desc_nulls_first("age")
        if hasattr(F, "desc_nulls_first")
        else F.col("age").desc_nulls_first()
    )


@case(ordered=True)
def case_sort_multi_ascending_list(spark, F, T):
    return people(spark).sort(["dept", "name"], ascending=[False, True])


@case(ordered=True)
def case_order_then_limit(spark, F, T):
    return people(spark).orderBy("id").limit(2)


@case(ordered=True)
def case_order_then_select(spark, F, T):
    return people(spark).orderBy(F.col("score").desc()).select("name")


@case(kind="value")
def case_count(spark, F, T):
    return people(spark).count()


@case(kind="value")
def case_columns(spark, F, T):
    return people(spark).columns


@case(kind="value")
def case_dtypes(spark, F, T):
    return people(spark).dtypes


@case(kind="value")
def case_first(spark, F, T):
    return tuple(people(spark).orderBy("id").first())


@case(kind="value")
def case_head_n(spark, F, T):
    return [tuple(r) for r in people(spark).orderBy("id").head(2)]


@case(kind="value")
def case_take(spark, F, T):
    return [tuple(r) for r in people(spark).orderBy("id").take(3)]


@case(kind="value")
def case_row_as_dict(spark, F, T):
    return people(spark).orderBy("id").first().asDict()


@case(kind="value")
def case_row_attribute(spark, F, T):
    row = people(spark).orderBy("id").first()
    return (row.name, row["age"], row[0])


@case(kind="value")
def case_is_empty(spark, F, T):
    return (people(spark).filter("id > 100").isEmpty(), people(spark).isEmpty())


@case()
def case_alias_qualified(spark, F, T):
    return people(spark).alias("p").select("p.name", F.col("p.age"))


@case()
def case_join_inner_on_name(spark, F, T):
    return people(spark).join(depts(spark), "dept")


@case()
def case_join_left_on_list(spark, F, T):
    return people(spark).join(depts(spark), ["dept"], "left")


@case()
def case_join_right(spark, F, T):
    return people(spark).join(depts(spark), "dept", "right")


@case()
def case_join_full(spark, F, T):
    return people(spark).join(depts(spark), "dept", "full")


@case()
def case_join_outer_alias(spark, F, T):
    return people(spark).join(depts(spark), "dept", "outer")


@case()
def case_join_semi(spark, F, T):
    return people(spark).join(depts(spark), "dept", "left_semi")


@case()
def case_join_anti(spark, F, T):
    return people(spark).join(depts(spark), "dept", "left_anti")


@case()
def case_join_on_column(spark, F, T):
    p, d = people(spark), depts(spark)
    return p.join(d, p.dept == d.dept).select(p.name, d.title)


@case()
def case_join_duplicate_columns(spark, F, T):
    p, d = people(spark), depts(spark)
    return p.join(d, p.dept == d.dept, "left")


@case()
def case_join_multiple_conditions(spark, F, T):
    p, d = people(spark), depts(spark)
    return p.join(d, [p.dept == d.dept, p.id > d.floor], "inner")


@case()
def case_cross_join(spark, F, T):
    return people(spark).select("id").crossJoin(depts(spark).select("dept"))


@case()
def case_self_join_aliases(spark, F, T):
    p = people(spark)
    return (
        p.alias("a")
        .join(p.alias("b"), F.col("a.dept") == F.col("b.dept"))
        .select(F.col("a.name"), F.col("b.name").alias("peer"))
    )


@case()
def case_union(spark, F, T):
    return people(spark).select("id", "name").union(depts(spark).select("floor", "title"))


@case()
def case_union_by_name(spark, F, T):
    a = spark.createDataFrame([(1, "x")], "a int, b string")
    b = spark.createDataFrame([("y", 2)], "b string, a int")
    return a.unionByName(b)


@case()
def case_union_by_name_missing(spark, F, T):
    a = spark.createDataFrame([(1, "x")], "a int, b string")
    b = spark.createDataFrame([(2, 3.5)], "a int, c double")
    return a.unionByName(b, allowMissingColumns=True)


@case()
def case_intersect(spark, F, T):
    return people(spark).select("dept").intersect(depts(spark).select("dept"))


@case()
def case_subtract(spark, F, T):
    return depts(spark).select("dept").subtract(people(spark).select("dept"))


@case()
def case_except_all(spark, F, T):
    a = spark.createDataFrame([(1,), (1,), (2,)], "x int")
    b = spark.createDataFrame([(1,)], "x int")
    return a.exceptAll(b)


@case()
def case_group_by_agg(spark, F, T):
    return (
        people(spark)
        .groupBy("dept")
        .agg(F.count("*"), F.sum("score"), F.avg("age"), F.min("name"), F.max("age"))
    )


@case()
def case_group_by_agg_alias(spark, F, T):
    return people(spark).groupBy("dept").agg(F.count("id").alias("n"), F.sum("age").alias("s"))


@case()
def case_group_by_dict(spark, F, T):
    return people(spark).groupBy("dept").agg({"age": "max", "score": "avg"})


@case()
def case_group_by_count(spark, F, T):
    return people(spark).groupBy("dept").count()


@case()
def case_group_by_sum_shortcut(spark, F, T):
    return people(spark).groupBy("dept").sum("age", "score")


@case()
def case_group_by_expression(spark, F, T):
    return people(spark).groupBy((F.col("id") % 2).alias("odd")).agg(F.count("*").alias("n"))


@case()
def case_global_agg(spark, F, T):
    return people(spark).agg(F.max("age"), F.countDistinct("dept"))


@case()
def case_select_aggregate(spark, F, T):
    return people(spark).select(F.sum("age").alias("total"))


@case()
def case_pivot(spark, F, T):
    return people(spark).groupBy("id").pivot("dept", ["eng", "ops"]).agg(F.sum("age"))


@case()
def case_having_style_filter(spark, F, T):
    return people(spark).groupBy("dept").agg(F.count("*").alias("n")).filter(F.col("n") > 1)


@case()
def case_na_fill_numeric(spark, F, T):
    return people(spark).na.fill(0)


@case()
def case_na_fill_string(spark, F, T):
    return people(spark).fillna("unknown")


@case()
def case_na_fill_dict(spark, F, T):
    return people(spark).na.fill({"age": -1, "dept": "none"})


@case()
def case_na_drop_any(spark, F, T):
    return people(spark).na.drop()


@case()
def case_na_drop_subset(spark, F, T):
    return people(spark).dropna(subset=["age"])


@case()
def case_na_drop_all(spark, F, T):
    return people(spark).na.drop(how="all")


@case()
def case_describe(spark, F, T):
    return people(spark).describe("age", "score")


@case()
def case_temp_view_sql(spark, F, T):
    people(spark).createOrReplaceTempView("people")
    return spark.sql("SELECT dept, count(*) AS n, avg(age) FROM people GROUP BY dept")


@case()
def case_sql_expressions(spark, F, T):
    people(spark).createOrReplaceTempView("people")
    return spark.sql("SELECT name, age + 1, upper(name), age / 2 FROM people WHERE age IS NOT NULL")


@case()
def case_spark_table(spark, F, T):
    people(spark).createOrReplaceTempView("people")
    return spark.table("people").select("name")


@case(kind="value")
def case_catalog_table_exists(spark, F, T):
    people(spark).createOrReplaceTempView("people_x")
    exists = spark.catalog.tableExists("people_x")
    dropped = spark.catalog.dropTempView("people_x")
    return (exists, dropped, spark.catalog.tableExists("people_x"))


@case()
def case_explode(spark, F, T):
    return nested(spark).select("id", F.explode("arr"))


@case()
def case_explode_alias(spark, F, T):
    return nested(spark).select("id", F.explode("arr").alias("v"))


@case()
def case_struct_field_access(spark, F, T):
    return nested(spark).select(F.col("st.name"), F.col("st").getField("n"))


@case()
def case_map_get_item(spark, F, T):
    return nested(spark).select(F.col("m").getItem("a").alias("a"), F.col("m")["b"].alias("b"))


@case()
def case_array_get_item(spark, F, T):
    return nested(spark).select(F.col("arr").getItem(0).alias("first"))


@case()
def case_window_row_number(spark, F, T):
    from_window = _window(spark)
    w = from_window.partitionBy("dept").orderBy("id")
    return people(spark).select("id", "dept", F.row_number().over(w).alias("rn"))


@case()
def case_window_rank(spark, F, T):
    w = _window(spark).partitionBy("dept").orderBy(F.col("age").desc())
    return people(spark).select(
        "id", F.rank().over(w).alias("r"), F.dense_rank().over(w).alias("d")
    )


@case()
def case_window_lag_lead(spark, F, T):
    w = _window(spark).orderBy("id")
    return people(spark).select(
        "id", F.lag("age").over(w).alias("prev"), F.lead("age", 1, 0).over(w).alias("next")
    )


@case()
def case_window_running_sum(spark, F, T):
    W = _window(spark)
    w = W.partitionBy("dept").orderBy("id").rowsBetween(W.unboundedPreceding, W.currentRow)
    return people(spark).select("id", F.sum("score").over(w).alias("running"))


@case()
def case_window_partition_total(spark, F, T):
    w = _window(spark).partitionBy("dept")
    return people(spark).withColumn("total", F.sum("age").over(w))


def _window(spark):
    if "kaspar" in type(spark).__module__:
        from kaspar.sql import Window
    else:
        from pyspark.sql import Window
    return Window
