"""Parity cases: functions given a column for an argument Spark evaluates per row (a URL part,
a unit, a datetime format, a variant path, a time zone)."""

from __future__ import annotations

from tests.conformance.pyspark.registry import case


def _urls(spark):
    full = "https://u:p@spark.apache.org:8080/path/a?query=1&b=2#frag"
    parts = ["HOST", "PATH", "QUERY", "REF", "PROTOCOL", "FILE", "AUTHORITY", "USERINFO"]
    rows = [(full, p, None) for p in [*parts, "query", "FOO", None]]
    keyed = "https://spark.apache.org/path?query=1&a.b=2&ab=3"
    rows += [(keyed, "QUERY", k) for k in ["query", "a.b", "zz", None, "a.*"]]
    rows += [
        ("https://x.org/p?q=1", "HOST", "q"),
        (None, "HOST", None),
        ("mailto:a@b.c", "PATH", None),
        ("/rel/x?y=1", "QUERY", "y"),
        ("http://[::1]:80/x", "HOST", None),
    ]
    return spark.createDataFrame(rows, "url string, part string, key string")


_INVALID_URLS = [
    ("inva lid://x/y?a=1", "QUERY", "a"),
    ("1abc://x/y", "HOST", None),
    ("http://x/y#a#b", "HOST", None),
    ("http://x/%zz", "HOST", None),
    ("http://x/a b", "PATH", None),
]


@case()
def case_parse_url_column_part_and_key(spark, F, T):
    df = _urls(spark)
    return df.select(
        "url",
        "part",
        "key",
        F.parse_url("url", "part"),
        F.parse_url("url", "part", "key"),
        F.try_parse_url("url", "part", "key"),
        F.parse_url("url", F.lit("QUERY"), "key"),
    )


@case("value")
def case_parse_url_invalid_legacy(spark, F, T):
    spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        df = spark.createDataFrame(_INVALID_URLS, "url string, part string, key string")
        out = df.select("url", F.parse_url("url", "part"), F.try_parse_url("url", "part", "key"))
        return [tuple(r) for r in out.collect()]
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")


@case()
def case_try_parse_url_invalid(spark, F, T):
    df = spark.createDataFrame(_INVALID_URLS, "url string, part string, key string")
    return df.select("url", F.try_parse_url("url", "part"), F.try_parse_url("url", "part", "key"))


@case("error")
def case_parse_url_invalid_ansi(spark, F, T):
    df = spark.createDataFrame(_INVALID_URLS[:1], "url string, part string, key string")
    return df.select(F.parse_url("url", "part")).collect()


def _unit_times(spark):
    import datetime as dt

    start, end = dt.time(9, 32, 5, 359123), dt.time(12, 10, 20, 5)
    units = ["HOUR", "minute", "Second", "MILLISECOND", "MICROSECOND", None]
    rows = [(u, start, end) for u in units]
    rows += [("HOUR", None, dt.time(1, 0)), ("hour", end, start)]
    return spark.createDataFrame(rows, "unit string, start time, end time")


@case()
def case_time_diff_trunc_column_unit(spark, F, T):
    spark.conf.set("spark.sql.timeType.enabled", "true")
    df = _unit_times(spark)
    return df.select("*", F.time_diff("unit", "start", "end"), F.time_trunc("unit", "start"))


@case("error")
def case_time_diff_column_unit_invalid(spark, F, T):
    spark.conf.set("spark.sql.timeType.enabled", "true")
    df = _unit_times(spark).withColumn("unit", F.lit("DAY")).withColumn("unit", F.col("unit"))
    return df.select(F.time_diff(F.col("unit"), "start", "end")).collect()


@case("error")
def case_time_trunc_column_unit_invalid_legacy(spark, F, T):
    spark.conf.set("spark.sql.timeType.enabled", "true")
    spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        df = spark.createDataFrame([("hours",)], "unit string")
        df = df.select("unit", F.current_time().alias("t"))
        return df.select(F.time_trunc("unit", "t")).collect()
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")


_TIMESTAMP_TEXT = [
    ("2015-04-08", "yyyy-MM-dd"),
    ("2025+01+09", "yyyy+MM+dd"),
    ("2025-01-09 10:11:12.345", "yyyy-MM-dd HH:mm:ss.SSS"),
    ("09/01/2025", "dd/MM/yyyy"),
    (None, "yyyy"),
    ("2020", None),
    ("12/31/2020 11PM", "MM/dd/yyyy hha"),
]


def _timestamp_calls(F):
    return (
        F.to_timestamp_ltz("dt", "fmt"),
        F.to_timestamp_ntz("dt", "fmt"),
        F.to_unix_timestamp("dt", "fmt"),
    )


@case("value")
def case_to_timestamp_column_format(spark, F, T):
    spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
    try:
        df = spark.createDataFrame(_TIMESTAMP_TEXT, "dt string, fmt string")
        return [tuple(r) for r in df.select("*", *_timestamp_calls(F)).collect()]
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


