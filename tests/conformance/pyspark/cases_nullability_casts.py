"""Parity cases: the nullability Spark reports in a schema (top level and nested), the text of
arrays, maps and structs cast to string, ``to_char`` with a column format, ``drop`` of an
ambiguous column and ``to_variant_object`` of maps."""

from __future__ import annotations

import datetime

from tests.conformance.pyspark.registry import case


def nullability(df):
    """Each column's type and nullability, nested ones included, as plain tuples."""
    return [(f.name, _shape(f.dataType), f.nullable) for f in df.schema.fields]


def _shape(t):
    name = type(t).__name__
    if name == "StructType":
        return ("struct", [(f.name, _shape(f.dataType), f.nullable) for f in t.fields])
    if name == "ArrayType":
        return ("array", _shape(t.elementType), t.containsNull)
    if name == "MapType":
        return ("map", _shape(t.keyType), _shape(t.valueType), t.valueContainsNull)
    return t.simpleString()


def _base(spark):
    return spark.createDataFrame(
        [(1, "a", 2.0, [1, 2], {"k": 1}, (1, "x"))],
        "i int not null, s string not null, d double, arr array<int>, m map<string,int>, "
        "st struct<a:int,b:string>",
    )


@case("value")
def case_nullability_literals(spark, F, T):
    return nullability(
        spark.range(3).select(
            F.lit(1).alias("a"),
            F.lit(None).alias("b"),
            F.lit("x").alias("c"),
            F.lit([1, 2]).alias("arr"),
            F.current_timestamp().alias("ts"),
            F.current_date().alias("cd"),
            F.array(F.lit(1), F.lit(None)).alias("an"),
            F.create_map(F.lit("a"), F.lit(1)).alias("mp"),
            F.struct(F.lit(1).alias("x"), "id").alias("stc"),
            (F.col("id") + 1).alias("plus"),
            (F.col("id") / 2).alias("div"),
        )
    )


@case("value")
def case_nullability_strict_functions(spark, F, T):
    df = _base(spark)
    return nullability(
        df.select(
            (df.i + 1).alias("add"),
            (df.i - df.d).alias("sub"),
            (df.i * 2).alias("mul"),
            (df.i % 2).alias("mod"),
            (-df.i).alias("neg"),
            F.abs("i").alias("abs"),
            F.greatest("i", F.lit(2)).alias("greatest"),
            F.least("i", "d").alias("least"),
            F.upper("s").alias("upper"),
            F.concat("s", "s").alias("concat"),
            F.concat_ws("-", "s", F.lit(None)).alias("concat_ws"),
            F.length("s").alias("length"),
            F.substring("s", 1, 2).alias("substring"),
            F.split("s", ",").alias("split"),
            F.regexp_replace("s", "a", "b").alias("regexp_replace"),
            F.lpad("s", 3, "x").alias("lpad"),
            F.hash("s").alias("hash"),
            F.xxhash64("s").alias("xxhash64"),
            F.md5("s").alias("md5"),
            F.sha2("s", 256).alias("sha2"),
            F.typeof("i").alias("typeof"),
            F.size("arr").alias("size"),
            F.size(F.array("i")).alias("size_not_null"),
        )
    )


@case("value")
def case_nullability_conditionals(spark, F, T):
    df = _base(spark)
    return nullability(
        df.select(
            F.coalesce("d", "i").alias("coalesce"),
            F.coalesce("d", F.lit(None)).alias("coalesce_null"),
            F.when(df.i > 0, 1).alias("when"),
            F.when(df.i > 0, 1).otherwise(2).alias("when_otherwise"),
            F.when(df.i > 0, df.d).otherwise(2).alias("when_nullable"),
            F.isnull("d").alias("isnull"),
            df.d.isNotNull().alias("isnotnull"),
            F.expr("if(i > 0, 1, 2)").alias("if"),
            F.expr("nullif(i, 1)").alias("nullif"),
            (df.i == 1).alias("eq"),
            (df.i == df.d).alias("eq_nullable"),
            df.i.eqNullSafe(df.d).alias("eq_null_safe"),
            ((df.i > 1) & (df.s == "a")).alias("and"),
            df.s.isin("a", "b").alias("isin"),
            df.s.like("a%").alias("like"),
            df.i.between(1, 2).alias("between"),
        )
    )


