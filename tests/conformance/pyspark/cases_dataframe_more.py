"""Parity cases: unpivot, colRegex, global temp views, toJSON, splits and samples, ``to``,
``freqItems``, ``mapInPandas`` / ``mapInArrow``."""

from __future__ import annotations

import decimal
import warnings

from tests.conformance.pyspark.registry import case


def wide(spark):
    return spark.createDataFrame(
        [(1, 11, 1.1, "x", True), (2, 12, None, "y", False)],
        "id int, i int, d double, s string, b boolean",
    )


# -- unpivot / melt ------------------------------------------------------------------------
@case(ordered=True)
def case_unpivot_int_double(spark, F, T):
    return wide(spark).unpivot("id", ["i", "d"], "var", "val")


@case(ordered=True)
def case_unpivot_values_none(spark, F, T):
    return wide(spark).select("id", "i", "d").unpivot(["id"], None, "var", "val")


@case(ordered=True)
def case_melt_alias(spark, F, T):
    return wide(spark).melt(("id",), ("i",), "variable", "value")


@case(ordered=True)
def case_unpivot_column_values(spark, F, T):
    df = wide(spark)
    return df.unpivot(
        [F.col("id")], [F.col("i"), (F.col("i") + 1).alias("j"), F.col("i") * 2], "k", "v"
    )


@case(ordered=True)
def case_unpivot_no_ids(spark, F, T):
    return wide(spark).unpivot([], ["i", "d"], "var", "val")


@case(ordered=True)
def case_unpivot_names_as_given(spark, F, T):
    return wide(spark).unpivot("ID", ["I"], "var", "val")


@case(ordered=True)
def case_unpivot_widens_decimal(spark, F, T):
    df = spark.createDataFrame(
        [(1, 2, decimal.Decimal("3.25"), None)], "a tinyint, b bigint, c decimal(5,2), e int"
    )
    return df.unpivot([], ["a", "b", "c", "e"], "var", "val")


@case(ordered=True)
def case_unpivot_strings(spark, F, T):
    return wide(spark).unpivot(["id"], ["s", "s"], "var", "val")


@case(kind="error")
def case_unpivot_type_mismatch(spark, F, T):
    return wide(spark).unpivot("id", ["i", "s"], "var", "val")


@case(kind="error")
def case_unpivot_boolean_int_mismatch(spark, F, T):
    return wide(spark).unpivot("id", ["i", "b"], "var", "val")


@case(kind="error")
def case_unpivot_no_values(spark, F, T):
    return wide(spark).unpivot(["id"], [], "var", "val")


@case(kind="error")
def case_unpivot_all_ids(spark, F, T):
    return wide(spark).unpivot(["id", "i", "d", "s", "b"], None, "var", "val")


@case(kind="error")
def case_unpivot_missing_column(spark, F, T):
    return wide(spark).unpivot("id", ["zz"], "var", "val")


# -- colRegex ------------------------------------------------------------------------------
@case()
def case_col_regex_alternation(spark, F, T):
    df = wide(spark)
    return df.select(df.colRegex("`(i|d)`"))


@case()
def case_col_regex_all_and_more(spark, F, T):
    df = wide(spark)
    return df.select(df.colRegex("`.*`"), F.lit(1).alias("one"))


@case()
def case_col_regex_case_insensitive(spark, F, T):
    df = wide(spark)
    return df.select(df.colRegex("`I.*`"))


@case()
def case_col_regex_plain_name(spark, F, T):
    df = wide(spark)
    return df.select(df.colRegex("I"))


@case(kind="error")
def case_col_regex_not_str(spark, F, T):
    return wide(spark).colRegex(1)


# -- global temporary views ----------------------------------------------------------------
@case()
def case_global_temp_view_sql(spark, F, T):
    wide(spark).createOrReplaceGlobalTempView("more_gv1")
    return spark.sql(
        "SELECT more_gv1.id, g.s FROM global_temp.more_gv1 JOIN global_temp.more_gv1 g USING (id)"
    )


@case()
def case_global_temp_view_table(spark, F, T):
    wide(spark).createGlobalTempView("more_gv2")
    return spark.table("global_temp.more_gv2")


@case(kind="error")
def case_global_temp_view_exists(spark, F, T):
    wide(spark).createOrReplaceGlobalTempView("more_gv3")
    wide(spark).createGlobalTempView("more_gv3")


@case(kind="error")
def case_global_temp_view_needs_database(spark, F, T):
    wide(spark).createOrReplaceGlobalTempView("more_gv4")
    return spark.table("more_gv4")


@case()
def case_register_temp_table(spark, F, T):
    wide(spark).registerTempTable("more_rt")
    return spark.sql("SELECT id, s FROM more_rt")


# -- toJSON --------------------------------------------------------------------------------
@case(kind="value")
def case_to_json_rows(spark, F, T):
    df = spark.createDataFrame(
        [(1, None, [1, 2], {"a": 1}, 'q"x', (3, "z")), (2, "b", [], None, "", None)],
        "a int, b string, c array<int>, m map<string,int>, s string, st struct<x:int,y:string>",
    )
    with warnings.catch_warnings():  # PySpark: "will be changed from RDD to DataFrame"
        warnings.simplefilter("ignore", UserWarning)
        rows = df.toJSON().collect()
    return [r if isinstance(r, str) else r.value for r in rows]


