"""Parity cases: the VARIANT type (``parse_json``, ``variant_get``, casts, ``show``)."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case

TEXTS = [
    ('{"a":{"b":[1,"2",3.5,null,true]},"s":"12","d":1.50,"n":null,"e":1e3}',),
    ('{"b":1,"a":[2.50,null,{"z":1,"y":"x"}],"neg":-7,"zero":-0.0}',),
    ("null",),
    (None,),
    ("[1, 300, 100000, 10000000000, 12345678901234567890123, 0.001]",),
    ('"text"',),
    ("true",),
    ("1.2345678901234567890123456789012345678901",),
    ("1e22",),
]


def texts(spark):
    return spark.createDataFrame(TEXTS, "j string")


def variants(spark, F):
    return texts(spark).select(F.parse_json("j").alias("v"))


@case()
def case_variant_parse_json_rows(spark, F, T):
    return variants(spark, F)


@case("show")
def case_variant_show(spark, F, T):
    variants(spark, F).show(truncate=False)


@case("value")
def case_variant_schema(spark, F, T):
    df = variants(spark, F)
    return [df.schema.simpleString(), df.schema.json(), df.dtypes]


@case()
def case_variant_to_json_and_cast_string(spark, F, T):
    df = variants(spark, F)
    return df.select(F.to_json("v").alias("j"), df.v.cast("string").alias("s"))


@case()
def case_variant_get_paths(spark, F, T):
    df = variants(spark, F)
    return df.select(
        F.variant_get("v", "$.a.b[0]", "int").alias("i"),
        F.variant_get("v", "$.a.b[1]", "int").alias("from_string"),
        F.variant_get("v", "$.a.b[2]", "int").alias("truncated"),
        F.variant_get("v", "$.a.b[2]", "string").alias("s"),
        F.variant_get("v", "$.d", "string").alias("d"),
        F.variant_get("v", "$.d", "decimal(10,3)").alias("dec"),
        F.variant_get("v", "$.e", "double").alias("dbl"),
        F.variant_get("v", "$.a", "string").alias("obj"),
        F.variant_get("v", "$['s']", "int").alias("quoted"),
        F.variant_get("v", "$.a.b[4]", "boolean").alias("b"),
        F.variant_get("v", "$.n", "int").alias("null_value"),
        F.variant_get("v", "$.missing", "int").alias("missing"),
        F.variant_get("v", "$.a.b[9]", "int").alias("out_of_range"),
        F.variant_get("v", "$[1]", "bigint").alias("array_item"),
    )


@case()
def case_variant_get_variant_and_is_variant_null(spark, F, T):
    df = variants(spark, F)
    return df.select(
        F.variant_get("v", "$.a", "variant").alias("a"),
        F.is_variant_null(F.variant_get("v", "$.n", "variant")).alias("n_null"),
        F.is_variant_null(F.variant_get("v", "$.missing", "variant")).alias("missing_null"),
        F.is_variant_null("v").alias("top_null"),
    )


@case()
def case_variant_try_variant_get(spark, F, T):
    df = variants(spark, F)
    return df.select(
        F.try_variant_get("v", "$.a", "int").alias("object_to_int"),
        F.try_variant_get("v", "$[4]", "bigint").alias("too_big"),
        F.try_variant_get("v", "$.s", "int").alias("s"),
        F.try_variant_get("v", "$", "string").alias("whole"),
    )


@case("error")
def case_variant_get_object_as_int_fails(spark, F, T):
    return variants(spark, F).select(F.variant_get("v", "$.a", "int"))


@case("error")
def case_variant_get_overflow_fails(spark, F, T):
    return variants(spark, F).select(F.variant_get("v", "$[4]", "bigint"))


@case("error")
def case_variant_get_bad_path(spark, F, T):
    return variants(spark, F).select(F.variant_get("v", "a.b", "int"))


@case("error")
def case_variant_parse_json_malformed_fails(spark, F, T):
    df = spark.createDataFrame([('{"a":1',)], "j string")
    return df.select(F.parse_json("j"))


@case("error")
def case_variant_parse_json_duplicate_key_fails(spark, F, T):
    df = spark.createDataFrame([('{"a":1,"a":2}',)], "j string")
    return df.select(F.parse_json("j"))


@case()
def case_variant_try_parse_json_bad_inputs(spark, F, T):
    bad = [('{"a":1',), ('{"a":1,"a":2}',), ("NaN",), ("01",), ("",), ("[1,]",), ("'a'",),
           ('{"a":1} trailing',), (" [1] ",)]  # fmt: skip
    df = spark.createDataFrame(bad, "j string")
    return df.select("j", F.to_json(F.try_parse_json("j")).alias("t"))


@case()
def case_variant_sql_functions(spark, F, T):
    return spark.sql(
        "select variant_get(parse_json('{\"a\":[1,{\"x\":2}]}'), '$.a[1].x', 'int') as x, "
        "try_variant_get(parse_json('[\"q\"]'), '$[0]', 'int') as q, "
        "is_variant_null(parse_json('null')) as n, "
        'cast(parse_json(\'{"k":"v"}\') as string) as s, '
        "try_parse_json('{') as bad"
    )


@case("error")
def case_variant_cast_object_to_int_fails(spark, F, T):
    return spark.sql("select cast(parse_json('{\"a\":1}') as int)")


@case()
def case_variant_cast_scalars(spark, F, T):
    df = spark.createDataFrame([("12",), ('"34"',), ("5.75",), ("true",)], "j string")
    v = df.select(F.parse_json("j").alias("v"))
    return v.select(v.v.cast("int").alias("i"), v.v.cast("double").alias("d"),
                    v.v.cast("string").alias("s"))  # fmt: skip


@case("value")
def case_variant_collect_values(spark, F, T):
    rows = variants(spark, F).collect()
    out = []
    for r in rows:
        v = r.v
        out.append(None if v is None else (type(v).__name__, v.toPython()))
    return out


@case()
def case_variant_schema_of_variant(spark, F, T):
    return variants(spark, F).select(F.schema_of_variant("v").alias("s"))


@case()
def case_variant_schema_of_variant_merging(spark, F, T):
    texts = ["[1, 2.5]", "[1, 1e3]", '[1, "a"]', "[null, 1]", '[{"a":1},{"b":"x"}]',
             '[{"a":1},{"a":2.25}]', "0.001", "[[1],[2.5]]", '{"z":[],"a":{}}',
             "[12345678901234567890123, 1.5]", "[100.0]", "[true, 1]"]  # fmt: skip
    df = spark.createDataFrame([(t,) for t in texts], "j string")
    return df.select("j", F.schema_of_variant(F.parse_json("j")).alias("s"))


@case()
def case_variant_schema_of_variant_agg(spark, F, T):
    rows = [('{"a":1}', "x"), ('{"a":2.5,"b":"x"}', "x"), ("[1]", "y"), (None, "y"),
            ("null", "z"), ('{"a":1}', "w"), ("[2]", "w")]  # fmt: skip
    df = spark.createDataFrame(rows, "j string, g string")
    return df.groupBy("g").agg(F.schema_of_variant_agg(F.parse_json("j")).alias("s"))


@case()
def case_variant_to_variant_object(spark, F, T):
    df = spark.sql(
        "select named_struct('a', 1, 'd', date'2024-01-02', 'f', 1.5f, 'db', 2.5d, "
        "'arr', array(1, 2), 's', 'str', 'bo', true, 'n', cast(null as int)) as st, "
        "array(1, null, 3) as arr"
    )
    return df.select(
        F.schema_of_variant(F.to_variant_object("st")).alias("schema"),
        F.to_json(F.to_variant_object("arr")).alias("arr_json"),
        F.variant_get(F.to_variant_object("st"), "$.arr[1]", "int").alias("item"),
    )


@case("error")
def case_variant_to_variant_object_of_int_fails(spark, F, T):
    return spark.sql("select to_variant_object(1)")


@case()
def case_variant_nested_double_text(spark, F, T):
    df = spark.createDataFrame([('[1e22, {"x": 1.5e-5}, 2e0]',)], "j string")
    return df.select(F.to_json(F.parse_json("j")).alias("j"))


@case()
def case_variant_colon_path_sql(spark, F, T):
    df = spark.sql("""select parse_json('{"a":{"b":[7,"8"]},"x y":1,"n":null}') v""")
    return df.selectExpr(
        "v:a.b[0]", "v:a.b[1]::int", "v:['x y']", "v:a", "v:n", "v:missing",
        "cast(v:a.b[0] as string) as s", "is_variant_null(v:n) as n_null",
    )  # fmt: skip


@case("value")
def case_variant_to_arrow_and_pandas(spark, F, T):
    df = spark.sql("""select parse_json('{"a":[1,2.5]}') v, 1 as i""")
    table, frame = df.toArrow(), df.toPandas()
    value = frame["v"][0]
    return [str(table.schema.field("v").type), type(value).__name__, value.toPython()]


@case()
def case_variant_from_json_fields(spark, F, T):
    rows = [('{"a":1,"b":{"c":[1.5, 2]}}',), ('{"a":2,"b":null}',), ('{"a":3}',), ("bad",),
            (None,), ('{"a":4,"s":{"x":[1],"y":2}}',)]  # fmt: skip
    df = spark.createDataFrame(rows, "j string")
    r = df.select(
        F.from_json("j", "a int, b variant, s struct<x: variant, y: int>").alias("r"),
        F.to_json(F.from_json("j", "variant")).alias("whole"),
    )
    return r.select(
        "r.a",
        F.to_json("r.b").alias("b"),
        F.schema_of_variant("r.b").alias("b_schema"),
        F.to_json("r.s.x").alias("x"),
        "r.s.y",
        "whole",
    )


@case()
def case_variant_delete_and_strip_nulls(spark, F, T):
    df = spark.createDataFrame(
        [('{"a":1,"b":2,"items":[1,2,3],"o":{"x":null,"y":[null,1]}}',), ("[1,null,2]",), (None,)],
        "j string",
    )
    v = F.parse_json("j")
    return df.select(
        F.to_json(F.variant_delete(v, "$.a", "$.items[1]")).alias("deleted"),
        F.to_json(F.variant_delete(v, "$.o.x", F.lit(None))).alias("nested"),
        F.to_json(F.variant_delete(v, "$.items.x", "$.missing")).alias("unchanged"),
        F.to_json(F.variant_strip_nulls(v)).alias("stripped"),
        F.to_json(F.variant_strip_nulls(v, False)).alias("arrays_kept"),
    )


@case()
def case_variant_delete_sql_names(spark, F, T):
    return spark.sql(
        """select variant_delete(parse_json('{"a":1,"b":2}'), '$.a'),
        variant_strip_nulls(parse_json('{"a":null,"b":2}'))"""
    )


@case("error")
def case_variant_delete_root_fails(spark, F, T):
    return spark.sql("""select variant_delete(parse_json('{"a":1}'), '$')""")


@case()
def case_variant_array_append(spark, F, T):
    df = spark.createDataFrame(
        [('{"a":[1,2],"o":{"b":[]},"s":5}',), ('{"a":[],"o":{"b":[0]}}',), (None,)], "j string"
    )
    v = F.parse_json("j")
    return df.select(
        F.to_json(F.variant_array_append(v, "$.a", F.lit(3))).alias("a"),
        F.to_json(F.variant_array_append(v, "$.o.b", F.parse_json(F.lit('{"x":1.50}')))).alias("b"),
        F.to_json(F.variant_array_append(v, "$.missing", F.lit("x"))).alias("missing"),
        F.to_json(F.try_variant_array_append(v, "$.s", F.lit(1))).alias("not_array"),
        F.to_json(F.try_variant_array_append(v, "$", F.lit(2.5))).alias("root"),
    )


@case("error")
def case_variant_array_append_not_array_fails(spark, F, T):
    return spark.sql("""select variant_array_append(parse_json('{"s":5}'), '$.s', 3)""")


@case()
def case_variant_set_and_insert(spark, F, T):
    df = spark.createDataFrame([('{"a":1,"arr":["x","y"],"s":5}',), ("{}",), (None,)], "j string")
    v = F.parse_json("j")
    return df.select(
        F.to_json(F.variant_set(v, "$.a", F.lit(9))).alias("replaced"),
        F.to_json(F.variant_set(v, "$.d.e.f", F.lit(9))).alias("created"),
        F.to_json(F.variant_set(v, "$.n[2]", F.lit("z"))).alias("padded"),
        F.to_json(F.variant_set(v, "$.d", F.lit(9), False)).alias("not_created"),
        F.to_json(F.try_variant_set(v, "$.s.x", F.lit(9))).alias("mismatch"),
        F.to_json(F.variant_insert(v, "$.d", F.parse_json(F.lit("[1.50]")))).alias("new_field"),
        F.to_json(F.try_variant_insert(v, "$.arr[0]", F.lit(0))).alias("before_first"),
        F.to_json(F.try_variant_insert(v, "$.a", F.lit(2))).alias("duplicate"),
    )


@case()
def case_variant_set_sql(spark, F, T):
    return spark.sql(
        """select to_json(variant_set(parse_json('{"a":1}'), '$.b', 2, false)) as not_created,
        to_json(variant_insert(parse_json('[1,3]'), '$[1]', 2)) as inserted,
        variant_set(parse_json('{"a":1}'), '$.a', 'x')"""
    )


@case("error")
def case_variant_insert_duplicate_fails(spark, F, T):
    return spark.sql("""select variant_insert(parse_json('{"a":1}'), '$.a', 2)""")


@case()
def case_variant_explode_tvf(spark, F, T):
    rows = []
    for text in ('{"b":[2],"a":1.5,"n":null}', '[1,"x",null]', "1"):
        for explode in (spark.tvf.variant_explode, spark.tvf.variant_explode_outer):
            for r in explode(F.parse_json(F.lit(text))).collect():
                value = None if r.value is None else repr(r.value.toPython())
                rows.append((text, explode.__name__, r.pos, r.key, value))
    return spark.createDataFrame(rows, "j string, f string, pos int, key string, value string")


@case()
def case_variant_explode_sql(spark, F, T):
    return spark.sql(
        """select t.pos, t.key, to_json(t.value) as value
        from variant_explode(parse_json('{"b":[2],"a":1.5,"n":null}')) as t
        union all select pos, key, to_json(value) from variant_explode(parse_json('[1,"x"]'))
        union all select pos, key, to_json(value) from variant_explode_outer(parse_json('7'))"""
    )
