"""Parity cases: JSON functions, ``udf`` and ``pandas_udf``, hashing."""

from __future__ import annotations

import pandas as pd

from tests.conformance.pyspark.registry import case, people


def docs(spark):
    return spark.createDataFrame(
        [
            ('{"a":1,"b":"x","c":{"d":2.5},"e":[1,2]}',),
            ('{"a":"q","b":"y"}',),
            ("{bad json",),
            (None,),
            ("[1, 2]",),
        ],
        "s string",
    )


@case()
def case_from_json_ddl(spark, F, T):
    return docs(spark).select(F.from_json("s", "a int, b string"))


@case()
def case_from_json_malformed_is_null_struct(spark, F, T):
    return docs(spark).select(F.from_json("s", "a int, b string").alias("j")).select("j.*")


@case()
def case_from_json_struct_type(spark, F, T):
    schema = T.StructType(
        [
            T.StructField("a", T.LongType()),
            T.StructField("c", T.StructType([T.StructField("d", T.DoubleType())])),
        ]
    )
    return docs(spark).select(F.from_json("s", schema).alias("j")).select("j.a", "j.c.d")


@case()
def case_from_json_array_field(spark, F, T):
    return docs(spark).select(F.from_json("s", "e array<int>").alias("j")).select("j.e")


@case()
def case_get_json_object(spark, F, T):
    return docs(spark).select(
        F.get_json_object("s", "$.a"),
        F.get_json_object("s", "$.c.d"),
        F.get_json_object("s", "$.b"),
    )


@case()
def case_get_json_object_nested_object(spark, F, T):
    return docs(spark).select(F.get_json_object("s", "$.c").alias("c"))


@case()
def case_json_tuple(spark, F, T):
    return docs(spark).select(F.json_tuple("s", "a", "b"))


@case()
def case_json_tuple_with_other_columns(spark, F, T):
    return docs(spark).select("s", F.json_tuple("s", "b"))


@case()
def case_schema_of_json(spark, F, T):
    return spark.range(1).select(
        F.schema_of_json(F.lit('{"a":1,"b":[1.5],"c":{"d":"x"},"e":true}'))
    )


@case()
def case_to_json_struct(spark, F, T):
    return people(spark).select(F.to_json(F.struct("id", "name", "age")).alias("j"))


@case()
def case_to_json_skips_nulls(spark, F, T):
    return people(spark).select(F.to_json(F.struct("name", "dept", "score")).alias("j"))


@case()
def case_to_json_array_and_map(spark, F, T):
    return spark.range(2).select(
        F.to_json(F.struct(F.array(F.col("id"), F.lit(5)).alias("a"))).alias("x"),
        F.to_json(F.create_map(F.lit("k"), F.col("id"))).alias("m"),
    )


@case()
def case_json_round_trip(spark, F, T):
    js = people(spark).select(F.to_json(F.struct("id", "name")).alias("j"))
    return js.select(F.from_json("j", "id int, name string").alias("r")).select("r.*")


@case()
def case_udf_decorator(spark, F, T):
    @F.udf("int")
    def plus_one(x):
        return None if x is None else x + 1

    return people(spark).select("id", plus_one("age"))


@case()
def case_udf_function_default_string(spark, F, T):
    shout = F.udf(lambda s: None if s is None else s.upper() + "!")
    return people(spark).select(shout("name").alias("s"))


@case()
def case_udf_return_type_object(spark, F, T):
    def area(w, h):
        return float(w * h)

    f = F.udf(area, T.DoubleType())
    return people(spark).select(f("id", "id").alias("a"))


@case()
def case_udf_in_filter(spark, F, T):
    is_long = F.udf(lambda s: s is not None and len(s) > 3, "boolean")
    return people(spark).filter(is_long("name")).select("name")


@case()
def case_udf_nested(spark, F, T):
    inc = F.udf(lambda x: None if x is None else x + 1, "int")
    return people(spark).select(inc(inc("id")).alias("x"))


@case()
def case_udf_with_groupby(spark, F, T):
    initial = F.udf(lambda s: s[0], "string")
    return people(spark).groupBy(initial("name").alias("i")).count()


@case()
def case_udf_array_result(spark, F, T):
    chars = F.udf(list, "array<string>")
    return people(spark).select(chars("name").alias("c"))