@case("value")
def case_nullability_aggregates(spark, F, T):
    df = _base(spark)
    return nullability(
        df.groupBy("s").agg(
            F.count("*").alias("count"),
            F.count("d").alias("count_d"),
            F.sum("i").alias("sum"),
            F.min("i").alias("min"),
            F.collect_list("i").alias("collect_list"),
            F.collect_set("d").alias("collect_set"),
            F.countDistinct("d").alias("count_distinct"),
            F.approx_count_distinct("i").alias("approx"),
            F.count_if(df.i > 1).alias("count_if"),
            F.first("i").alias("first"),
        )
    )


@case("value")
def case_nullability_group_keys_and_rollup(spark, F, T):
    df = _base(spark)
    grouped = df.groupBy("i", "d", (df.i + 1).alias("ip")).count()
    rolled = df.rollup("i").agg(F.sum("d").alias("sum"))
    return [nullability(grouped), nullability(rolled)]


@case("value")
def case_nullability_window_functions(spark, F, T):
    from importlib import import_module

    Window = import_module(F.__name__.rsplit(".", 1)[0]).Window
    df = _base(spark)
    by_i = Window.orderBy("i")
    return nullability(
        df.select(
            "i",
            F.row_number().over(by_i).alias("rn"),
            F.rank().over(by_i).alias("rank"),
            F.ntile(2).over(by_i).alias("ntile"),
            F.lag("i").over(by_i).alias("lag"),
            F.sum("i").over(by_i).alias("sum"),
            F.count("i").over(Window.partitionBy("s")).alias("count"),
        )
    )


@case("value")
def case_nullability_constructors(spark, F, T):
    df = _base(spark)
    return nullability(
        df.select(
            F.array("i", "i").alias("a1"),
            F.array("i", "d").alias("a2"),
            F.struct("i", "s").alias("st2"),
            F.struct("i", "d").alias("st3"),
            F.create_map("s", "i").alias("m1"),
            F.create_map("s", "d").alias("m2"),
            F.named_struct(F.lit("x"), "i").alias("ns"),
            df.st.a.alias("field"),
            df.arr[0].alias("element"),
            F.map_keys("m").alias("keys"),
        )
    )


@case("value")
def case_nullability_joins(spark, F, T):
    r = spark.range(3)
    two = spark.range(2)
    on = F.col("a.id") == F.col("b.id")
    return (
        [
            nullability(r.alias("a").join(two.alias("b"), on, how))
            for how in ("inner", "left", "right", "full")
        ]
        + [nullability(r.join(two, "id", how)) for how in ("left", "right", "full")]
        + [nullability(r.crossJoin(two))]
    )


@case("value")
def case_nullability_set_operations(spark, F, T):
    df = _base(spark)
    r = spark.range(3)
    return [
        nullability(r.union(df.select("i"))),
        nullability(df.select("d").union(r)),
        nullability(r.union(r)),
        nullability(df.select("i").intersect(df.select("d"))),
        nullability(df.select("i").unionByName(df.select(F.col("d").alias("i")))),
    ]


@case("value")
def case_nullability_sql_values(spark, F, T):
    return nullability(
        spark.sql(
            'SELECT * FROM VALUES (1, ARRAY(NAMED_STRUCT("a", 1, "b", 2), NULL, '
            'NAMED_STRUCT("a", 3, "b", 4)), "x", NULL, MAP("a", 1)), '
            '(2, ARRAY(), NULL, 1.5, MAP("b", NULL)), (3, NULL, "y", 2.5, NULL) '
            "AS t(i, s, x, y, m)"
        )
    )


