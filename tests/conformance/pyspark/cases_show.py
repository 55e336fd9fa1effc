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


# -- show() / printSchema() on wide, nested, null-heavy and unicode data ------------------------


def _long_names(spark):
    return spark.createDataFrame(
        [(1, "x" * 25, None)],
        "a_column_name_longer_than_twenty int, `second long column name here` string, "
        "`third_col_null_all_the_way` double",
    )


@case(kind="show")
def case_show_long_headers(spark, F, T):
    _long_names(spark).show()


@case(kind="show")
def case_show_long_headers_truncate_5(spark, F, T):
    _long_names(spark).show(truncate=5)


@case(kind="show")
def case_show_long_headers_truncate_false(spark, F, T):
    _long_names(spark).show(truncate=False)


@case(kind="show")
def case_show_long_headers_vertical(spark, F, T):
    _long_names(spark).show(vertical=True)


@case(kind="show")
def case_show_long_expression_header(spark, F, T):
    people(spark).orderBy("id").select(
        F.concat_ws("-", F.upper("name"), F.lower("dept"), F.col("age").cast("string"))
    ).show(2)


@case(kind="show")
def case_show_wide(spark, F, T):
    cols = [F.lit(i * 1000 + 7).alias(f"column_{i:02d}") for i in range(24)]
    spark.range(2).select("id", *cols).show()


def _unicode(spark):
    return spark.createDataFrame(
        [
            ("日本語テキスト", "café", "🙂 smile"),
            ("中文字符串很长很长很长很长很长很长很长", "naïve résumé façade élan", "a\tb"),
            ("\uff46\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48", "line1\nline2", ""),
            (None, None, None),
        ],
        "`名前` string, `ascii héader` string, emoji string",
    )


@case(kind="show")
def case_show_unicode(spark, F, T):
    _unicode(spark).show()


@case(kind="show")
def case_show_unicode_truncate_false(spark, F, T):
    _unicode(spark).show(truncate=False)


@case(kind="show")
def case_show_unicode_truncate_7(spark, F, T):
    _unicode(spark).show(truncate=7)


@case(kind="show")
def case_show_unicode_vertical(spark, F, T):
    _unicode(spark).show(vertical=True)


def _null_heavy(spark):
    return spark.createDataFrame(
        [
            (None, None, None, None, None),
            (1, [None, 2], {"k": None}, (None, None), None),
            (None, [], {}, None, "x"),
        ],
        "n int, arr array<int>, m map<string,int>, st struct<a:string,b:double>, s string",
    )


@case(kind="show")
def case_show_null_heavy(spark, F, T):
    _null_heavy(spark).orderBy(F.col("n").asc_nulls_first(), "s").show()


@case(kind="show")
def case_show_null_heavy_vertical(spark, F, T):
    _null_heavy(spark).orderBy(F.col("n").asc_nulls_first(), "s").show(vertical=True)


def _deep(spark):
    return spark.createDataFrame(
        [
            (
                1,
                [(1, ["a", "b"]), (2, [])],
                {"k": [1.5, None]},
                ((1, "deep"), [{"x": 1}]),
                b"\x00\xffab",
            ),
            (2, None, None, None, None),
        ],
        "id int, items array<struct<n:int,tags:array<string>>>, "
        "m map<string,array<double>>, "
        "outer struct<inner:struct<a:int,b:string>,maps:array<map<string,int>>>, bin binary",
    )


@case(kind="show")
def case_show_deeply_nested(spark, F, T):
    _deep(spark).orderBy("id").show()


@case(kind="show")
def case_show_deeply_nested_truncate_false(spark, F, T):
    _deep(spark).orderBy("id").show(truncate=False)


@case(kind="show")
def case_print_schema_deeply_nested(spark, F, T):
    _deep(spark).printSchema()


@case(kind="show")
def case_print_schema_level(spark, F, T):
    _deep(spark).printSchema(2)


@case(kind="show")
def case_print_schema_unicode_and_types(spark, F, T):
    fields = [
        T.StructField("名前", T.IntegerType()),
        T.StructField("nothing", T.NullType()),
        T.StructField("f", T.FloatType(), False),
        T.StructField("dec", T.DecimalType(12, 3)),
        T.StructField("d", T.DateType(), False),
        T.StructField("ts", T.TimestampType()),
        T.StructField("ntz", T.TimestampNTZType()),
        T.StructField("arr", T.ArrayType(T.IntegerType()), False),
        T.StructField("m", T.MapType(T.StringType(), T.IntegerType())),
        T.StructField(
            "st",
            T.StructType([T.StructField("x", T.IntegerType()), T.StructField("y", T.StringType())]),
            False,
        ),
        T.StructField("b", T.ByteType()),
        T.StructField("sh", T.ShortType()),
        T.StructField("bin", T.BinaryType()),
        T.StructField("with space", T.LongType()),
    ]
    spark.createDataFrame([], T.StructType(fields)).printSchema()


@case(kind="show")
def case_show_types_mixed(spark, F, T):
    spark.range(1).select(
        F.lit(1.5).cast("float").alias("f"),
        F.lit("-1234.500").cast("decimal(12,3)").alias("dec"),
        F.lit("2024-01-01 10:20:30.123456").cast("timestamp").alias("ts"),
        F.lit("2024-01-01 10:20:30").cast("timestamp_ntz").alias("ntz"),
        F.lit(None).alias("nothing"),
        F.lit("").alias("empty"),
        F.lit(float("nan")).alias("nan"),
        F.lit(float("-inf")).alias("ninf"),
        F.array(F.lit(1.0), F.lit(None)).alias("arr"),
    ).show()


@case(kind="show")
def case_print_schema_nested_not_null(spark, F, T):
    fields = [
        T.StructField("arr", T.ArrayType(T.IntegerType(), False)),
        T.StructField("m", T.MapType(T.StringType(), T.IntegerType(), False)),
        T.StructField("st", T.StructType([T.StructField("x", T.IntegerType(), False)])),
    ]
    spark.createDataFrame([], T.StructType(fields)).printSchema()