@case("value")
def case_to_timestamp_column_format_unparsed_legacy(spark, F, T):
    spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        df = spark.createDataFrame([("2015-04-08", "yyyy/MM/dd")], "dt string, fmt string")
        return [tuple(r) for r in df.select(*_timestamp_calls(F)).collect()]
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")


@case("error")
def case_to_timestamp_ltz_column_format_unparsed(spark, F, T):
    df = spark.createDataFrame([("2015-04-08", "yyyy/MM/dd")], "dt string, fmt string")
    return df.select(F.to_timestamp_ltz("dt", "fmt")).collect()


@case("error")
def case_to_unix_timestamp_column_format_bad_pattern(spark, F, T):
    df = spark.createDataFrame([("2015-04-08", "yyyy-MM-dd-QQQQQ")], "dt string, fmt string")
    return df.select(F.to_unix_timestamp("dt", "fmt")).collect()


_TIME_TEXT = [
    ("10:30:00", "HH:mm:ss"),
    ("10.30", "HH.mm"),
    ("10:30:00.123456", "HH:mm:ss.SSSSSS"),
    (None, "HH"),
    ("10", None),
    ("11 PM", "hh a"),
    ("10:30", "HH-mm"),
    ("10:30", "HH:mm:QQQQQ"),
]


@case()
def case_to_time_column_format(spark, F, T):
    spark.conf.set("spark.sql.timeType.enabled", "true")
    df = spark.createDataFrame(_TIME_TEXT[:6], "s string, f string")
    return df.select("*", F.to_time("s", "f"), F.try_to_time("s", "f"))


@case()
def case_try_to_time_column_format_invalid(spark, F, T):
    spark.conf.set("spark.sql.timeType.enabled", "true")
    df = spark.createDataFrame(_TIME_TEXT, "s string, f string")
    return df.select("*", F.try_to_time("s", "f"))


@case("error")
def case_to_time_column_format_unparsed(spark, F, T):
    spark.conf.set("spark.sql.timeType.enabled", "true")
    df = spark.createDataFrame(_TIME_TEXT[6:7], "s string, f string")
    return df.select(F.to_time("s", "f")).collect()


@case("error")
def case_to_time_column_format_bad_pattern(spark, F, T):
    spark.conf.set("spark.sql.timeType.enabled", "true")
    df = spark.createDataFrame(_TIME_TEXT[7:], "s string, f string")
    return df.select(F.to_time("s", "f")).collect()


def _variant_paths(spark, F):
    paths = ["$.a", "$.b", "$.b[0]", "$.c.d", "$['c']['d']", "$.zz", None, "$.b[9]", "$.n"]
    doc = '{"a":1,"b":[1,2],"c":{"d":"x"},"n":null}'
    df = spark.createDataFrame([(doc, p) for p in paths], "j string, p string")
    return df.withColumn("v", F.parse_json("j"))


@case()
def case_variant_get_column_path(spark, F, T):
    df = _variant_paths(spark, F)
    return df.select(
        "p",
        F.variant_get("v", F.col("p"), "string"),
        F.try_variant_get("v", F.col("p"), "int"),
        F.try_variant_get("v", F.col("p"), "binary"),
        F.to_json(F.variant_get("v", F.col("p"), "variant")).alias("as_variant"),
    )


@case()
def case_variant_edits_column_path(spark, F, T):
    df = _variant_paths(spark, F)
    return df.select(
        "p",
        F.to_json(F.variant_delete("v", F.col("p"))).alias("deleted"),
        F.to_json(F.try_variant_array_append("v", F.col("p"), F.lit(9))).alias("appended"),
    )


@case()
def case_variant_insert_column_path(spark, F, T):
    rows = [('{"a":1,"arr":["x","y"]}', p) for p in ["$.d", "$.arr[1]", "$.c.d", None]]
    df = spark.createDataFrame(rows, "j string, p string").withColumn("v", F.parse_json("j"))
    return df.select("p", F.to_json(F.variant_insert("v", F.col("p"), F.lit(9))).alias("r"))


@case()
def case_try_variant_get_binary(spark, F, T):
    df = spark.createDataFrame([('{"a":1,"s":"abc"}',)], "j string")
    v = F.parse_json("j")
    return df.select(F.try_variant_get(v, "$.a", "binary"), F.try_variant_get(v, "$.s", "binary"))


def _bad_variant_path(spark, F, path):
    df = spark.createDataFrame([('{"a":1}', path)], "j string, p string")
    return df.withColumn("v", F.parse_json("j"))


@case("error")
def case_variant_delete_column_root_path(spark, F, T):
    df = _bad_variant_path(spark, F, "$")
    return df.select(F.variant_delete("v", F.col("p"))).collect()


