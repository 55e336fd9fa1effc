"""Parity cases: file metadata in SQL text (``format.`path``` reads, ``_metadata`` and
``input_file_name()``), hashing maps, number formats of ``to_char``/``to_number``, and
DataFrame methods with unusual arguments."""

from __future__ import annotations

from typing import Any

from tests.conformance.pyspark.cases_file_metadata import _p, _relative
from tests.conformance.pyspark.registry import case


def _parquet() -> str:
    return _p("parquet/people.parquet")


@case()
def case_sql_files_input_file_name(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql(f"SELECT id, input_file_name() AS f FROM parquet.`{_parquet()}`")
    return df.select("id", _relative(F, F.col("f")).alias("f"))


@case()
def case_sql_files_metadata_and_star_csv(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"SELECT _metadata.file_name, * FROM csv.`{_p('csv/people.csv')}`")


@case()
def case_sql_files_read_formats(spark: Any, F: Any, T: Any) -> Any:
    text = spark.sql(f"SELECT value FROM text.`{_p('text/lines.txt')}`")
    json = spark.sql(f"SELECT CAST(id AS STRING) AS value FROM json.`{_p('json')}`")
    orc = spark.sql(f"SELECT name AS value FROM `orc`.`{_p('orc')}` t WHERE t.id > 1")
    return text.union(json).union(orc)


@case()
def case_sql_files_metadata_fields(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        f"SELECT x.*, x._metadata.file_size, upper(_metadata.file_name) AS u, "
        f"input_file_block_start(), input_file_block_length() FROM parquet.`{_parquet()}` x "
        "WHERE _metadata.file_name LIKE '%people%'"
    )


@case()
def case_sql_files_metadata_struct(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql(f"SELECT _metadata, * FROM parquet.`{_parquet()}`")
    return df.select("id", "_metadata.file_name", "_metadata.row_index")


@case()
def case_sql_files_through_subqueries(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "SELECT s.id, _metadata.file_name, input_file_block_length() AS n FROM "
        f"(SELECT * FROM (SELECT id FROM parquet.`{_parquet()}` WHERE id > 1)) s"
    )


@case()
def case_sql_files_distinct_subquery(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"SELECT _metadata.file_name FROM (SELECT DISTINCT id FROM orc.`{_p('orc')}`)")


@case()
def case_sql_files_past_limit(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "SELECT id, input_file_name(), input_file_block_start(), _metadata.file_name FROM "
        f"(SELECT * FROM parquet.`{_parquet()}` ORDER BY id LIMIT 2)"
    )


@case()
def case_sql_files_group_by_file(spark: Any, F: Any, T: Any) -> Any:
    df = spark.sql(
        f"SELECT input_file_name() AS f, count(*) AS n FROM csv.`{_p('csv')}` GROUP BY 1"
    )
    return df.select(_relative(F, F.col("f")).alias("f"), "n")


@case()
def case_sql_files_in_subquery_expression(spark: Any, F: Any, T: Any) -> Any:
    path = _parquet()
    return spark.sql(
        f"SELECT id FROM parquet.`{path}` WHERE id IN "
        f"(SELECT id FROM parquet.`{path}` WHERE _metadata.file_name = 'people.parquet')"
    )


@case()
def case_sql_files_union(spark: Any, F: Any, T: Any) -> Any:
    path = _parquet()
    return spark.sql(
        f"SELECT id, _metadata.file_size FROM parquet.`{path}` UNION ALL "
        f"SELECT id, input_file_block_length() FROM parquet.`{path}`"
    )


@case()
def case_sql_files_temp_view_functions(spark: Any, F: Any, T: Any) -> Any:
    spark.read.parquet(_parquet()).createOrReplaceTempView("misc_gaps_files")
    df = spark.sql(
        "SELECT id, input_file_name() AS f, input_file_block_length() FROM misc_gaps_files"
    )
    return df.select("id", _relative(F, F.col("f")).alias("f"), "input_file_block_length()")


@case()
def case_sql_files_temp_view_user_cte(spark: Any, F: Any, T: Any) -> Any:
    spark.range(3).createOrReplaceTempView("misc_gaps_range")
    return spark.sql("WITH t AS (SELECT * FROM misc_gaps_range) SELECT id FROM t")


@case(kind="error")
def case_sql_files_temp_view_metadata(spark: Any, F: Any, T: Any) -> Any:
    spark.read.parquet(_parquet()).createOrReplaceTempView("misc_gaps_files")
    return spark.sql("SELECT _metadata.file_name FROM misc_gaps_files")


@case(kind="error")
def case_sql_files_user_cte_metadata(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"WITH t AS (SELECT * FROM parquet.`{_parquet()}`) SELECT _metadata FROM t")


@case(kind="error")
def case_sql_files_past_aggregate(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        f"SELECT _metadata.file_name FROM (SELECT id, count(*) FROM parquet.`{_parquet()}` "
        "GROUP BY id)"
    )


@case(kind="error")
def case_sql_files_aggregate_of_file_function(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"SELECT max(input_file_name()) FROM parquet.`{_parquet()}`")


@case(kind="error")
def case_sql_files_join_two_reads(spark: Any, F: Any, T: Any) -> Any:
    path = _parquet()
    return spark.sql(
        f"SELECT input_file_name() FROM parquet.`{path}` a JOIN parquet.`{path}` b ON a.id = b.id"
    )


@case()
def case_sql_files_join_qualified_metadata(spark: Any, F: Any, T: Any) -> Any:
    path = _parquet()
    return spark.sql(
        f"SELECT a.id, b._metadata.file_name FROM parquet.`{path}` a "
        f"JOIN parquet.`{path}` b ON a.id = b.id"
    )


@case(kind="error")
def case_sql_files_unknown_field(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"SELECT _metadata.nope FROM parquet.`{_parquet()}`")


@case(kind="error")
def case_sql_files_missing_path(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"SELECT * FROM parquet.`{_p('nope')}`")


@case(kind="error")
def case_sql_files_unknown_format(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(f"SELECT * FROM nosuchformat.`{_parquet()}`")


@case()
def case_sql_files_select_expr(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.parquet(_parquet()).filter("_metadata.file_name like '%people%'")
    return df.selectExpr(
        "id",
        "substring_index(input_file_name(), '/', -1) AS f",
        "_metadata.file_path LIKE 'file:/%' AS uri",
    )


@case(kind="error")
def case_dataframe_aggregate_of_file_function(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.parquet(_parquet()).select(F.max(F.input_file_name()))


def _maps(spark: Any) -> Any:
    return spark.sql(
        "SELECT map(1, 'a') AS m, struct(map(1, 'a') AS m) AS s, array(map(1, 'a')) AS a, "
        "array(struct(map(1, 2) AS m)) AS sa, map(1, map(2, 3)) AS mm, named_struct('x', 1) AS ok"
    )


@case(kind="error")
def case_hash_map_xxhash64(spark: Any, F: Any, T: Any) -> Any:
    return _maps(spark).select(F.xxhash64("m"))


@case(kind="error")
def case_hash_map_hash(spark: Any, F: Any, T: Any) -> Any:
    return _maps(spark).select(F.hash(F.lit(1), "m"))


@case(kind="error")
def case_hash_map_in_struct(spark: Any, F: Any, T: Any) -> Any:
    return _maps(spark).select(F.xxhash64("s"))


@case(kind="error")
def case_hash_map_in_array(spark: Any, F: Any, T: Any) -> Any:
    return _maps(spark).select(F.hash("a"))


@case(kind="error")
def case_hash_map_in_array_of_structs(spark: Any, F: Any, T: Any) -> Any:
    return _maps(spark).selectExpr("xxhash64(sa)")


@case(kind="error")
def case_hash_map_sql_text(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("SELECT hash(1, map(1, 2)) AS h")


@case(kind="error")
def case_hash_no_arguments(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("SELECT xxhash64() AS h")


@case()
def case_hash_struct_without_map(spark: Any, F: Any, T: Any) -> Any:
    return _maps(spark).select(F.xxhash64("ok"), F.xxhash64("ok", F.lit("x")))


_TO_CHAR_NUMBERS = ("-5", "5", "0", "-0.5", "12345.678", "123", "-123", "0.01")
_TO_CHAR_FORMATS = (
    "S999",
    "999S",
    "MI999",
    "999MI",
    "999PR",
    "S$999.99",
    "$99,999.99",
    "9,999D99",
    "099.9",
    "99G999",
    "999.99MI",
    "$9,999PR",
    "00.00S",
    ".99",
    "9.",
)


@case()
def case_number_format_to_char_matrix(spark: Any, F: Any, T: Any) -> Any:
    rows = [(n,) for n in _TO_CHAR_NUMBERS]
    df = spark.createDataFrame(rows, "s string").select(F.col("s").cast("decimal(10,3)").alias("n"))
    return df.select("n", *(F.to_char("n", F.lit(f)).alias(f) for f in _TO_CHAR_FORMATS))


@case()
def case_number_format_to_char_dataframe(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(-5,), (0,), (7,), (None,)], "n int")
    return df.select("n", *(F.to_char("n", F.lit(f)).alias(f) for f in ("S999", "999PR", "9.")))


@case(kind="error")
def case_number_format_to_char_unexpected_token(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("SELECT to_char(5, 'L999')")


@case(kind="error")
def case_number_format_to_char_empty(spark: Any, F: Any, T: Any) -> Any:
    return spark.createDataFrame([(5,)], "n int").select(F.to_char("n", F.lit("")))


_TO_NUMBER_INPUTS = (
    ("-5", "S999"),
    (" 5 ", "S999"),
    ("5-", "999S"),
    ("5-", "999MI"),
    ("<5>", "999PR"),
    ("$5", "$999"),
    ("12,345.67", "99,999.99"),
    ("12345.67", "99,999.99"),
    ("1,2", "9,999"),
    ("12,34", "9,999"),
    ("1,234,5", "9,999,999"),
    ("123,4", "99,99,999"),
    (".5", "9,999D99"),
    ("0005", "9999"),
    ("1.2.3", "99.99"),
    ("", "999"),
    ("abc", "999"),
)


@case()
def case_number_format_try_to_number_matrix(spark: Any, F: Any, T: Any) -> Any:
    items = [f"try_to_number('{s}', '{f}') AS `{f} {s}`" for s, f in _TO_NUMBER_INPUTS]
    return spark.sql("SELECT " + ", ".join(items))


@case()
def case_number_format_to_number_values(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "SELECT to_number(' 5', '999') AS a, to_number('<12.5>', '99.9PR') AS b, "
        "to_number('-$1,234.50', 'S$9,999.99') AS c, to_number('5-', '9MI') AS d"
    )


@case(kind="error")
def case_number_format_to_number_mismatch(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("SELECT to_number('12345', '9,999') AS n")


@case(kind="error")
def case_number_format_to_number_sign_inside(spark: Any, F: Any, T: Any) -> Any:
    return spark.createDataFrame([("5",)], "s string").select(F.to_number("s", F.lit("$S999")))


@case(kind="error")
def case_number_format_try_to_number_empty_format(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("SELECT try_to_number('5', '') AS n")


def _mixed(spark: Any) -> Any:
    import datetime

    return spark.createDataFrame(
        [
            (1, "a", None, True, datetime.date(2020, 1, 1), 1.5),
            (2, None, 3.0, None, None, None),
            (2, "b", 4.0, False, datetime.date(2021, 1, 1), 2.5),
        ],
        "id int, s string, d double, b boolean, dt date, x double",
    )


@case()
def case_dataframe_methods_fill_mixed(spark: Any, F: Any, T: Any) -> Any:
    return _mixed(spark).na.fill({"s": "z", "d": 0.0, "b": True}).fillna(5, subset=["x", "s"])


@case()
def case_dataframe_methods_fill_bool_and_drop(spark: Any, F: Any, T: Any) -> Any:
    df = _mixed(spark).fillna(False).na.drop(how="all", subset=["s", "d"])
    return df.na.drop(thresh=5)


@case()
def case_dataframe_methods_replace(spark: Any, F: Any, T: Any) -> Any:
    df = _mixed(spark).na.replace({"a": "A", "b": None}).replace([1, 2], [10, 20], "id")
    return df.replace(1.5, 9.0)


@case()
def case_dataframe_methods_describe_string_and_date(spark: Any, F: Any, T: Any) -> Any:
    return _mixed(spark).describe("s", "dt")


@case()
def case_dataframe_methods_summary_strings(spark: Any, F: Any, T: Any) -> Any:
    return _mixed(spark).select("s", "b").summary()


@case()
def case_dataframe_methods_summary_custom(spark: Any, F: Any, T: Any) -> Any:
    df = _mixed(spark).select("id", "s", "x")
    return df.summary("count", "min", "50%", "count_distinct", "approx_count_distinct", "max")


@case()
def case_dataframe_methods_pivot_null_value(spark: Any, F: Any, T: Any) -> Any:
    return _mixed(spark).groupBy("id").pivot("s").count()


@case()
def case_dataframe_methods_pivot_values_aggs(spark: Any, F: Any, T: Any) -> Any:
    df = _mixed(spark).groupBy("id").pivot("s", ["a", "b", "c"])
    return df.agg(F.sum("d"), F.max("x"))


@case()
def case_dataframe_methods_pivot_bool(spark: Any, F: Any, T: Any) -> Any:
    return _mixed(spark).groupBy("s").pivot("b").agg(F.count("id"))


@case()
def case_dataframe_methods_crosstab_nulls(spark: Any, F: Any, T: Any) -> Any:
    return _mixed(spark).crosstab("s", "b")


@case()
def case_dataframe_methods_crosstab_ints(spark: Any, F: Any, T: Any) -> Any:
    return _mixed(spark).crosstab("id", "s")


@case(kind="value")
def case_dataframe_methods_corr_cov_nulls(spark: Any, F: Any, T: Any) -> Any:
    df = _mixed(spark)
    return [round(df.corr("id", "d"), 9), round(df.cov("id", "x"), 9), df.cov("id", "id")]


@case(kind="value")
def case_dataframe_methods_approx_quantile_exact(spark: Any, F: Any, T: Any) -> Any:
    return _mixed(spark).approxQuantile(["d", "x", "id"], [0.0, 0.5, 1.0], 0.0)


@case()
def case_dataframe_methods_with_columns(spark: Any, F: Any, T: Any) -> Any:
    df = _mixed(spark).withColumns({"a": F.lit(1), "id": F.col("id") + 1})
    return df.withColumnsRenamed({"id": "ID", "nope": "x2", "s": "t"})


@case()
def case_dataframe_methods_to_df_duplicates_and_drop(spark: Any, F: Any, T: Any) -> Any:
    return _mixed(spark).toDF("a", "a", "c", "d", "e", "f").drop("nope", "c")


@case()
def case_dataframe_methods_unpivot_mixed(spark: Any, F: Any, T: Any) -> Any:
    return _mixed(spark).unpivot("id", ["d", "x"], "k", "v")


@case(kind="error")
def case_dataframe_methods_unpivot_incompatible(spark: Any, F: Any, T: Any) -> Any:
    return _mixed(spark).unpivot("id", ["s", "dt"], "k", "v")


@case()
def case_dataframe_methods_offset_tail_regex(spark: Any, F: Any, T: Any) -> Any:
    df = _mixed(spark).orderBy("x").offset(1)
    return df.select(df.colRegex("`(i|s).*`"))


@case(kind="value")
def case_dataframe_methods_empty_tail(spark: Any, F: Any, T: Any) -> Any:
    df = _mixed(spark)
    return [df.isEmpty(), df.limit(0).isEmpty(), [r.id for r in df.orderBy("id").tail(2)]]


@case()
def case_dataframe_methods_drop_duplicates_subset(spark: Any, F: Any, T: Any) -> Any:
    return _mixed(spark).dropDuplicates(["id"]).select("id")
