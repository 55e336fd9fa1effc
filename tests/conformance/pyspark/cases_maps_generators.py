"""Parity cases: generators over maps, map construction and ``mapKeyDedupPolicy``, ``reverse``,
``hash('*')``, ``listagg`` over binary, cross-join row order and ``describe``."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


def _people(spark):
    return spark.createDataFrame([(14, "Tom"), (23, "Alice"), (16, "Bob")], ["age", "name"])


def _heights(spark):
    return spark.createDataFrame([(80, "Tom"), (85, "Bob")], ["height", "name"])


@case(ordered=True)
def case_cross_join_left_major(spark, F, T):
    return _people(spark).crossJoin(_heights(spark).select("height"))


@case(ordered=True)
def case_join_without_condition_left_major(spark, F, T):
    return _people(spark).join(_heights(spark)).drop("name")


@case(ordered=True)
def case_cross_join_how_cross_left_major(spark, F, T):
    people = _people(spark)
    return people.join(spark.range(3), how="cross").select("name", "id")


@case()
def case_reverse_string_array_binary(spark, F, T):
    df = spark.createDataFrame(
        [
            ("Spark SQL", [2, 1, 3], bytearray(b"\xca\xfe\x01")),
            ("", [], bytearray(b"")),
            (None, None, None),
        ],
        "s string, a array<int>, b binary",
    )
    return df.select(F.reverse("s"), F.reverse("a"), F.reverse("b"), F.hex(F.reverse(df.b)))


@case()
def case_reverse_in_sql(spark, F, T):
    return spark.sql(
        "SELECT reverse('abc') AS s, reverse(array('x', NULL, 'z')) AS a, reverse(X'CAFE') AS b, "
        "reverse(123) AS n"
    )


@case(ordered=True)
def case_describe_one_row_and_nulls(spark, F, T):
    df = spark.createDataFrame([(1, None, "a"), (None, None, None)], "x int, y double, s string")
    return df.describe().union(df.summary("stddev", "mean"))


def _bytes_and_text(spark):
    return spark.createDataFrame(
        [("a", b"\x01", 1), ("b", b"\x02", 1), (None, None, 2), ("a", b"\x01", 2), ("c", b"", 1)],
        "s string, b binary, g int",
    )


@case(ordered=True)
def case_listagg_binary_grouped(spark, F, T):
    df = _bytes_and_text(spark)
    return (
        df.groupBy("g")
        .agg(
            F.listagg("b", b"B"),
            F.string_agg("b"),
            F.string_agg_distinct("s", ", "),
        )
        .orderBy("g")
    )


@case()
def case_listagg_binary_all_null(spark, F, T):
    df = spark.createDataFrame([(None,), (None,)], "b binary")
    return df.select(F.listagg("b", b"B"), F.string_agg_distinct("b"))


@case()
def case_listagg_distinct_binary_one_value(spark, F, T):
    df = spark.createDataFrame([(b"\x01",), (None,), (b"\x01",)], "b binary")
    return df.select(F.listagg_distinct("b", b"--"), F.string_agg_distinct("b"))


def _pairs(spark):
    return spark.createDataFrame(
        [("ABC", "DEF", 1), ("x", None, None)], "c1 string, c2 string, n int"
    )


@case()
def case_hash_star_columns(spark, F, T):
    df = _pairs(spark)
    return df.select("*", F.hash("*"), F.xxhash64("*"), F.hash("*").alias("h"))


@case()
def case_hash_star_with_column(spark, F, T):
    return _pairs(spark).withColumn("h", F.hash("*")).withColumn("x", F.xxhash64("c1", "*"))


@case()
def case_hash_qualified_star(spark, F, T):
    left = _pairs(spark).alias("l")
    right = spark.createDataFrame([(1, "r")], "n int, tag string").alias("r")
    joined = left.crossJoin(right)
    return joined.select(F.hash("r.*"), F.xxhash64("l.*"))


def _maps(spark):
    return spark.sql(
        "SELECT * FROM VALUES (1, MAP(1, 2, 3, 4, 5, NULL)), (2, MAP()), (3, NULL) AS t(i, m)"
    )


@case()
def case_explode_map_key_value(spark, F, T):
    return _maps(spark).select("i", F.explode("m"))


@case()
def case_explode_outer_map(spark, F, T):
    return _maps(spark).select("i", F.explode_outer("m"))


@case()
def case_posexplode_map(spark, F, T):
    return _maps(spark).select("*", F.posexplode("m"))


@case()
def case_posexplode_outer_map(spark, F, T):
    return _maps(spark).select("i", F.posexplode_outer("m"))


@case()
def case_explode_map_aliases(spark, F, T):
    df = _maps(spark)
    return df.select("i", F.explode("m").alias("k", "v")).union(
        df.select("i", F.posexplode("m").alias("p", "k", "v")).drop("p")
    )


@case()
def case_explode_map_of_strings(spark, F, T):
    df = spark.createDataFrame([({"a": [1, 2]},), ({},)], "m map<string, array<int>>")
    return df.select(F.explode(df.m))


@case()
def case_inline_aliases(spark, F, T):
    df = spark.sql('SELECT ARRAY(NAMED_STRUCT("a", 1, "b", 2), NAMED_STRUCT("a", 3, "b", 4)) AS a')
    return df.select("*", F.inline("a").alias("c1", "c2"))


@case("error")
def case_explode_map_one_alias_too_few(spark, F, T):
    return _maps(spark).select(F.posexplode("m").alias("p", "k"))


def _last_win(spark, build):
    """``build(spark)``'s rows, collected with ``spark.sql.mapKeyDedupPolicy=LAST_WIN``."""
    spark.conf.set("spark.sql.mapKeyDedupPolicy", "LAST_WIN")
    try:
        return [tuple(r) for r in build(spark).collect()]
    finally:
        spark.conf.set("spark.sql.mapKeyDedupPolicy", "EXCEPTION")


