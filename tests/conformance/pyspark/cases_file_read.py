"""Parity cases: lazy file reads (CSV modes and options, inferred schemas, ORC, text, folders,
globs, partitions and path options)."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyarrow import orc

from tests.conformance.pyspark.registry import case

_FILES = {
    # good lines, too few and too many fields, unparsable numbers, a bad date and timestamp
    "mixed.csv": "id,amount,day,at,ok\n1,1.50,2024-01-05,2024-01-05 10:00:00,true\n"
    "2,abc,2024-01-06,2024-01-06 11:00:00,false\n3,2.25\n4,3.00,2024-01-08,"
    "2024-01-08 12:00:00,true,extra\nfive,4.00,2024-01-09,2024-01-09 13:00:00,TRUE\n"
    "6,5.00,notadate,2024-01-10 14:00:00,false\n7,6.00,2024-01-11,never,true\n",
    "infer.csv": "i,l,d,dt,ts,b,s,n\n1,2147483648,1.5,2024-01-05,2024-01-05 10:00:00,true,x,\n"
    "2,3,2,2024-02-01,2024-01-05T10:00:00,false,,\n",
    "pipes.csv": "a|b|c\n'x|y'|1|NULL\n'z'|2|\n",
    "formats.csv": "05/01/2024;2024.01.05 10.30.00\n31/12/2023;2023.12.31 23.59.59\nbad;bad\n",
    "padded.csv": "  a  ,  1  \n b,2\n",
    "multi.csv": 'id,txt\n1,"line one\nline two"\n2,plain\n3,"x",extra\n',
    "comments.csv": "% a comment\n1,a\n\n% another\n2,b\n",
    "latin1.csv": "caf\xe9,1\n",
    "lines.txt": "first\n\nsecond line\nthird\n",
}


def _write_tree(root: Path) -> None:
    for name, text in _FILES.items():
        encoding = "latin-1" if name.startswith("latin1") else "utf-8"
        (root / name).write_text(text, encoding=encoding)
    for region, day, rows in (("eu", 1, "1,a\n2,b\n"), ("us", 2, "3,c\n"), ("us", 3, "4,d\n")):
        directory = root / "parts" / f"region={region}" / f"day={day}"
        directory.mkdir(parents=True)
        (directory / "part-0.csv").write_text(rows)
    nested = root / "nested" / "inner"
    nested.mkdir(parents=True)
    (root / "nested" / "top.csv").write_text("1,top\n")
    (root / "nested" / "_hidden.csv").write_text("9,hidden\n")
    (root / "nested" / ".dot.csv").write_text("9,dot\n")
    (nested / "deep.csv").write_text("2,deep\n")
    (nested / "deep.txt").write_text("3,text\n")
    orc_dir = root / "orc"
    orc_dir.mkdir()
    orc.write_table(pa.table({"id": [1, 2], "name": ["x", "y"]}), str(orc_dir / "a.orc"))
    orc.write_table(
        pa.table({"id": [3], "name": pa.array([None], pa.string())}), str(orc_dir / "b.orc")
    )


@cache
def _data() -> Path:
    """The same input files for both engines (written once per test run)."""
    root = Path(tempfile.mkdtemp(prefix="kaspar-parity-files-"))
    _write_tree(root)
    return root


def _p(name: str) -> str:
    return str(_data() / name)


_MIXED = "id int, amount decimal(10,2), day date, at timestamp, ok boolean"


@case()
def case_file_read_csv_permissive(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("mixed.csv"), header=True, schema=_MIXED)


@case()
def case_file_read_csv_permissive_corrupt(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("mixed.csv"), header=True, schema=_MIXED + ", _corrupt_record string")


@case()
def case_file_read_csv_dropmalformed(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("mixed.csv"), header=True, schema=_MIXED, mode="DROPMALFORMED")


@case()
def case_file_read_csv_dropmalformed_corrupt(spark: Any, F: Any, T: Any) -> Any:
    schema = _MIXED + ", _corrupt_record string"
    return spark.read.csv(_p("mixed.csv"), header=True, schema=schema, mode="DROPMALFORMED")


@case(kind="error")
def case_file_read_csv_failfast(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("mixed.csv"), header=True, schema=_MIXED, mode="FAILFAST")


@case()
def case_file_read_csv_timestamp_ntz(spark: Any, F: Any, T: Any) -> Any:
    schema = "id int, amount double, day string, at timestamp_ntz, ok string"
    return spark.read.csv(_p("mixed.csv"), header=True, schema=schema)


@case()
def case_file_read_csv_infer_schema(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("infer.csv"), header=True, inferSchema=True)


@case()
def case_file_read_csv_infer_without_header(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("infer.csv"), inferSchema=True)


@case()
def case_file_read_csv_strings_without_header(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("infer.csv"))


@case()
def case_file_read_csv_infer_timestamp_format(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(
        _p("infer.csv"), header=True, inferSchema=True, timestampFormat="yyyy-MM-dd HH:mm:ss"
    )


@case()
def case_file_read_csv_sep_quote_null(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(
        _p("pipes.csv"),
        sep="|",
        quote="'",
        nullValue="NULL",
        header=True,
        schema="a string, b int, c string",
    )


@case()
def case_file_read_csv_delimiter_alias(spark: Any, F: Any, T: Any) -> Any:
    return (
        spark.read.option("delimiter", "|").option("quote", "'").csv(_p("pipes.csv"), header=True)
    )


@case()
def case_file_read_csv_date_timestamp_formats(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(
        _p("formats.csv"),
        sep=";",
        schema="d date, t timestamp",
        dateFormat="dd/MM/yyyy",
        timestampFormat="yyyy.MM.dd HH.mm.ss",
    )


@case()
def case_file_read_csv_white_space(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(
        _p("padded.csv"),
        schema="s string, n string",
        ignoreLeadingWhiteSpace=True,
        ignoreTrailingWhiteSpace=True,
    )


@case()
def case_file_read_csv_multiline_modes(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(
        _p("multi.csv"),
        header=True,
        multiLine=True,
        schema="id int, txt string",
        mode="DROPMALFORMED",
    )


@case()
def case_file_read_csv_comment(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("comments.csv"), comment="%", schema="id int, s string")


@case()
def case_file_read_csv_encoding(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("latin1.csv"), encoding="ISO-8859-1", schema="s string, n int")


@case()
def case_file_read_csv_sampling_ratio(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.csv(_p("infer.csv"), header=True, inferSchema=True, samplingRatio=1.0)
    return df.select("i", "d")


@case()
def case_file_read_orc(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.orc(_p("orc"))


@case()
def case_file_read_orc_schema(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.schema("name string, id int").orc(_p("orc")).filter("id > 1")


@case()
def case_file_read_text(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.text(_p("lines.txt"))


@case()
def case_file_read_text_wholetext(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.text(_p("lines.txt"), wholetext=True)


@case()
def case_file_read_folder_partitions(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("parts"), schema="id int, s string")


@case()
def case_file_read_folder_partitions_inferred(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("parts"), inferSchema=True)


@case()
def case_file_read_partition_subfolder(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("parts/region=us"), schema="id int, s string")


@case()
def case_file_read_folder_top_level_only(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("nested"), schema="id int, s string")


@case()
def case_file_read_recursive_file_lookup(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("nested"), schema="id int, s string", recursiveFileLookup=True)


@case()
def case_file_read_path_glob_filter(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(
        _p("nested"), schema="id int, s string", recursiveFileLookup=True, pathGlobFilter="*.csv"
    )


@case()
def case_file_read_glob(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("nested/*/*.csv"), schema="id int, s string")


@case()
def case_file_read_path_list(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv([_p("nested/top.csv"), _p("comments.csv")], schema="id string, s string")


@case(kind="error")
def case_file_read_missing_path(spark: Any, F: Any, T: Any) -> Any:
    return spark.read.csv(_p("no-such-file.csv"))