@case(kind="value")
def case_to_json_numbers_and_times(spark, F, T):
    import datetime

    moment = datetime.datetime(2020, 1, 2, 3, 4, 5, 678000)
    df = spark.createDataFrame(
        [
            (1.5e20, float("nan"), 1e-5, -1.25e7, 0.001, decimal.Decimal("1.50"), moment),
            (123.0, float("inf"), 0.0, None, 2.5, None, None),
        ],
        "a double, b double, c double, d double, e double, f decimal(5,2), t timestamp",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        rows = df.withColumn("dt", F.to_date(F.lit("2021-02-03"))).toJSON().collect()
    return [r if isinstance(r, str) else r.value for r in rows]


# -- randomSplit, sampleBy -----------------------------------------------------------------
@case(kind="value")
def case_random_split_one_weight(spark, F, T):
    return [part.count() for part in wide(spark).randomSplit([1.0], 7)]


@case(kind="value")
def case_random_split_complete(spark, F, T):
    parts = spark.range(50).randomSplit([1.0, 2.0, 3.0], 11)
    return sorted(r.id for p in parts for r in p.collect())


@case(kind="error")
def case_random_split_negative_weight(spark, F, T):
    return wide(spark).randomSplit([-1.0, 2.0], 1)


@case(kind="error")
def case_random_split_zero_weights(spark, F, T):
    return wide(spark).randomSplit([0.0, 0.0], 1)


@case()
def case_sample_by_strata(spark, F, T):
    return wide(spark).sampleBy("id", {1: 1.0, 2: 0.0}, 3)


@case()
def case_sample_by_column(spark, F, T):
    return wide(spark).sampleBy(F.col("s"), {"y": 1.0}, 3)


@case(kind="error")
def case_sample_by_not_dict(spark, F, T):
    return wide(spark).sampleBy("id", [1], 0)


@case(kind="error")
def case_sample_by_fraction_range(spark, F, T):
    return wide(spark).sampleBy("id", {1: 1.5}, 0)


# -- freqItems -----------------------------------------------------------------------------
@case()
def case_freq_items(spark, F, T):
    df = spark.createDataFrame([(1, "a"), (None, "b"), (1, "a"), (3, "a")], "n int, s string")
    items = df.freqItems(["n", "s"])
    return items.select(*(F.sort_array(c).alias(c) for c in items.columns))


@case()
def case_stat_freq_items_support(spark, F, T):
    df = spark.range(20).select((F.col("id") % 2).alias("k"))
    items = df.stat.freqItems(("k",), 0.4)
    return items.select(F.sort_array("k_freqItems").alias("k"))


@case(kind="error")
def case_freq_items_cols_str(spark, F, T):
    return wide(spark).freqItems("id")


@case(kind="error")
def case_freq_items_support_range(spark, F, T):
    return wide(spark).freqItems(["id"], 0.00001)


# -- to(schema) ----------------------------------------------------------------------------
@case()
def case_to_reorder_and_cast(spark, F, T):
    schema = T.StructType(
        [
            T.StructField("S", T.StringType()),
            T.StructField("id", T.LongType()),
            T.StructField("d", T.IntegerType()),
            T.StructField("i", T.StringType()),
            T.StructField("missing", T.DateType()),
        ]
    )
    return wide(spark).to(schema)


@case(kind="error")
def case_to_missing_required(spark, F, T):
    return wide(spark).to(T.StructType([T.StructField("zz", T.StringType(), False)]))


@case(kind="error")
def case_to_nullable_column(spark, F, T):
    return wide(spark).to(T.StructType([T.StructField("id", T.IntegerType(), False)]))


@case(kind="error")
def case_to_string_to_int(spark, F, T):
    return wide(spark).to(T.StructType([T.StructField("s", T.IntegerType())]))


# -- files, mapInPandas, mapInArrow --------------------------------------------------------
@case(kind="value")
def case_input_files(spark, F, T):
    import tempfile

    path = tempfile.mkdtemp() + "/p"
    wide(spark).coalesce(1).write.parquet(path)
    files = spark.read.parquet(path).inputFiles()
    return [(f.startswith("file:///"), f.endswith(".parquet")) for f in files]


@case()
def case_map_in_pandas(spark, F, T):
    def double(batches):
        for pdf in batches:
            yield pdf.assign(i=pdf.i * 2)[["s", "i"]]

    return wide(spark).mapInPandas(double, "s string, i long")


@case()
def case_map_in_arrow(spark, F, T):
    def keep(batches):
        for batch in batches:
            yield batch.select(["s", "id"])

    return wide(spark).mapInArrow(
        keep,
        T.StructType([T.StructField("s", T.StringType()), T.StructField("id", T.IntegerType())]),
    )


@case(kind="error")
def case_map_in_pandas_not_struct(spark, F, T):
    return wide(spark).mapInPandas(lambda it: it, "int")


# -- groupingSets --------------------------------------------------------------------------
@case()
def case_grouping_sets_count(spark, F, T):
    return wide(spark).groupingSets([["id"], []], "id").count()


@case()
def case_grouping_sets_two_keys(spark, F, T):
    df = spark.createDataFrame(
        [("a", "x", 1), ("a", "y", 2), ("b", "x", 3)], "k string, g string, n int"
    )
    sets = [[F.col("k"), "g"], ["g"], []]
    return df.groupingSets(sets, "k", F.col("g")).agg(F.sum("n"), F.grouping_id())
