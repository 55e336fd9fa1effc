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


def _each_format(df, F, fn, column, formats):
    return df.select(column, *(fn(column, F.lit(f)) for f in formats))


@case()
def case_to_number_formats(spark, F, T):
    texts = ["$78.12", "$5", "454", "12,454.8-", "<12.5>", "x1", None]
    df = spark.createDataFrame([(t,) for t in texts], "s string")
    return _each_format(df, F, F.try_to_number, "s", ["$99.99", "999", "99G999D9S", "99.9PR"])


@case()
def case_to_number_doc(spark, F, T):
    df = spark.createDataFrame([("$78.12",)], ["e"])
    return df.select(F.to_number(df.e, F.lit("$99.99")).alias("r"))


@case(kind="error")
def case_to_number_mismatch(spark, F, T):
    df = spark.createDataFrame([("abc",)], ["e"])
    return df.select(F.to_number(df.e, F.lit("999")))


@case()
def case_to_char_numbers(spark, F, T):
    values = [78.12, 5.1, -12454.8, 0.0, 123456.789, None]
    df = spark.createDataFrame([(v,) for v in values], "x double")
    df = df.select(F.col("x").cast("decimal(10,3)").alias("x"))
    formats = ["$99.99", "99G999D9S", "000000.00", "99999.9PR"]
    return _each_format(df, F, F.to_char, "x", formats).select(
        "*", F.to_varchar("x", F.lit("999999MI"))
    )


@case()
def case_to_char_dates_binary(spark, F, T):
    df = spark.createDataFrame([("2024-02-29", b"ab\x01")], "d string, b binary")
    df = df.select(F.to_date("d").alias("d"), "b")
    return df.select(
        F.to_char("d", F.lit("yyyy/MM/dd")),
        F.to_char("b", F.lit("hex")),
        F.to_char("b", F.lit("base64")),
        F.to_varchar("b", F.lit("utf-8")),
    )


# -- smaller gaps ------------------------------------------------------------------------------


def _people(spark):
    return spark.createDataFrame(
        [
            (1, "Alice", 34, "eng", 120.5),
            (2, "Bob", 45, "eng", 99.0),
            (3, "Cara", None, "ops", 75.25),
        ],
        "id int, name string, age int, dept string, score double",
    )


@case(kind="value")
def case_grouped_data_repr(spark, F, T):
    df = _people(spark)
    return (
        repr(df.groupBy("dept")),
        repr(df.groupBy()),
        repr(df.rollup("dept")),
        repr(df.cube("dept", "name")),
        repr(df.groupBy("dept").pivot("name")),
    )


@case(ordered=True)
def case_group_by_ordinal(spark, F, T):
    return _people(spark).select("dept", "score").groupBy(1).agg(F.sum("score")).orderBy(1)


@case(ordered=True)
def case_sort_ordinal(spark, F, T):
    return _people(spark).select("name", "age", "id").sort(3).select("name", "id")


@case(ordered=True)
def case_sort_ordinal_descending(spark, F, T):
    return _people(spark).select("name", "id").orderBy(-2)


@case()
def case_ceil_floor_scale(spark, F, T):
    df = spark.createDataFrame([(3.14159, -3.14159, 1234.5)], "a double, b double, c double")
    return df.select(
        F.ceil("a", 2), F.floor("a", 2), F.ceil("b", 1), F.floor("b", 1),
        F.ceil("c", -2), F.floor("c", -2), F.ceil("a", F.lit(0)), F.ceiling("a", 3),
    )  # fmt: skip


@case()
def case_mode_deterministic(spark, F, T):
    df = spark.createDataFrame([(1,), (2,), (2,), (3,), (3,), (None,)], "x int")
    return df.select(F.mode("x", deterministic=True))


@case()
def case_lpad_rpad_binary_pad(spark, F, T):
    df = spark.createDataFrame([(b"ab",), (b"",)], "b binary")
    return df.select(F.lpad("b", 5, b"\x00"), F.rpad("b", 4, b"\xff"))


@case(kind="value")
def case_drop_table_if_exists(spark, F, T):
    df = spark.sql("DROP TABLE IF EXISTS no_such_table_kaspar")
    spark.range(2).createOrReplaceTempView("drop_me_kaspar")
    spark.sql("DROP VIEW IF EXISTS no_such_view_kaspar")
    spark.sql("DROP VIEW drop_me_kaspar")
    return (df.columns, spark.catalog.tableExists("drop_me_kaspar"))


@case()
def case_percentile_array(spark, F, T):
    df = spark.createDataFrame([(float(i),) for i in range(11)], "x double")
    return df.select(
        F.percentile("x", [0.25, 0.5]),
        F.percentile("x", F.array(F.lit(0.1), F.lit(0.9))).alias("p"),
        F.percentile("x", 0.5),
    )


@case()
def case_decimal_and_array_literals(spark, F, T):
    import decimal

    df = spark.range(1)
    return df.select(
        F.lit(decimal.Decimal("1.230")),
        F.lit([1, 2, 3]),
        F.lit(["a", None]),
        F.array_contains(F.lit([1, 2]), 2).alias("c"),
        F.lit(decimal.Decimal("-0.5")) + 1,
    )


@case(ordered=True)
def case_write_text_read_back(spark, F, T):
    import tempfile

    path = tempfile.mkdtemp(prefix="kaspar-parity-text-") + "/out"
    df = spark.createDataFrame([('a,"b"',), (None,), ("x y",)], "value string")
    df.coalesce(1).write.text(path)
    return spark.read.text(path).select(F.col("value"), F.length("value").alias("n")).orderBy("n")