@case("value")
def case_nullability_sql_literals(spark, F, T):
    return nullability(
        spark.sql(
            "SELECT 1 AS a, 'x' AS b, NULL AS c, array(1, 2) AS d, array(1, NULL) AS e, "
            "map('a', 1) AS f, named_struct('x', 1, 'y', NULL) AS g, current_date() AS h, "
            "1 / 0 AS i, 1 + 2 AS j, CAST('1' AS INT) AS k, CAST(1 AS STRING) AS l, "
            "struct(1, 'a') AS m, array() AS n, map() AS o"
        )
    )


@case("value")
def case_nullability_explicit_schema(spark, F, T):
    fields = [
        T.StructField("a", T.IntegerType(), False),
        T.StructField("b", T.ArrayType(T.IntegerType(), False), False),
        T.StructField("m", T.MapType(T.StringType(), T.IntegerType(), False)),
        T.StructField("st", T.StructType([T.StructField("x", T.IntegerType(), False)])),
    ]
    explicit = spark.createDataFrame([(1, [1], {"a": 1}, (1,))], T.StructType(fields))
    ddl = spark.createDataFrame(
        [(1, "a", (1,))], "i int not null, s string, st struct<x: int not null>"
    )
    inferred = spark.createDataFrame([(1, [1.0], {"a": "b"}, (1, "x"))], ["x", "y", "z", "w"])
    return [nullability(explicit), nullability(ddl), nullability(inferred)]


def _events(spark):
    return spark.createDataFrame(
        [(datetime.datetime(2016, 3, 11, 9, 0, 7), 1)], "dt timestamp, v bigint"
    )


@case("value")
def case_nullability_time_windows(spark, F, T):
    df = _events(spark)
    return [
        nullability(df.groupBy(F.window("dt", "5 seconds")).agg(F.sum("v"))),
        nullability(df.groupBy(F.session_window("dt", "5 seconds")).agg(F.sum("v"))),
        nullability(df.withWatermark("dt", "1 minute")),
    ]


@case("show")
def case_print_schema_values_nested_not_null(spark, F, T):
    spark.sql(
        'SELECT * FROM VALUES (1,ARRAY(NAMED_STRUCT("a",1,"b",2), NULL, '
        'NAMED_STRUCT("a",3,"b",4))), (2,ARRAY()), (3,NULL) AS t(i,s)'
    ).printSchema()


@case("show")
def case_print_schema_window_struct(spark, F, T):
    _events(spark).groupBy(F.window("dt", "5 seconds")).agg(F.sum("v")).printSchema()


# -- nested values cast to string ---------------------------------------------------------------


def _nested(spark):
    return spark.createDataFrame(
        [
            (
                {"a": 1, "b": 2},
                (1, "x"),
                [1, 2],
                [[1, None], None],
                {"k": [1, 2]},
                (None, [{"z": None}]),
                [datetime.date(2020, 1, 2)],
                [datetime.datetime(2020, 1, 2, 3, 4, 5)],
                {"m": (1, datetime.date(2021, 1, 1))},
                [1.5, None, 1e10],
                [True, None],
                [b"ab"],
                {1: None},
                ["a b", None, "null"],
            ),
            (None,) * 14,
            ({}, (None, None), [], [], {}, (1, []), [], [], {}, [], [], [], {}, []),
        ],
        "m map<string,int>, st struct<a:int,b:string>, arr array<int>, aa array<array<int>>, "
        "ma map<string,array<int>>, sn struct<x:int,y:array<map<string,int>>>, ad array<date>, "
        "ats array<timestamp>, ms map<string,struct<p:int,q:date>>, af array<double>, "
        "ab array<boolean>, abin array<binary>, mn map<int,string>, astr array<string>",
    )


@case()
def case_cast_nested_to_string(spark, F, T):
    df = _nested(spark)
    return df.select([F.col(c).cast("string").alias(c) for c in df.columns])


@case()
def case_concat_nested_cast_to_string(spark, F, T):
    df = _nested(spark)
    return df.select(
        [F.concat(F.lit("<"), F.col(c).cast("string"), F.lit(">")).alias(c) for c in df.columns]
    )


