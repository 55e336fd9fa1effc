"""Parity cases: ``show()`` and ``printSchema()`` text, compared byte for byte; and errors."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case, nested, people


@case(kind="show")
def case_show_default(spark, F, T):
    people(spark).orderBy("id").show()


@case(kind="show")
def case_show_truncate_false(spark, F, T):
    spark.createDataFrame([("a" * 30, 1)], "s string, n int").show(truncate=False)


@case(kind="show")
def case_show_truncate_int(spark, F, T):
    spark.createDataFrame([("abcdefghij", 1)], "s string, n int").show(truncate=5)


@case(kind="show")
def case_show_n_more_rows(spark, F, T):
    spark.range(30).show()


@case(kind="show")
def case_show_one_row(spark, F, T):
    spark.range(3).show(1)


@case(kind="show")
def case_show_vertical(spark, F, T):
    people(spark).orderBy("id").show(2, vertical=True)


@case(kind="show")
def case_show_empty(spark, F, T):
    people(spark).filter("id > 100").show()


@case(kind="show")
def case_show_nested(spark, F, T):
    nested(spark).orderBy("id").show()


@case(kind="show")
def case_show_doubles(spark, F, T):
    df = spark.createDataFrame(
        [(1e10, 0.1), (12345678.9, 1e-5), (100.0, -0.0)], "a double, b double"
    )
    df.show()


@case(kind="show")
def case_show_dates(spark, F, T):
    df = spark.createDataFrame([("2024-01-02", "2024-01-02 03:04:05")], "d string, t string")
    df.select(F.to_date("d").alias("d"), F.to_timestamp("t").alias("t")).show()


@case(kind="show")
def case_show_booleans_decimals(spark, F, T):
    df = spark.createDataFrame([(True, 1)], "b boolean, n int")
    df.select("b", F.col("n").cast("decimal(10,2)").alias("dec")).show()


@case(kind="show")
def case_show_expression_headers(spark, F, T):
    people(spark).orderBy("id").select(F.col("age") + 1, F.upper("name")).show(3)


@case(kind="show")
def case_print_schema(spark, F, T):
    people(spark).printSchema()


@case(kind="show")
def case_print_schema_nested(spark, F, T):
    nested(spark).printSchema()


@case(kind="show")
def case_show_group_by(spark, F, T):
    people(spark).groupBy("dept").count().orderBy("dept").show()


@case(kind="error")
def case_error_unresolved_column(spark, F, T):
    return people(spark).select("nmae")


@case(kind="error")
def case_error_unresolved_in_filter(spark, F, T):
    return people(spark).filter(F.col("agee") > 1)


@case(kind="error")
def case_error_cast_invalid(spark, F, T):
    return spark.createDataFrame([("x",)], "s string").select(F.col("s").cast("int"))


@case(kind="error")
def case_error_divide_by_zero(spark, F, T):
    return spark.range(1).select(F.lit(1) / F.lit(0))


@case(kind="error")
def case_error_parse(spark, F, T):
    return spark.sql("SELEC 1")


@case(kind="error")
def case_error_table_not_found(spark, F, T):
    return spark.sql("SELECT * FROM no_such_table")


@case(kind="error")
def case_error_union_mismatch(spark, F, T):
    return spark.range(1).union(people(spark))