@case("error")
def case_variant_insert_column_bad_path(spark, F, T):
    df = _bad_variant_path(spark, F, "bad")
    return df.select(F.variant_insert("v", F.col("p"), F.lit(2))).collect()


@case("error")
def case_variant_array_append_column_path_mismatch(spark, F, T):
    df = _bad_variant_path(spark, F, "$.a")
    return df.select(F.variant_array_append("v", F.col("p"), F.lit(2))).collect()


@case("error")
def case_variant_get_column_bad_path(spark, F, T):
    df = _bad_variant_path(spark, F, "bad")
    return df.select(F.variant_get("v", F.col("p"), "int")).collect()


def _timestamp_fields(spark):
    rows = [
        (2014, 12, 28, 6, 30, 45.887, "CET"),
        (2014, 12, 28, 6, 30, 45.887, "Asia/Tokyo"),
        (2014, 12, 28, 6, 30, 45.887, None),
        (2020, 2, 29, 23, 59, 59.5, "UTC"),
        (None, 1, 1, 0, 0, 0.0, "UTC"),
    ]
    schema = "year int, month int, day int, hour int, min int, sec double, tz string"
    return spark.createDataFrame(rows, schema)


@case("value")
def case_make_timestamp_column_timezone(spark, F, T):
    spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
    try:
        df = _timestamp_fields(spark)
        fields = ("year", "month", "day", "hour", "min", "sec")
        out = df.select(
            F.make_timestamp(*fields, "tz"),
            F.try_make_timestamp(*fields, "tz"),
            F.make_timestamp_ltz(*fields, "tz"),
            F.try_make_timestamp_ltz(*fields, "tz"),
            F.make_timestamp(*fields),
        )
        return [out.columns, *[tuple(r) for r in out.collect()]]
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


@case("value")
def case_make_timestamp_date_and_time(spark, F, T):
    import datetime as dt

    spark.conf.set("spark.sql.session.timeZone", "America/Los_Angeles")
    try:
        df = spark.range(1).select(
            F.lit(dt.date(2014, 12, 28)).alias("date"),
            F.lit(dt.time(6, 30, 45, 887000)).alias("time"),
            F.lit("CET").alias("tz"),
        )
        out = df.select(
            F.make_timestamp(date=df.date, time=df.time, timezone=df.tz),
            F.make_timestamp(date=df.date, time=df.time),
            F.try_make_timestamp(date=df.date, time=df.time, timezone=df.tz),
            F.make_timestamp_ntz(date=df.date, time=df.time),
            F.try_make_timestamp_ntz(date=df.date, time=df.time),
        )
        return [out.columns, *[tuple(r) for r in out.collect()]]
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


@case("value")
def case_try_make_timestamp_column_timezone_invalid_fields(spark, F, T):
    rows = [(2014, 13, 28, 6, 30, 45.0, "CET"), (2014, 2, 30, 6, 30, 45.0, "UTC")]
    schema = "year int, month int, day int, hour int, min int, sec double, tz string"
    df = spark.createDataFrame(rows, schema)
    fields = ("year", "month", "day", "hour", "min", "sec")
    out = df.select(F.try_make_timestamp(*fields, "tz"), F.try_make_timestamp_ltz(*fields, "tz"))
    return [tuple(r) for r in out.collect()]


@case()
def case_udf_keyword_arguments(spark, F, T):
    def calc(a, b):
        return None if a is None or b is None else a + 10 * b

    calc_udf = F.udf(calc, T.IntegerType())
    df = spark.createDataFrame([(0,), (1,), (None,)], "id int")
    return df.select(calc_udf(b=F.col("id") * 10, a=F.col("id")), calc_udf(F.col("id"), b=F.lit(2)))


@case()
def case_udf_type_hints_vectorised(spark, F, T):
    import pandas as pd
    import pyarrow as pa

    def pd_calc(a: pd.Series, b: pd.Series) -> pd.Series:
        return a + 10 * b

    def pa_calc(a: pa.Array, b: pa.Array) -> pa.Array:
        return pa.compute.add(a, pa.compute.multiply(b, 10))

    pd_udf = F.udf(pd_calc, T.IntegerType())
    pa_udf = F.udf(pa_calc, T.IntegerType())
    df = spark.range(3)
    return df.select(pd_udf(b=F.col("id") * 10, a="id"), pa_udf(b=F.col("id") * 10, a="id"))


@case()
def case_call_function_registered_udf(spark, F, T):
    spark.udf.register("intX2", lambda i: None if i is None else i * 2, T.IntegerType())
    spark.udf.register("strX2", lambda s: None if s is None else s * 2, T.StringType())
    df = spark.createDataFrame([(1, "a"), (2, None), (None, "c")], "id int, name string")
    return df.select(
        F.call_function("intX2", "id"),
        F.call_function("strX2", F.col("name")),
        F.call_function("upper", F.col("name")),
    )
