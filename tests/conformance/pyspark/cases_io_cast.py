"""Parity cases: JSON parse modes, ORC, and Spark's casts to integral types (ANSI and legacy)."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from tests.conformance.pyspark.registry import case

_SCHEMA = "a int, b string"
_WITH_CORRUPT = "a int, b string, _corrupt_record string"


@cache
def _data() -> Path:
    """The same input files for both engines (written once per test run)."""
    root = Path(tempfile.mkdtemp(prefix="kaspar-parity-"))
    lines = '{"a": 1, "b": "x"}\n{"a": "oops", "b": "y"}\nnot json\n{"a": 3}\n'
    (root / "bad.json").write_text(lines)
    (root / "good.json").write_text('{"a": 1, "b": "x"}\n{"a": 2}\n')
    (root / "array.json").write_text('[{"a": 1, "b": "x"},\n {"a": 2, "b": "y"}]\n')
    (root / "object.json").write_text('{\n "a": 1,\n "b": "x"\n}\n')
    import pyarrow as pa
    import pyarrow.orc as orc

    table = pa.table({"id": pa.array([1, 2], pa.int32()), "s": ["a", None]})
    orc.write_table(table, str(root / "data.orc"))
    return root


def _json(name: str) -> str:
    return str(_data() / name)


@case()
def case_json_infer_corrupt_record(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("bad.json"))


@case()
def case_json_infer_clean(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("good.json"))


@case()
def case_json_permissive_schema(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("bad.json"), schema=_SCHEMA)


@case()
def case_json_permissive_corrupt_column(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("bad.json"), schema=_WITH_CORRUPT, mode="PERMISSIVE")


@case()
def case_json_custom_corrupt_column(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(
        _json("bad.json"), schema="a int, b string, bad string", columnNameOfCorruptRecord="bad"
    )


@case()
def case_json_dropmalformed(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("bad.json"), schema=_SCHEMA, mode="DROPMALFORMED")


@case()
def case_json_dropmalformed_option_inferred(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.option("mode", "dropmalformed").json(_json("bad.json"))


@case(kind="error")
def case_json_failfast_schema(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("bad.json"), schema=_SCHEMA, mode="FAILFAST")


@case(kind="error")
def case_json_failfast_inferred(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("bad.json"), mode="FAILFAST")


@case()
def case_json_unknown_mode_is_permissive(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema(_SCHEMA).option("mode", "bogus").json(_json("bad.json"))


@case()
def case_json_multiline_array(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("array.json"), multiLine=True)


@case()
def case_json_multiline_object(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.json(_json("object.json"), multiLine=True)


@case()
def case_orc_read(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.orc(str(_data() / "data.orc"))


def _fractions(spark: Any) -> Any:
    return spark.createDataFrame([(1.9, -1.9, 2.5, -2.5)], "a double, b double, c double, d double")


@case()
def case_cast_double_to_integral_truncates(spark: Any, F: Any, T: Any) -> Any:
    df = _fractions(spark)
    return df.select(
        *[F.col(c).cast("int").alias(c) for c in "abcd"],
        F.col("c").cast("bigint").alias("big"),
        F.col("d").cast("smallint").alias("small"),
        F.col("a").cast("tinyint").alias("tiny"),
        F.col("b").cast("float").cast("int").alias("f"),
    )


@case()
def case_cast_sql_fraction_truncates(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql(
        "select cast(cast(2.7 as decimal(5,2)) as int) a, cast(-2.7BD as bigint) b, "
        "cast(2.5D as int) c, cast(-0.5D as int) d"
    )


@case()
def case_cast_select_expr_truncates(spark: Any, F: Any, T: Any) -> Any:
    return _fractions(spark).selectExpr("cast(a as int) a", "cast(d as bigint) d")


@case(kind="error")
def case_cast_string_fraction_ansi(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("select cast('1.5' as int) x")


@case(kind="error")
def case_cast_double_overflow_ansi(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("select cast(1e10 as int) x")


@case(kind="error")
def case_cast_int_overflow_ansi(spark: Any, F: Any, T: Any) -> Any:
    return spark.createDataFrame([(300,)], "x int").select(F.col("x").cast("tinyint"))


@case(kind="error")
def case_cast_nan_to_int_ansi(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("select cast(double('NaN') as int) x")


@case(kind="error")
def case_int_add_overflow_ansi(spark: Any, F: Any, T: Any) -> Any:
    return spark.createDataFrame([(2147483647,)], "x int").select(F.col("x") + 1)


@case(kind="error")
def case_bigint_multiply_overflow_ansi(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(9223372036854775807,)], "x bigint")
    return df.select(F.col("x") * 2)


def _legacy(spark: Any, query: str) -> Any:
    spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        return [tuple(r) for r in spark.sql(query).collect()]
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")


@case(kind="value")
def case_cast_fraction_truncates_legacy(spark: Any, F: Any, T: Any) -> Any:
    return _legacy(spark, "select cast(1.9D as int), cast(-2.7BD as bigint), cast('1.5' as int)")


@case(kind="value")
def case_cast_overflow_legacy(spark: Any, F: Any, T: Any) -> Any:
    return _legacy(spark, "select cast(1e10 as int), cast(3000000000L as int)")


@case(kind="value")
def case_int_add_overflow_legacy(spark: Any, F: Any, T: Any) -> Any:
    return _legacy(spark, "select 2147483647 + 1")