@case()
def case_udf_struct_result(spark, F, T):
    pair = F.udf(lambda i, n: (i, n), "struct<i:int,n:string>")
    return people(spark).select(pair("id", "name").alias("p")).select("p.i", "p.n")


@case()
def case_udf_struct_argument(spark, F, T):
    fields = F.udf(lambda st: None if st is None else type(st).__name__, "string")
    return spark.createDataFrame([((1, "x"),)], "st struct<a:int,b:string>").select(fields("st"))


@case()
def case_pandas_udf_scalar(spark, F, T):
    @F.pandas_udf("double")
    def half(s):
        return s / 2

    return people(spark).select(half("score"))


@case()
def case_pandas_udf_two_args(spark, F, T):
    @F.pandas_udf(T.LongType())
    def add(a, b):
        return a + b

    return people(spark).select(add("id", "id").alias("s"))


@case()
def case_pandas_udf_strings(spark, F, T):
    def upper(s):
        return s.str.upper()

    f = F.pandas_udf(upper, "string")
    return people(spark).select(f("name").alias("u"))


@case(kind="error")
def case_udf_raises(spark, F, T):
    def boom(x):
        raise ValueError("boom")

    return people(spark).select(F.udf(boom, "int")("id"))


@case()
def case_hash_int_and_string(spark, F, T):
    return people(spark).select(F.hash("id"), F.hash("name"), F.hash("id", "name"))


@case()
def case_hash_long_double_null(spark, F, T):
    df = people(spark).select(F.col("id").cast("long").alias("l"), "score", "age")
    return df.select(F.hash("l"), F.hash("score"), F.hash("age"), F.hash(F.lit(True)))


@case()
def case_hash_unicode_tail_bytes(spark, F, T):
    df = spark.createDataFrame([("é",), ("naïve",), ("",), ("abcdefg",)], "s string")
    return df.select(F.hash("s"))


@case()
def case_md5_sha_crc32(spark, F, T):
    return people(spark).select(F.md5("name"), F.sha1("name"), F.sha2("name", 256), F.crc32("name"))


def _measurements(spark):
    return spark.createDataFrame(
        [(1, 1.0, 3), (1, 2.0, None), (2, 3.0, 5), (2, 5.0, 6), (2, None, 1), (3, 7.5, 2)],
        "id int, v double, w int",
    )


@case()
def case_pandas_udf_grouped_agg(spark, F, T):
    @F.pandas_udf("double")
    def mean_udf(v: pd.Series) -> float:
        return v.mean()

    @F.pandas_udf("long")
    def both_counted(v: pd.Series, w: pd.Series) -> int:
        return int(v.count() + w.count())

    return _measurements(spark).groupBy("id").agg(mean_udf("v"), both_counted("v", "w"))


@case()
def case_pandas_udf_grouped_agg_global(spark, F, T):
    @F.pandas_udf(T.DoubleType())
    def spread(v: pd.Series) -> float:
        return float(v.max() - v.min())

    return _measurements(spark).agg(spread("v").alias("spread"))


@case()
def case_apply_in_pandas(spark, F, T):
    def normalize(pdf):
        v = pdf.v
        return pdf.assign(v=(v - v.mean()) / 2.0)[["id", "v"]]

    schema = "id int, v double"
    return _measurements(spark).groupBy("id").applyInPandas(normalize, schema=schema)


@case()
def case_apply_in_pandas_with_key(spark, F, T):
    def summarize(key, pdf):
        return pd.DataFrame({"id": [key[0]], "n": [len(pdf)], "total": [pdf.w.sum()]})

    return (
        _measurements(spark)
        .groupBy("id")
        .applyInPandas(summarize, schema="id int, n long, total double")
    )


@case()
def case_to_json_ignore_null_fields_false(spark, F, T):
    df = spark.createDataFrame(
        [(1, None, [1, None], {"k": None}), (None, "x", None, None)],
        "a int, b string, c array<int>, m map<string,int>",
    )
    return df.select(
        F.to_json(F.struct("a", "b", "c", "m"), {"ignoreNullFields": "false"}).alias("kept"),
        F.to_json(F.struct("a", "b", "c", "m")).alias("dropped"),
        F.to_json(F.struct("a", F.struct("b").alias("s")), {"ignoreNullFields": "false"}).alias(
            "nested"
        ),
    )