def _duplicates(spark):
    return spark.createDataFrame(
        [([1, 2, 1], ["a", "b", "c"], "a:1,b:2,a:3"), (None, None, None)],
        "k array<int>, v array<string>, s string",
    )


@case(kind="value")
def case_map_key_dedup_default(spark, F, T):
    return spark.conf.get("spark.sql.mapKeyDedupPolicy")


@case(kind="value")
def case_map_key_dedup_last_win_functions(spark, F, T):
    def build(spark):
        return _duplicates(spark).select(
            F.map_from_arrays("k", "v"),
            F.str_to_map("s"),
            F.map_from_entries(F.arrays_zip("k", "v")),
            F.create_map(F.lit(1), F.lit("a"), F.lit(1), F.lit("b")),
        )

    return _last_win(spark, build)


@case(kind="value")
def case_map_key_dedup_last_win_sql(spark, F, T):
    def build(spark):
        return spark.sql(
            "SELECT map(1, 'a', 2, 'b', 1, 'c') AS m, "
            "map_concat(map(1, 'a', 2, 'b'), map(2, 'c', 3, 'd')) AS c, "
            "map_concat(map(1, 'a'), map()) AS e, "
            "map_concat(map(1, 'a'), CAST(NULL AS map<int, string>)) AS n"
        )

    return _last_win(spark, build)


@case("error")
def case_map_key_dedup_exception_map(spark, F, T):
    return spark.sql("SELECT map(1, 'a', 1, 'b') AS m")


@case("error")
def case_map_key_dedup_exception_map_concat(spark, F, T):
    df = spark.sql("SELECT map(1, 'a', 2, 'b') AS m1, map(2, 'c') AS m2")
    return df.select(F.map_concat("m1", "m2"))


@case("error")
def case_map_key_dedup_exception_from_arrays(spark, F, T):
    return _duplicates(spark).select(F.map_from_arrays("k", "v"))


@case()
def case_map_concat_empty_and_null(spark, F, T):
    df = spark.sql(
        "SELECT map(1, 'a', 2, 'b') AS m1, map() AS m2, CAST(NULL AS map<int, string>) AS m3"
    )
    return df.select(F.map_concat("m1", "m2"), F.map_concat("m1", "m3"), F.map_concat("m2"))


@case()
def case_drop_unresolvable_column_is_ignored(spark, F, T):
    df = _people(spark).withColumn("a.b.c", F.lit(1))
    return df.drop(F.col("a.b.c")).drop(F.col("nope")).drop("a.b.c")


@case("error")
def case_drop_ambiguous_column_raises(spark, F, T):
    return _people(spark).join(_heights(spark)).drop(F.col("name"))
