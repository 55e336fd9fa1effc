"""Parity cases: to_csv, vector_sum / vector_avg, unix_nanos / timestamp_nanos, the AES
functions and the partition transforms (years, months, days, hours, bucket)."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from tests.conformance.pyspark.registry import case

_CSV_ROW = (
    1,
    "a,b",
    None,
    1.5,
    True,
    dt.date(2024, 1, 2),
    dt.datetime(2024, 1, 2, 3, 4, 5, 678000),
    decimal.Decimal("1.20"),
    "",
    "  pad ",
    'q"uote',
    "new\nline",
    1e10,
    12345678.9,
    2**40,
    0.1,
)
_CSV_SCHEMA = (
    "i int, s string, n string, d double, b boolean, dt date, ts timestamp, dec decimal(5,2), "
    "e string, p string, q string, nl string, big double, mid double, l bigint, f float"
)


def _csv_frame(spark: Any) -> Any:
    return spark.createDataFrame([_CSV_ROW, (None,) * len(_CSV_ROW)], _CSV_SCHEMA)


@case()
def case_to_csv_types_and_quoting(spark: Any, F: Any, T: Any) -> Any:
    df = _csv_frame(spark)
    return df.select(F.to_csv(F.struct(*df.columns)))


@case()
def case_to_csv_options(spark: Any, F: Any, T: Any) -> Any:
    df = _csv_frame(spark)
    options = {
        "sep": ";",
        "quote": "'",
        "escape": "#",
        "nullValue": "NA",
        "dateFormat": "dd/MM/yyyy",
        "timestampFormat": "yyyy-MM-dd HH:mm",
    }
    return df.select(F.to_csv(F.struct(*df.columns), options).alias("csv"))


@case()
def case_to_csv_quote_all_and_null_struct(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(1, "a,b"), (None, None)], "i int, s string")
    struct = F.when(F.col("i").isNotNull(), F.struct("i", "s"))
    return df.select(F.to_csv(F.struct("i", "s"), {"quoteAll": "true"}), F.to_csv(struct))


@case(kind="value")
def case_to_csv_time_zone(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(dt.datetime(2024, 7, 2, 3, 4, 5, 678901),)], "ts timestamp")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        return [tuple(r) for r in df.select(F.to_csv(F.struct("ts")).alias("csv")).collect()]
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


@case()
def case_to_csv_from_csv_round_trip(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame(
        [(1, "a,b", 2.5, dt.date(2024, 2, 29)), (2, None, None, None)],
        "i int, s string, d double, dt date",
    )
    text = F.to_csv(F.struct("i", "s", "d", "dt"))
    parsed = F.from_csv(text, "i int, s string, d double, dt date")
    return df.select(text.alias("csv"), parsed.alias("back"))


@case(kind="error")
def case_to_csv_not_a_struct(spark: Any, F: Any, T: Any) -> Any:
    return spark.range(1).select(F.to_csv("id"))


def _vectors(spark: Any) -> Any:
    return spark.createDataFrame(
        [(1, [1.0, 0.1]), (1, [2.0, 0.2]), (1, [2.0, 0.7]), (1, None), (1, [9.0, None]), (2, None)],
        "k int, v array<float>",
    )


@case()
def case_vector_sum_avg_grouped(spark: Any, F: Any, T: Any) -> Any:
    return _vectors(spark).groupBy("k").agg(F.vector_sum("v"), F.vector_avg("v"))


@case()
def case_vector_sum_avg_global_and_empty(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([([],), ([],)], "v array<float>")
    empty = spark.createDataFrame([], "v array<float>")
    return df.select(F.vector_sum("v"), F.vector_avg("v")).union(
        empty.select(F.vector_sum("v"), F.vector_avg("v"))
    )


@case(kind="error")
def case_vector_sum_dimension_mismatch(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([([1.0, 2.0],), ([3.0],)], "v array<float>")
    return df.select(F.vector_sum("v"))


@case(kind="error")
def case_vector_avg_array_of_double(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([([1.0, 2.0],)], "v array<double>")
    return df.select(F.vector_avg("v"))


def _aes_rows(spark: Any) -> Any:
    return spark.createDataFrame(
        [
            ("Spark", "abcdefghijklmnop12345678ABCDEFGH", "000000000000000000000000", "AAD"),
            ("", "0000111122223333", "0102030405060708090a0b0c", ""),
            (None, "0000111122223333", None, None),
        ],
        "input string, key string, iv string, aad string",
    )


@case()
def case_aes_encrypt_gcm_with_iv_and_aad(spark: Any, F: Any, T: Any) -> Any:
    df = _aes_rows(spark)
    sealed = F.aes_encrypt("input", "key", F.lit("GCM"), F.lit("DEFAULT"), F.unhex("iv"), "aad")
    return df.select(F.base64(sealed).alias("x"))


@case()
def case_aes_encrypt_cbc_with_iv(spark: Any, F: Any, T: Any) -> Any:
    df = _aes_rows(spark)
    iv = F.unhex(F.lit("00112233445566778899aabbccddeeff"))
    return df.select(F.base64(F.aes_encrypt("input", "key", F.lit("CBC"), F.lit("DEFAULT"), iv)))


@case()
def case_aes_encrypt_ecb(spark: Any, F: Any, T: Any) -> Any:
    df = _aes_rows(spark)
    return df.select(F.base64(F.aes_encrypt("input", "key", F.lit("ecb"), F.lit("pkcs"))))


@case()
def case_aes_round_trips(spark: Any, F: Any, T: Any) -> Any:
    df = _aes_rows(spark)
    gcm = F.aes_encrypt("input", "key", F.lit("GCM"), F.lit("DEFAULT"), F.lit(""), "aad")
    return df.select(
        F.aes_decrypt(F.aes_encrypt("input", "key"), "key").cast("string").alias("gcm"),
        F.aes_decrypt(F.aes_encrypt("input", "key", F.lit("CBC")), "key", F.lit("CBC"))
        .cast("string")
        .alias("cbc"),
        F.aes_decrypt(gcm, "key", F.lit("GCM"), F.lit("DEFAULT"), "aad").cast("string"),
    )


@case()
def case_try_aes_decrypt_bad_input_and_key(spark: Any, F: Any, T: Any) -> Any:
    df = _aes_rows(spark)
    junk = F.lit(b"0123456789abcdef0123456789abcdef")
    return df.select(
        F.try_aes_decrypt(junk, "key"),
        F.try_aes_decrypt(junk, F.lit("short")).alias("short_key"),
        F.try_aes_decrypt(F.aes_encrypt("input", "key"), "key").cast("string").alias("ok"),
    )


@case(kind="error")
def case_aes_decrypt_tag_mismatch(spark: Any, F: Any, T: Any) -> Any:
    junk = F.lit(b"0123456789abcdef0123456789abcdef")
    return _aes_rows(spark).select(F.aes_decrypt(junk, "key"))


@case(kind="error")
def case_aes_encrypt_key_length(spark: Any, F: Any, T: Any) -> Any:
    return _aes_rows(spark).select(F.aes_encrypt("input", F.lit("short")))


@case(kind="error")
def case_aes_encrypt_ecb_without_padding(spark: Any, F: Any, T: Any) -> Any:
    return _aes_rows(spark).select(F.aes_encrypt("input", "key", F.lit("ECB"), F.lit("NONE")))


@case(kind="error")
def case_aes_encrypt_iv_length(spark: Any, F: Any, T: Any) -> Any:
    iv = F.lit(b"123")
    return _aes_rows(spark).select(
        F.aes_encrypt("input", "key", F.lit("GCM"), F.lit("DEFAULT"), iv)
    )


@case(kind="error")
def case_aes_encrypt_cbc_with_aad(spark: Any, F: Any, T: Any) -> Any:
    iv = F.lit(b"1234567890123456")
    return _aes_rows(spark).select(
        F.aes_encrypt("input", "key", F.lit("CBC"), F.lit("DEFAULT"), iv, F.lit("aad"))
    )


@case()
def case_timestamp_nanos_as_timestamp(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(1704164645678901234,), (None,), (-1,), (0,)], "n long")
    return df.select(F.timestamp_nanos("n").cast("timestamp").alias("ts"))


@case(kind="error")
def case_timestamp_nanos_of_double(spark: Any, F: Any, T: Any) -> Any:
    return spark.range(1).select(F.timestamp_nanos(F.lit(1.5e18)))


@case(kind="error")
def case_unix_nanos_of_microsecond_timestamp(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(dt.datetime(2024, 1, 2, 3, 4, 5, 678901),)], "ts timestamp")
    return df.select(F.unix_nanos("ts"))


@case(kind="value")
def case_partition_transforms_schema(spark: Any, F: Any, T: Any) -> Any:
    df = spark.range(1).select(
        F.years("id"), F.months("id"), F.days("id"), F.hours("id"), F.bucket(3, "id")
    )
    return df.schema.simpleString()


@case(kind="error")
def case_partition_transform_outside_partitioned_by(spark: Any, F: Any, T: Any) -> Any:
    return spark.range(1).select(F.days(F.current_timestamp()))


@case(kind="error")
def case_bucket_count_of_wrong_type(spark: Any, F: Any, T: Any) -> Any:
    return spark.range(1).select(F.bucket("x", "id"))


def _interval_parts(spark: Any) -> Any:
    return spark.createDataFrame(
        [(1, 2, 3, "5.5", 2024, 3), (-1, 0, 0, "0.000001", -1, 13), (None, 1, 1, "1", None, 1)],
        "d int, h int, m int, s string, y int, mo int",
    )


@case(kind="show")
def case_make_dt_interval_show_and_schema(spark: Any, F: Any, T: Any) -> Any:
    df = _interval_parts(spark).select(
        F.make_dt_interval("d", "h", "m", F.col("s").cast("decimal(18,6)")),
        F.make_dt_interval(),
        F.make_dt_interval(F.lit(1)),
    )
    df.select(df.columns[0]).printSchema()  # literal-only columns are not nullable in Spark
    df.show(truncate=False)


@case()
def case_make_dt_interval_collect(spark: Any, F: Any, T: Any) -> Any:
    df = _interval_parts(spark)
    return df.select(F.make_dt_interval("d", "h", "m", F.col("s").cast("decimal(18,6)")))


@case(kind="error")
def case_make_dt_interval_overflow(spark: Any, F: Any, T: Any) -> Any:
    return spark.range(1).select(F.make_dt_interval(F.lit(2**31 - 1), F.lit(2**31 - 1)))


@case(kind="show")
def case_make_ym_interval_show_and_schema(spark: Any, F: Any, T: Any) -> Any:
    df = _interval_parts(spark).select(
        F.make_ym_interval("y", "mo"), F.make_ym_interval(), F.make_ym_interval(F.lit(-1))
    )
    df.select(df.columns[0]).printSchema()  # literal-only columns are not nullable in Spark
    df.show(truncate=False)


@case(kind="error")
def case_make_ym_interval_overflow(spark: Any, F: Any, T: Any) -> Any:
    return spark.range(1).select(F.make_ym_interval(F.lit(2**31 - 1), F.lit(2**31 - 1)))


@case(kind="value")
def case_ansi_interval_types(spark: Any, F: Any, T: Any) -> Any:
    types = [T.DayTimeIntervalType(), T.DayTimeIntervalType(1, 3), T.YearMonthIntervalType()]
    types.append(T.DayTimeIntervalType(T.DayTimeIntervalType.HOUR, T.DayTimeIntervalType.HOUR))
    return [(t.simpleString(), repr(t), t.jsonValue()) for t in types]


def _stamps(spark: Any) -> Any:
    rows = [
        (dt.datetime(2024, 1, 1, 11, 27, 0), dt.datetime(2024, 1, 1, 11, 27, 0)),
        (dt.datetime(2024, 5, 31, 23, 59, 59, 999999), dt.datetime(1969, 12, 31, 23, 0)),
        (None, None),
    ]
    return spark.createDataFrame(rows, "ts timestamp, ntz timestamp_ntz")


@case()
def case_time_bucket_minutes_and_origin(spark: Any, F: Any, T: Any) -> Any:
    size = F.expr("INTERVAL '15' MINUTE")
    origin = F.expr("TIMESTAMP '1970-01-01 00:05:00'")
    return _stamps(spark).select(
        F.time_bucket(size, "ts"), F.time_bucket(size, "ts", origin).alias("shifted")
    )


@case()
def case_time_bucket_days_months_and_ntz(spark: Any, F: Any, T: Any) -> Any:
    return _stamps(spark).select(
        F.time_bucket(F.make_dt_interval(F.lit(1)), "ts").alias("day"),
        F.time_bucket(F.make_ym_interval(F.lit(0), F.lit(3)), "ts").alias("quarter"),
        F.time_bucket(F.expr("INTERVAL '2' HOUR"), "ntz").alias("ntz"),
    )


@case(kind="value")
def case_time_bucket_session_time_zone(spark: Any, F: Any, T: Any) -> Any:
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        df = _stamps(spark).select(F.time_bucket(F.make_dt_interval(F.lit(1)), "ts").alias("d"))
        text = df.select(F.date_format("d", "yyyy-MM-dd HH:mm").alias("d"))
        return [tuple(r) for r in text.collect()]
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


@case(kind="error")
def case_time_bucket_of_a_date(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(dt.date(2024, 1, 2),)], "d date")
    return df.select(F.time_bucket(F.expr("INTERVAL '1' HOUR"), "d"))


@case()
def case_timestamp_plus_ansi_intervals(spark: Any, F: Any, T: Any) -> Any:
    return _stamps(spark).select(
        F.col("ts") + F.make_dt_interval(F.lit(1), F.lit(2)),
        F.col("ts") - F.make_ym_interval(F.lit(1), F.lit(1)),
        F.col("ntz") + F.make_dt_interval(F.lit(0), F.lit(0), F.lit(90)),
    )
