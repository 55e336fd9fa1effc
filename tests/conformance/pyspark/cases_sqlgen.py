"""Parity cases: generators written in SQL text (``selectExpr``, ``spark.sql`` select lists,
``LATERAL VIEW``, table-valued generators), several generators in one select, and the names
Spark gives to casts, structs, maps, windows and ``arrays_zip`` in SQL text."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


def _frame(spark):
    return spark.createDataFrame(
        [(1, [1, 2], {"a": 1}), (2, [], None), (3, None, {"b": 2, "c": 3})],
        "i int, xs array<int>, m map<string,int>",
    )


def _view(spark):
    _frame(spark).createOrReplaceTempView("sqlgen_t")


@case()
def case_sqlgen_select_expr_posexplode(spark, F, T):
    return _frame(spark).selectExpr("i", "posexplode(xs)")


@case()
def case_sqlgen_select_expr_aliases(spark, F, T):
    return _frame(spark).selectExpr("posexplode(xs) as (p, x)", "i", "explode(xs) as (y)")


@case()
def case_sqlgen_select_expr_maps(spark, F, T):
    df = _frame(spark)
    return df.selectExpr("i", "posexplode_outer(m)").union(
        df.selectExpr("i", "explode(m) as (k, v)").selectExpr("i", "0", "k", "v")
    )


@case()
def case_sqlgen_select_expr_outer(spark, F, T):
    return _frame(spark).selectExpr("i", "explode_outer(xs) as x")


@case()
def case_sqlgen_select_expr_inline(spark, F, T):
    return _frame(spark).selectExpr("inline(array(struct(i + 0, 'a'), struct(i * 10, 'b')))")


@case()
def case_sqlgen_select_expr_inline_named(spark, F, T):
    return _frame(spark).selectExpr("i", "inline_outer(array(struct(i as q, xs as r))) as (a, b)")


@case()
def case_sqlgen_select_expr_stack(spark, F, T):
    return _frame(spark).selectExpr("stack(2, i, 'x', i + 1, null)")


@case()
def case_sqlgen_select_expr_json_tuple(spark, F, T):
    return _frame(spark).selectExpr("""json_tuple('{"a":1,"b":true}', 'a', 'b', 'c')""")


@case()
def case_sqlgen_select_expr_json_tuple_aliases(spark, F, T):
    return _frame(spark).selectExpr("""json_tuple('{"a":1,"b":true}', 'a', 'b') as (x, y)""")


@case()
def case_sqlgen_sql_select_list(spark, F, T):
    _view(spark)
    return spark.sql("select i, posexplode(xs), i + 1 as j from sqlgen_t")


@case()
def case_sqlgen_sql_map_aliases(spark, F, T):
    _view(spark)
    return spark.sql("select i, explode(m) as (k, v) from sqlgen_t")


@case()
def case_sqlgen_sql_inline_stack_json(spark, F, T):
    return (
        spark.sql(
            "select inline(array(named_struct('a', 1, 'b', 'x'), named_struct('a', 2, 'b', null)))"
        )
        .crossJoin(spark.sql("select stack(2, 1, 'x', 3, null) as (n, s)"))
        .crossJoin(spark.sql("""select json_tuple('{"a":1,"b":2}', 'a', 'b')"""))
    )


@case()
def case_sqlgen_sql_generator_over_aggregate(spark, F, T):
    _view(spark)
    return spark.sql("select explode(collect_list(i)) as n from sqlgen_t")


@case()
def case_sqlgen_table_valued(spark, F, T):
    a = spark.sql("select * from explode(array(1, 2)) as q(x)")
    b = spark.sql("select q.* from posexplode(array(10, 20)) q")
    c = spark.sql("select * from stack(2, 1, 2, 3)")
    return a.crossJoin(b).crossJoin(c)


@case()
def case_sqlgen_table_valued_map_inline_json(spark, F, T):
    a = spark.sql("select * from explode(map('a', 1, 'b', 2))")
    b = spark.sql("select * from inline_outer(array(named_struct('p', 1, 'q', 'x')))")
    c = spark.sql("""select * from json_tuple('{"a":1,"b":true}', 'a', 'b')""")
    return a.crossJoin(b).crossJoin(c)


@case()
def case_sqlgen_lateral_join_generator(spark, F, T):
    _view(spark)
    return spark.sql("select i, col from sqlgen_t, lateral explode(xs)")


@case()
def case_sqlgen_lateral_view(spark, F, T):
    _view(spark)
    return spark.sql("select i, p, x from sqlgen_t lateral view posexplode(xs) q as p, x")


@case()
def case_sqlgen_lateral_view_default_names(spark, F, T):
    _view(spark)
    return spark.sql("select q.* from sqlgen_t lateral view posexplode(m) q")


@case()
def case_sqlgen_lateral_view_outer_chained(spark, F, T):
    _view(spark)
    return spark.sql(
        "select i, x, y, k, v from sqlgen_t lateral view outer explode(xs) q as x "
        "lateral view explode(array(i, i * 10)) r as y "
        "lateral view outer explode(m) s as k, v"
    )


@case()
def case_sqlgen_lateral_view_star(spark, F, T):
    _view(spark)
    return spark.sql("select * from sqlgen_t lateral view outer explode(xs) q")


@case()
def case_sqlgen_lateral_view_inline_stack_json(spark, F, T):
    _view(spark)
    return spark.sql(
        "select i, a, b, s1, s2, j from sqlgen_t "
        "lateral view inline(array(named_struct('a', i, 'b', 'x'))) q as a, b "
        "lateral view stack(2, i, 1, i, 2) r as s1, s2 "
        """lateral view json_tuple('{"a":1}', 'a') u as j"""
    )


@case()
def case_sqlgen_several_generators_sql(spark, F, T):
    _view(spark)
    return spark.sql(
        "select i, posexplode(xs), explode(m) as (k, v), i + 1 as j from sqlgen_t "
        "order by j desc, pos"
    )


@case()
def case_sqlgen_several_generators_dataframe(spark, F, T):
    df = _frame(spark)
    return df.select("i", F.explode("xs").alias("a"), F.explode(F.array(F.lit(1), F.lit(2))))


@case()
def case_sqlgen_several_generators_select_expr(spark, F, T):
    return _frame(spark).selectExpr("i", "stack(2, 1, 2, 3, 4)", "explode(array(10, 20)) as z")


@case("error")
def case_sqlgen_error_nested_generator(spark, F, T):
    _view(spark)
    return spark.sql("select explode(xs) + 1 from sqlgen_t")


@case("error")
def case_sqlgen_error_nested_select_expr(spark, F, T):
    return _frame(spark).selectExpr("abs(explode(xs))")


@case("error")
def case_sqlgen_error_outside_select(spark, F, T):
    _view(spark)
    return spark.sql("select i from sqlgen_t where explode(xs) > 1")


@case("error")
def case_sqlgen_error_alias_count(spark, F, T):
    _view(spark)
    return spark.sql("select posexplode(xs) as (a) from sqlgen_t")


@case("error")
def case_sqlgen_error_map_alias_count(spark, F, T):
    return _frame(spark).selectExpr("explode(m) as k")


@case("error")
def case_sqlgen_error_lateral_view_alias_count(spark, F, T):
    _view(spark)
    return spark.sql("select i from sqlgen_t lateral view explode(xs) q as x, y")


@case("error")
def case_sqlgen_error_dataframe_alias_count(spark, F, T):
    return _frame(spark).select(F.explode("xs").alias("a", "b"))


@case("error")
def case_sqlgen_error_stack_rows_not_literal(spark, F, T):
    return _frame(spark).selectExpr("stack(i, 1, 2)")


@case("error")
def case_sqlgen_error_table_function_in_select(spark, F, T):
    return spark.sql("select variant_explode(parse_json('[1, 2]'))")


@case()
def case_sqlgen_names_cast(spark, F, T):
    return _frame(spark).selectExpr(
        "cast(i as string)",
        "cast(i + 1 as string)",
        "cast(1 as bigint)",
        "try_cast(i as string)",
        "i::string",
        "cast(xs as array<string>)",
    )


@case()
def case_sqlgen_names_cast_sql(spark, F, T):
    _view(spark)
    return spark.sql(
        "select cast(i as string), cast(i as string) as z, cast(2 as int) from sqlgen_t"
    )


@case()
def case_sqlgen_names_struct_map(spark, F, T):
    return _frame(spark).selectExpr(
        "struct(i, xs)",
        "struct(i as a)",
        "named_struct('a', i, 'b', xs)",
        "map('a', i)",
        "struct(1, 'a')",
        "struct(i + 1)",
    )


@case()
def case_sqlgen_names_struct_map_sql(spark, F, T):
    _view(spark)
    return spark.sql(
        "select named_struct('a', i), struct(i, xs), map('a', i, 'b', 2) from sqlgen_t"
    )


@case()
def case_sqlgen_names_windows(spark, F, T):
    return _frame(spark).selectExpr(
        "sum(i) over ()",
        "sum(i) over (order by i)",
        "row_number() over (order by i)",
        "sum(i) over (partition by i)",
        "count(1) over ()",
    )


@case()
def case_sqlgen_names_windows_sql(spark, F, T):
    _view(spark)
    return spark.sql(
        "select sum(i) over (partition by i order by i desc rows between 1 preceding and "
        "current row), lag(i, 2) over (order by i), lead(i) over (order by i nulls last), "
        "rank() over (order by i), count(1) over (order by i range between unbounded "
        "preceding and 2 following) from sqlgen_t"
    )


@case()
def case_sqlgen_names_arrays_zip(spark, F, T):
    return _frame(spark).selectExpr("arrays_zip(xs, array(1))", "arrays_zip(xs)")


@case()
def case_sqlgen_names_arrays_zip_sql(spark, F, T):
    _view(spark)
    return spark.sql("select arrays_zip(xs, array(1)), arrays_zip(xs) as z from sqlgen_t")
