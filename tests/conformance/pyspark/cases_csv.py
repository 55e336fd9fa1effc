"""Parity cases: CSV parse modes (PERMISSIVE, DROPMALFORMED, FAILFAST) and tokenizer options."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

from tests.conformance.pyspark.registry import case

_SCHEMA = "id int, name string, score double"
_FILES = {
    # wrong field counts (fewer, more), an unparsable int and double, empty fields
    "bad.csv": "id,name,score\n1,alice,1.5\n2,bob\n3,carl,2.5,extra\nx,dan,3.0\n"
    '4,"eve, jr",abc\n5,,\n',
    # a comment line, doubled and backslash-escaped quotes, padding, NA and empty values
    "opts.csv": '# comment\n1,"a ""q"" b",2024-01-05\n2,"a \\"q\\" b",05/01/2024\n'
    '3,  padded  ,NA\n4,"",\n',
    "multi.csv": 'id,txt\n1,"line one\nline two"\n2,plain\n',
    "types.csv": "1,true,1.5e3,2024-02-29,12.345\n-2,FALSE,1.0d,2024-13-01,1\n"
    "99999999999,yes, 7 ,2024-1-5,123456.7\n+4,false,NaN,,-0.5\n",
    "semicolon.csv": "a;b\n1;x\n2;\n;z\n",
}


@cache
def _data() -> Path:
    """The same input files for both engines (written once per test run)."""
    root = Path(tempfile.mkdtemp(prefix="kaspar-parity-csv-"))
    for name, text in _FILES.items():
        (root / name).write_text(text)
    return root


def _csv(name: str) -> str:
    return str(_data() / name)


@case()
def case_csv_permissive_schema(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_csv("bad.csv"), header=True, schema=_SCHEMA)


@case()
def case_csv_permissive_corrupt_column(spark: Any, F: Any, T: Any) -> Any:
    schema = _SCHEMA + ", _corrupt_record string"
    return spark.read.csv(_csv("bad.csv"), header=True, schema=schema)


@case()
def case_csv_custom_corrupt_column(spark: Any, F: Any, T: Any) -> Any:
    return (
        spark.read.option("columnNameOfCorruptRecord", "bad")
        .option("mode", "PERMISSIVE")
        .csv(_csv("bad.csv"), header=True, schema="id int, bad string, name string, score double")
    )


@case()
def case_csv_dropmalformed(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_csv("bad.csv"), header=True, schema=_SCHEMA, mode="DROPMALFORMED")


@case()
def case_csv_dropmalformed_without_schema(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_csv("bad.csv"), header=True, mode="DROPMALFORMED")


@case(kind="error")
def case_csv_failfast(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_csv("bad.csv"), header=True, schema=_SCHEMA, mode="FAILFAST")


@case()
def case_csv_ragged_without_schema(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_csv("bad.csv"), header=True)


@case()
def case_csv_default_quote_escape(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_csv("opts.csv"), schema="id int, s string, d string")


@case()
def case_csv_comment_and_quote_escape(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(
        _csv("opts.csv"), schema="id int, s string, d string", comment="#", escape='"'
    )


@case()
def case_csv_null_and_empty_value(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(
        _csv("opts.csv"),
        schema="id int, s string, d string",
        comment="#",
        nullValue="NA",
        emptyValue="EMPTY",
    )


@case()
def case_csv_ignore_white_space(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(
        _csv("opts.csv"),
        schema="id int, s string, d string",
        comment="#",
        ignoreLeadingWhiteSpace=True,
        ignoreTrailingWhiteSpace=True,
    )


@case()
def case_csv_date_format(spark: Any, F: Any, T: Any) -> Any:
    left = spark.read.csv(
        _csv("opts.csv"), schema="id int, s string, d date", comment="#", dateFormat="yyyy-MM-dd"
    )
    right = spark.read.csv(
        _csv("opts.csv"), schema="id int, s string, d date", comment="#", dateFormat="dd/MM/yyyy"
    )
    return left.select("id", "d").join(right.select("id", F.col("d").alias("d2")), "id")


@case()
def case_csv_multiline(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_csv("multi.csv"), header=True, multiLine=True)


@case()
def case_csv_multiline_schema(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_csv("multi.csv"), header=True, multiLine=True, schema="id int, t string")


@case()
def case_csv_quoted_newline_without_multiline(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_csv("multi.csv"), header=True)


@case()
def case_csv_value_conversions(spark: Any, F: Any, T: Any) -> Any:
    schema = "i int, b boolean, d double, dt date, dec decimal(6,2), _corrupt_record string"
    return spark.read.csv(_csv("types.csv"), schema=schema)


@case()
def case_csv_separator_and_bigint(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_csv("semicolon.csv"), sep=";", header=True, schema="a bigint, b string")


@case()
def case_csv_quoted_newline_infer_schema(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_csv("multi.csv"), header=True, inferSchema=True)


@case()
def case_from_csv(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame(
        [("1,2",), ("1,abc",), ("1",), ("1,2,3",), (None,), ('"x,y",2',), ("",), (" 3 , 4",)],
        "s string",
    )
    return df.select(
        "s",
        F.from_csv("s", "a int, b int"),
        F.from_csv("s", "a string, b int").alias("text"),
        F.from_csv("s", "a int, b int", {"sep": ";"}).alias("semicolon"),
    )


def _csv_texts(spark: Any) -> Any:
    return spark.createDataFrame(
        [
            ('"a ""b"" c",1.5,true',),
            ('"a \\"b\\" c",NaN,TRUE',),
            ("x,Inf,false",),
            ("y,-Inf,yes",),
            ("z,1e3,",),
            ('"",2.5d,false',),
            ("NA, 2.5 ,true",),
            ('"open,1,true',),
            ("w,1_0,false",),
            ("v,0x10,true",),
        ],
        "s string",
    )


@case()
def case_from_csv_quotes_numbers_booleans(spark: Any, F: Any, T: Any) -> Any:
    df = _csv_texts(spark)
    schema = "name string, x double, ok boolean"
    return df.select(
        "s",
        F.from_csv("s", schema).alias("default"),
        F.from_csv("s", schema, {"nullValue": "NA", "emptyValue": "<empty>"}).alias("nulls"),
        F.from_csv("s", schema, {"escape": '"'}).alias("doubled"),
        F.from_csv("s", "name string, x float, ok string").alias("as_float"),
    )


@case()
def case_from_csv_integers_and_decimals(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame(
        [
            ("1;-2;3.456",),
            ("+7;9223372036854775807;123.4",),
            ("2147483648;9223372036854775808;1.005",),
            ("0012;-0;12345.6",),
            ("1.0;1e2;abc",),
            (" 5;6 ; 7.5",),
            ("128;-129;-0.004",),
        ],
        "s string",
    )
    return df.select(
        "s",
        F.from_csv("s", "a int, b long, c decimal(6,2)", {"sep": ";"}).alias("r"),
        F.from_csv("s", "a byte, b short, c string", {"sep": ";"}).alias("small"),
    )


@case()
def case_from_csv_dates_and_whitespace(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame(
        [
            ("2024-01-05\t 2024-01-05 10:30:00 \t x ",),
            ("2024-1\t2024-01-05T10:30:00\ty",),
            ("2024\tnope\t z",),
            ("05/01/2024\t2024-02-30 00:00:00\t",),
        ],
        "s string",
    )
    schema = "d date, ts timestamp, t string"
    return df.select(
        "s",
        F.from_csv("s", schema, {"sep": "\t"}).alias("plain"),
        F.from_csv(
            "s",
            schema,
            {"sep": "\t", "ignoreLeadingWhiteSpace": "true", "ignoreTrailingWhiteSpace": "true"},
        ).alias("trimmed"),
        F.from_csv("s", "d date", {"sep": "\t", "dateFormat": "dd/MM/yyyy"}).alias("formatted"),
    )


@case()
def case_from_csv_corrupt_record(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([("1,2",), ("1,x",), ("1",), ("1,2,3",), (None,)], "s string")
    return df.select(
        "s",
        F.from_csv("s", "a int, b int, _corrupt_record string").alias("default_name"),
        F.from_csv("s", "a int, bad string, b int", {"columnNameOfCorruptRecord": "bad"}).alias(
            "named"
        ),
    )


@case(kind="error")
def case_from_csv_failfast(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([("1,2",), ("1,x",)], "s string")
    return df.select(F.from_csv("s", "a int, b int", {"mode": "FAILFAST"})).collect()


@case()
def case_from_csv_failfast_clean(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([("1,2",), ("3,4",), (None,)], "s string")
    return df.select(F.from_csv("s", "a int, b int", {"mode": "FAILFAST"}).alias("r"))


@case(kind="error")
def case_from_csv_dropmalformed_refused(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([("1,2",)], "s string")
    return df.select(F.from_csv("s", "a int, b int", {"mode": "DROPMALFORMED"})).collect()