@case(kind="error")
def case_write_text_two_columns(spark, F, T):
    import tempfile

    path = tempfile.mkdtemp(prefix="kaspar-parity-text-") + "/out"
    spark.createDataFrame([("a", "b")], "x string, y string").write.text(path)


@case(kind="error")
def case_write_text_not_string(spark, F, T):
    import tempfile

    path = tempfile.mkdtemp(prefix="kaspar-parity-text-") + "/out"
    spark.range(1).write.text(path)


def _events(spark, F):
    rows = [
        ("a", "2024-01-01 10:00:00"),
        ("a", "2024-01-01 10:05:00"),
        ("a", "2024-01-01 10:15:00"),
        ("a", "2024-01-01 10:30:00"),
        ("b", "2024-01-01 10:01:00"),
        ("b", "2024-01-01 10:20:00"),
        ("b", None),
    ]
    df = spark.createDataFrame(rows, "k string, t string")
    return df.select("k", F.to_timestamp("t").alias("ts"))


@case()
def case_session_window_batch(spark, F, T):
    df = _events(spark, F)
    return df.groupBy("k", F.session_window("ts", "10 minutes")).agg(F.count("*").alias("n"))


@case()
def case_session_window_only(spark, F, T):
    df = _events(spark, F)
    grouped = df.groupBy(F.session_window("ts", "5 minutes"))
    return grouped.count().select("session_window.start", "session_window.end", "count")


@case()
def case_schema_of_csv(spark, F, T):
    return spark.range(1).select(
        F.schema_of_csv(F.lit("1,abc")),
        F.schema_of_csv("3000000000,2.5,true,2024-01-02,,x y").alias("mixed"),
        F.schema_of_csv(F.lit("1|2024-01-02 10:00:00"), {"sep": "|"}).alias("piped"),
    )


@case()
def case_skewness_kurtosis_groups(spark, F, T):
    rows = [("a", 1.0), ("a", 2.0), ("a", 10.0), ("b", 5.0), ("b", 5.0), ("c", 3.0), ("d", None)]
    df = spark.createDataFrame(rows, "k string, x double")
    return df.groupBy("k").agg(F.skewness("x"), F.kurtosis("x"))


@case()
def case_column_transform(spark, F, T):
    df = spark.createDataFrame([(" Hello ",), (None,)], "s string")
    return df.select(F.col("s").transform(F.trim).transform(F.upper))


@case(kind="value")
def case_builder_repr(spark, F, T):
    import re

    text = repr(type(spark).builder)
    return re.sub(r"^<[a-z_.]+\.(SparkSession\.Builder) object at 0x[0-9a-f]+>$", r"\1", text)


@case()
def case_sentences_punctuation(spark, F, T):
    rows = [("Hi there! Good morning.",), ("It's 10 o'clock, isn't it?",), ("   ",), (None,)]
    return spark.createDataFrame(rows, "s string").select(F.sentences("s"))


@case(kind="value")
def case_reprs(spark, F, T):
    df = spark.createDataFrame(
        [(1, "a", [1], {"k": 1.5}, (2, "x"))],
        "id bigint, s string, arr array<int>, m map<string,double>, st struct<n:int,t:string>",
    )
    row = df.first()
    return (
        repr(df),
        repr(df.select((F.col("id") + 1).alias("x"))),
        repr(row),
        repr(F.col("id") + 1),
        repr(F.upper("s").alias("u")),
        repr(F.col("st.n")),
        repr(df.groupBy("s").agg(F.count("*"))),
        repr(df.describe()),
        str(df.schema["st"].dataType),
        repr(df.schema["m"]),
    )


@case(kind="error")
def case_writer_bucket_by_save(spark, F, T):
    import tempfile

    path = tempfile.mkdtemp(prefix="kaspar-parity-bucket-") + "/out"
    spark.range(3).write.bucketBy(2, "id").save(path)


@case(kind="error")
def case_writer_sort_by_save(spark, F, T):
    import tempfile

    path = tempfile.mkdtemp(prefix="kaspar-parity-bucket-") + "/out"
    spark.range(3).write.bucketBy(2, "id").sortBy("id").parquet(path)


@case(kind="value")
def case_session_tags(spark, F, T):
    spark.addTag("etl")
    spark.addTag("nightly")
    spark.removeTag("nightly")
    tags = spark.getTags()
    spark.clearTags()
    return (sorted(tags), sorted(spark.getTags()), spark.interruptTag("etl"), spark.interruptAll())


@case(kind="value")
def case_same_semantics(spark, F, T):
    df = spark.range(10)
    a = df.withColumn("x", F.col("id") * 2)
    b = df.withColumn("x", F.col("id") * 2)
    c = df.withColumn("x", F.col("id") + 2)
    return (
        a.sameSemantics(b),
        a.sameSemantics(c),
        a.semanticHash() == b.semanticHash(),
        isinstance(a.semanticHash(), int),
    )


@case()
def case_column_with_field(spark, F, T):
    df = spark.createDataFrame(
        [((1, ("x", 2)),), (None,)], "st struct<a:int,inner:struct<s:string,n:int>>"
    )
    return df.select(
        F.col("st").withField("a", F.lit(10)),
        F.col("st").withField("b", F.col("st.a") + 1).alias("added"),
        F.col("st").withField("inner.n", F.lit(7)).alias("nested"),
    )
