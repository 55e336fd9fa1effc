"""Parity cases: ``spark.sql`` statements a user types besides queries (``SET``, ``RESET``,
``DESCRIBE``, ``SHOW``), and Spark SQL function calls that kaspar builds with its DataFrame
functions (``kaspar.sql._sql_function_bridge``)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.conformance.pyspark.registry import case


@case()
def sql_set_key_value(spark: Any, F: Any, T: Any) -> Any:
    shown = spark.sql("SET spark.sql.shuffle.partitions=7")
    spark.conf.unset("spark.sql.shuffle.partitions")
    return shown


@case()
def sql_set_time_zone_text(spark: Any, F: Any, T: Any) -> Any:
    spark.sql("SET spark.sql.session.timeZone=America/New_York")
    try:
        return spark.sql("SELECT CAST(TIMESTAMP '2024-01-01 12:00:00' AS STRING) t").union(
            spark.sql("SET spark.sql.session.timeZone").select("value")
        )
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


@case()
def sql_set_time_zone_statement(spark: Any, F: Any, T: Any) -> Any:
    spark.sql("SET TIME ZONE 'Asia/Tokyo'")
    try:  # collected before the zone is set back (kaspar reads it when the query runs)
        rows = spark.sql("SELECT hour(CAST(0 AS TIMESTAMP)) h").collect()
        return spark.createDataFrame(rows, "h int")
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


@case()
def sql_set_undefined_key(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("SET spark.kaspar.parity.never.set")


@case()
def sql_describe_view(spark: Any, F: Any, T: Any) -> Any:
    name = f"v_{uuid.uuid4().hex[:8]}"
    spark.createDataFrame(
        [(1, "a", [1.5])], "id int, s string, xs array<double>"
    ).createOrReplaceTempView(name)
    return spark.sql(f"DESCRIBE TABLE {name}").union(spark.sql(f"DESC {name}"))


@case()
def sql_show_columns(spark: Any, F: Any, T: Any) -> Any:
    name = f"v_{uuid.uuid4().hex[:8]}"
    spark.createDataFrame([(1, "a")], "id int, s string").createOrReplaceTempView(name)
    return spark.sql(f"SHOW COLUMNS IN {name}")


@case()
def sql_show_tables_like(spark: Any, F: Any, T: Any) -> Any:
    name = "likev_parity_view"
    spark.range(1).createOrReplaceTempView(name)
    return spark.sql(f"SHOW TABLES LIKE '{name}|nothing*'").select("tableName", "isTemporary")


@case()
def sql_bridged_string_functions(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "SELECT substring_index('www.apache.org', '.', 2), substring_index(s, '.', -1), "
        "format_number(12332.123456, 4), elt(2, 'a', 'b'), find_in_set('b', 'a,b,c'), "
        "btrim('  x ') FROM VALUES ('a.b.c') t(s)"
    )


@case()
def sql_bridged_higher_order(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "SELECT zip_with(xs, ys, (a, b) -> a * b) z, map_filter(m, (k, v) -> v > 1) mf, "
        "transform_keys(m, (k, v) -> upper(k)) tk, forall(xs, x -> x > 0) fa "
        "FROM VALUES (array(1, 2), array(3, 4), map('a', 1, 'b', 2)) t(xs, ys, m)"
    )


@case()
def sql_bridged_aggregates(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "SELECT g, every(b), try_sum(v), try_avg(v), std(v) FROM VALUES "
        "('x', true, 1), ('x', false, 3), ('y', true, 5) t(g, b, v) GROUP BY g ORDER BY g"
    )


@case()
def sql_bridged_datetime(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "SELECT timestamp_seconds(1230219000), timestamp_millis(1230219000123), "
        "make_timestamp_ntz(2014, 12, 28, 6, 30, 45.887), try_to_date('2016-13-01'), "
        "date_add(DATE '2024-02-28', 2)"
    )


@case()
def sql_bridged_in_expr(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([("a.b.c", 3)], "s string, n int")
    return df.selectExpr("substring_index(s, '.', 2)", "zeroifnull(NULL) + n", "pmod(-7, n)")


@case()
def sql_values_convert_timezone_two_args(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "SELECT convert_timezone('Europe/Brussels', timestamp_ntz'2021-12-05 15:00:00') a, "
        "convert_timezone('Europe/Brussels', 'America/Los_Angeles', "
        "timestamp_ntz'2021-12-06 00:00:00') b"
    )


@case()
def sql_values_make_timestamp_zone(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "SELECT make_timestamp(2014, 12, 28, 6, 30, 45.887, 'CET') a, "
        "make_timestamp(2014, 12, 28, 6, 30, 45.887) b"
    )


@case()
def sql_values_listagg_default_delimiter(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "SELECT listagg(c) a, string_agg(c) b, listagg(c, '-') c2 "
        "FROM (SELECT * FROM VALUES ('a'), (NULL), ('b') t(c) ORDER BY c)"
    )


@case()
def sql_values_exists_forall_nulls(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "SELECT exists(array(1, null, 3), x -> x % 2 == 0) a, exists(array(1, null, 2), "
        "x -> x % 2 == 0) b, forall(array(2, null, 8), x -> x % 2 == 0) c, "
        "forall(array(2, null, 3), x -> x % 2 == 0) d, exists(array(), x -> x > 0) e, "
        "forall(CAST(NULL AS ARRAY<INT>), x -> x > 0) f"
    )


@case()
def dataframe_exists_forall_nulls(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([([1, None, 3],), ([2, None],), ([],), (None,)], "xs array<int>")
    return df.select(
        F.exists("xs", lambda x: x % 2 == 0).alias("e"),
        F.forall("xs", lambda x: x % 2 == 1).alias("f"),
    )


@case()
def sql_values_filter_with_index(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("SELECT filter(array(0, 2, 3), (x, i) -> x > i) a")
