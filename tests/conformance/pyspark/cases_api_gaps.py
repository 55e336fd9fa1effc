"""Parity cases: DataFrame, Column and SparkSession members added in Spark 4.x (dropFields,
transpose, emptyDataFrame, zipWithIndex, repartitionById, the Arrow C stream)."""

from __future__ import annotations

from typing import Any

from tests.conformance.pyspark.registry import case


def _structs(spark: Any) -> Any:
    return spark.createDataFrame(
        [(1, (1, 2, (3, 4))), (2, None), (3, (5, None, None))],
        "id int, s struct<a:int,b:int,c:struct<x:int,y:int>>",
    )


@case()
def case_drop_fields_one(spark: Any, F: Any, T: Any) -> Any:
    return _structs(spark).select("id", F.col("s").dropFields("a"))


@case()
def case_drop_fields_nested_and_case(spark: Any, F: Any, T: Any) -> Any:
    return _structs(spark).select("id", F.col("s").dropFields("c.x", "B").alias("z"))


@case()
def case_drop_fields_absent_field(spark: Any, F: Any, T: Any) -> Any:
    return _structs(spark).select("id", F.col("s").dropFields("q"))


@case(kind="error")
def case_drop_fields_all(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([((1,),)], "s struct<a:int>")
    return df.select(F.col("s").dropFields("a"))


@case(kind="error")
def case_drop_fields_not_a_struct(spark: Any, F: Any, T: Any) -> Any:
    return spark.range(1).select(F.col("id").dropFields("a"))


@case(ordered=True)
def case_transpose_first_column(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([("a", 1, 2), ("b", 3, 4)], "k string, x int, y int")
    return df.transpose()


@case(ordered=True)
def case_transpose_widened_values(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([("a", 1, 2.5), ("b", 3, None)], "k string, x int, y double")
    return df.transpose(F.col("k"))


@case(ordered=True)
def case_transpose_int_index_sorted_nulls_left_out(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(2, "b"), (1, "a"), (None, "c")], "k int, x string")
    return df.transpose("k")


@case(kind="show")
def case_transpose_show(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([("A", 1, 2), ("B", 3, 4)], ["id", "val1", "val2"])
    df.transpose().show()


@case(kind="error")
def case_transpose_array_index(spark: Any, F: Any, T: Any) -> Any:
    return spark.createDataFrame([([1], 2)], "k array<int>, x int").transpose()


@case(kind="show")
def case_empty_data_frame(spark: Any, F: Any, T: Any) -> Any:
    df = spark.emptyDataFrame("name STRING, age INT")
    df.printSchema()
    print(df.count())
    schema = T.StructType([T.StructField("x", T.DoubleType())])
    spark.emptyDataFrame(schema).show()


@case(ordered=True)
def case_zip_with_index(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([("a",), ("b",), ("c",)], "v string")
    return df.zipWithIndex().union(df.zipWithIndex("i").where("i > 1"))


@case()
def case_repartition_by_id(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(1, "a"), (2, "b")], "p int, v string")
    return df.repartitionById(2, "p")


@case(kind="error")
def case_repartition_by_id_zero(spark: Any, F: Any, T: Any) -> Any:
    return spark.range(2).repartitionById(0, "id")


@case(kind="value")
def case_arrow_c_stream(spark: Any, F: Any, T: Any) -> Any:
    import pyarrow as pa

    df = spark.createDataFrame([(1, "a"), (2, None)], "i int, s string")
    table = pa.table(df)
    return str(table.schema), table.to_pylist()