@case()
def case_sql_cast_nested_to_string(spark, F, T):
    return spark.sql(
        "select cast(map('a', 1, 'b', NULL) as string) a, "
        "cast(named_struct('x', 1, 'y', 'z') as string) b, "
        "cast(array(array(1), null) as string) c, "
        "cast(struct(map('a', array(1)), null) as string) d, string(array(1, 2)) e, "
        "cast(array(1.20BD, null) as string) f"
    )


@case("show")
def case_show_nested_values(spark, F, T):
    _nested(spark).show(truncate=False)


# -- to_char with a format column ----------------------------------------------------------------


def _to_char_input(spark):
    return spark.createDataFrame(
        [(78.12, "$99.99", b"ab", "hex")], "e double, f string, b binary, bf string"
    )


@case("error")
def case_to_char_number_column_format(spark, F, T):
    df = _to_char_input(spark)
    return df.select(F.to_char(df.e, df.f))


@case("error")
def case_to_varchar_decimal_column_format(spark, F, T):
    df = _to_char_input(spark)
    return df.select(F.to_varchar(df.e.cast("decimal(4,2)"), df.f))


@case("error")
def case_to_char_binary_column_format(spark, F, T):
    df = _to_char_input(spark)
    return df.select(F.to_char(df.b, df.bf))


@case()
def case_to_char_constant_format_expression(spark, F, T):
    df = _to_char_input(spark)
    return df.select(F.to_char(df.e, F.concat(F.lit("$99"), F.lit(".99"))))


# -- drop of an ambiguous column; to_variant_object of maps --------------------------------------


@case("error")
def case_drop_ambiguous_column(spark, F, T):
    df = spark.createDataFrame([(14, "Tom"), (23, "Alice")], ["age", "name"])
    df2 = spark.createDataFrame([(80, "Tom"), (85, "Bob")], ["height", "name"])
    return df.join(df2).drop(F.col("name"))


@case()
def case_to_variant_object_of_maps(spark, F, T):
    df = spark.createDataFrame(
        [
            ([{"a": {"b": "2"}}], {"x": 1, "y": None}, ({"k": [1.5, 2.0]}, 3)),
            (None, None, None),
            ([], {}, None),
        ],
        "v array<struct<a:map<string,string>>>, m map<string,int>, "
        "s struct<mm:map<string,array<double>>,n:int>",
    )
    objects = df.select([F.to_variant_object(c).alias(c) for c in df.columns])
    return objects.select(
        *[F.col(c).cast("string").alias(c) for c in df.columns],
        *[F.schema_of_variant(c).alias(f"{c}_schema") for c in df.columns],
    )


@case("error")
def case_to_variant_object_int_keys(spark, F, T):
    df = spark.createDataFrame([({1: "a"},)], "k map<int,string>")
    return df.select(F.to_variant_object("k"))


@case("value")
def case_nullability_describe_summary_explode(spark, F, T):
    df = _base(spark)
    return [
        nullability(df.describe("i", "s")),
        nullability(df.select("i").summary("count")),
        nullability(df.select(F.explode(F.array("i")).alias("e"), "i")),
        nullability(df.select(F.explode_outer(F.array("i")).alias("e"))),
        nullability(df.select(F.explode("arr").alias("e"))),
        nullability(df.select(F.lit(1.5).alias("x"), F.nvl("d", F.lit(1.0)).alias("nvl"))),
    ]


@case()
def case_sql_to_char_formats(spark, F, T):
    return spark.sql(
        "select to_char(78.12, '$99.99') a, to_char(cast('2020-01-02' as date), 'yyyy-MM') b, "
        "to_varchar(x'6162', 'hex') c, to_char(x'6162', 'base64') d, "
        "to_varchar(x'6162', 'utf-8') e, to_char(1234.5, '9,999.99') f"
    )


@case("error")
def case_sql_to_char_column_format(spark, F, T):
    df = _to_char_input(spark)
    return df.selectExpr("to_char(e, f)")


@case("error")
def case_create_data_frame_none_in_not_null_field(spark, F, T):
    return spark.createDataFrame([(1,), (None,)], "i int not null")
