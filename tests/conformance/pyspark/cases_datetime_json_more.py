"""Parity cases: clock parts of strings, nanosecond timestamps, JSON/CSV text, try_ arithmetic
with ANSI intervals, decimal overflow of sums, and moments (issue 16's doc examples)."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


@case()
def case_dtj_clock_parts_of_strings(spark, F, T):
    df = spark.createDataFrame(
        [("2015-04-08 13:08:15",), ("2024-10-31 10:09:16.25",), (None,)], "ts string"
    )
    return df.select(
        "*",
        F.typeof("ts"),
        F.hour("ts"),
        F.minute("ts"),
        F.second("ts"),
        F.hour(F.lit(None)),
        F.hour(F.to_date("ts")),
    )


@case("error")
def case_dtj_hour_of_malformed_string(spark, F, T):
    return spark.createDataFrame([("bad",)], "ts string").select(F.hour("ts"))


@case()
def case_dtj_row_constructor_to_json_date_format(spark, F, T):
    df = spark.sql("SELECT (DATE('2022-02-22'), 1) AS date, (1, 'a', NULL) AS r")
    return df.select(
        "date",
        "r",
        F.to_json(df.date),
        F.to_json(df.date, {"dateFormat": "yyyy/MM/dd"}).alias("slashed"),
        F.to_json(
            F.struct(F.array(F.lit(None).cast("date"), F.to_date(F.lit("2020-01-05"))).alias("ds")),
            {"dateFormat": "dd.MM.yyyy"},
        ).alias("nested"),
    )


@case()
def case_dtj_to_csv_nested_fields_quoted(spark, F, T):
    df = spark.createDataFrame(
        [(2, "Alice", [100, 200, 300], {"k": 1}), (3, "Bob", [], None)],
        "age int, name string, scores array<int>, m map<string,int>",
    )
    return df.select(
        F.to_csv(F.struct("age", "name", "scores")).alias("a"),
        F.to_csv(F.struct("name", F.array("age", F.lit(5)).alias("n"))).alias("b"),
        F.to_csv(F.struct("age", "scores"), {"sep": ";"}).alias("c"),
    )


_JARRAYS = [
    '[{"f1": "value1"},{"f1": "value2"}]',
    '[{"f1": "value12"},{"f2": "value13"}]',
    '{"a":["x"]}',
    '{"a":["x","y"],"b":[{"c":1},{"c":null},{"c":[1,2]}]}',
    "[1,2,3]",
    "[]",
    "[[1,2],[3]]",
    "bad",
    '{"a":[{"b":{"c":"z"}}]}',
    None,
]


@case()
def case_dtj_get_json_object_wildcards(spark, F, T):
    df = spark.createDataFrame([(i, j) for i, j in enumerate(_JARRAYS)], "k int, j string")
    paths = ["$[*].f1", "$[*].f2", "$.a[*]", "$.b[*].c", "$[*]", "$.a[*].b.c", "$.b[*]", "$.a"]
    return df.select("k", *[F.get_json_object("j", p).alias(p) for p in paths])


_RELAXED = [
    "{a:123}",
    "{'a': 5}",
    '{"a": 7 /* c */}',
    '{"a": 007}',
    '{"a":"x, b: 1"}',
    "{'a':'it''s'}",
    "{'a': ''}",
    '{"a": 1 // end\n}',
    None,
]


@case()
def case_dtj_from_json_relaxed_options(spark, F, T):
    df = spark.createDataFrame([(i, v) for i, v in enumerate(_RELAXED)], "k int, v string")
    options = [
        None,
        {"allowUnquotedFieldNames": "true"},
        {"allowSingleQuotes": "false"},
        {"allowComments": "true"},
        {"allowNumericLeadingZeros": "true"},
        {"bogus": "x"},
    ]
    return df.select(
        "k",
        *[F.from_json("v", "a STRING", o).alias(f"o{i}") for i, o in enumerate(options)],
        F.from_json("v", "a INT", {"allowUnquotedFieldNames": "true"}).alias("int"),
    )


@case()
def case_dtj_schema_of_json_relaxed_options(spark, F, T):
    return spark.range(1).select(
        F.schema_of_json("{a: 1, 'b': [1, 2], c: {d: 'x'}}", {"allowUnquotedFieldNames": "true"}),
        F.schema_of_json("{'b': 1 /* x */}", {"allowComments": "true"}),
        F.schema_of_json("{'b': 007}", {"allowNumericLeadingZeros": "true"}),
    )


@case()
def case_dtj_try_sum_avg_decimal_overflow(spark, F, T):
    from decimal import Decimal

    big = Decimal("9" * 35 + ".25")
    rows = [
        ("a", big, Decimal("1.5")),
        ("a", big, Decimal("-2.25")),
        ("a", big, None),
        ("b", -big, Decimal("0.01")),
        ("b", Decimal("-0.75"), Decimal("0.02")),
        ("c", None, None),
        ("d", Decimal("1" * 36), Decimal("3")),
        ("d", Decimal("0.5"), Decimal("4")),
    ]
    text = [(k, None if n is None else str(n), None if d is None else str(d)) for k, n, d in rows]
    df = spark.createDataFrame(text, "k string, n string, d string").select(
        "k",
        F.col("n").cast("decimal(38,2)").alias("n"),
        F.col("d").cast("decimal(10,2)").alias("d"),
    )
    return df.groupBy("k").agg(
        F.try_sum("n"), F.try_avg("n"), F.try_sum("d"), F.try_avg("d"), F.count("n")
    )


@case()
def case_dtj_try_sum_avg_decimal38_scale0(spark, F, T):
    from decimal import Decimal

    df = spark.createDataFrame([(Decimal("1" * 38),)] * 10, "number DECIMAL(38, 0)")
    df2 = spark.createDataFrame([(Decimal("1" * 38),), (Decimal(0),)], "number DECIMAL(38, 0)")
    return df.select(F.try_sum("number"), F.try_avg("number")).crossJoin(
        df2.select(F.try_sum("number").alias("s2"), F.try_avg("number").alias("a2"))
    )


@case()
def case_dtj_moments_of_pairs(spark, F, T):
    rows = [
        ("a", 1.0, 2.0),
        ("a", 2.0, 4.5),
        ("a", 4.0, None),
        ("a", 8.0, 15.0),
        ("a", None, 3.0),
        ("b", 1.0, 1.0),
        ("c", 3.0, 3.0),
        ("c", 3.0, 4.0),
        ("d", None, None),
        ("e", 1.0, 1.0),
        ("e", 1.0, 1.0),
        ("e", 2.0, 2.0),
    ]
    df = spark.createDataFrame(rows, "k string, x double, y double")
    return df.groupBy("k").agg(
        F.kurtosis("x"),
        F.skewness("x"),
        F.corr("x", "y"),
        F.regr_r2("y", "x"),
        F.regr_r2("x", "y"),
    )


@case()
def case_dtj_moments_doc_examples(spark, F, T):
    line = spark.createDataFrame([(a, 2 * a) for a in range(20)], ["a", "b"])
    c = spark.createDataFrame([[1], [1], [2]], ["c"])
    r = spark.sql("SELECT * FROM VALUES (1, 1), (2, 2), (3, 3), (4, 4) AS tab(y, x)")
    return (
        line.agg(F.corr("a", line.b))
        .crossJoin(c.select(F.kurtosis(c.c)))
        .crossJoin(r.select(F.regr_r2("y", "x")))
    )
