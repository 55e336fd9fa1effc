"""Parity cases: file-source metadata (``input_file_name()``, ``input_file_block_start()`` /
``input_file_block_length()``, the hidden ``_metadata`` column and ``DataFrame.metadataColumn``).

The files are written once per run into a fresh temporary directory, so paths differ between
the recording and the replay: cases show paths relative to that directory (``<root>``) and
never the modification time itself (only whether it equals the file's).
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
from pyarrow import orc, parquet

from tests.conformance.pyspark.registry import case

_TEXT = {
    "csv/people.csv": "id,name\n1,ann\n2,bob\n3,cy\n",
    "csv/more.csv": "id,name\n4,dee\n",
    "json/people.json": '{"id": 1, "name": "ann"}\n{"id": 2, "name": "bob"}\n',
    "json_multi/people.json": '[{"id": 1, "name": "ann"},\n{"id": 2, "name": "bob"}]\n',
    "text/lines.txt": "first\nsecond\n",
    "text_sep/fields.txt": "a,b,,c,",
    "xml/rows.xml": "<rows><r><id>1</id></r><r><id>2</id></r></rows>",
    "parts/k=a/part-0.csv": "1\n2\n",
    "parts/k=b/part-0.csv": "3\n",
    "odd dir/a b=c.csv": "1\n",
    "bad/rows.csv": "1,x\noops\n",
}


def _write_tree(root: Path) -> None:
    for name, text in _TEXT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    table = pa.table({"id": pa.array([1, 2, 3], pa.int32()), "name": ["ann", "bob", "cy"]})
    (root / "parquet").mkdir()
    parquet.write_table(table, str(root / "parquet" / "people.parquet"))
    (root / "orc").mkdir()
    orc.write_table(table, str(root / "orc" / "people.orc"))


@cache
def _data() -> Path:
    """The same input files for both engines (written once per test run)."""
    root = Path(tempfile.mkdtemp(prefix="kaspar-parity-meta-"))
    _write_tree(root)
    return root


def _p(name: str) -> str:
    return str(_data() / name)


def _relative(F: Any, column: Any) -> Any:
    """A path or URI with the run's directory replaced by ``<root>``."""
    root = str(_data())
    for prefix in (f"file://{root}", f"file:{root}"):
        column = F.replace(column, F.lit(prefix), F.lit("<root>"))
    return column


def _read(spark: Any, fmt: str) -> Any:
    if fmt == "csv":
        return spark.read.csv(_p("csv/people.csv"), header=True)
    if fmt == "xml":
        return spark.read.xml(_p("xml"), rowTag="r")
    return getattr(spark.read, fmt)(_p(fmt))


def _file_functions(spark: Any, F: Any, fmt: str) -> Any:
    return _read(spark, fmt).select(
        _relative(F, F.input_file_name()).alias("file"),
        F.input_file_block_start(),
        F.input_file_block_length(),
    )


@case()
def case_file_meta_input_file_name_parquet(spark: Any, F: Any, T: Any) -> Any:
    return _file_functions(spark, F, "parquet")


@case()
def case_file_meta_input_file_name_csv(spark: Any, F: Any, T: Any) -> Any:
    return _file_functions(spark, F, "csv")


@case()
def case_file_meta_input_file_name_json(spark: Any, F: Any, T: Any) -> Any:
    return _file_functions(spark, F, "json")


@case()
def case_file_meta_input_file_name_text(spark: Any, F: Any, T: Any) -> Any:
    return _file_functions(spark, F, "text")


@case()
def case_file_meta_input_file_name_orc(spark: Any, F: Any, T: Any) -> Any:
    return _file_functions(spark, F, "orc")


@case()
def case_file_meta_input_file_name_xml(spark: Any, F: Any, T: Any) -> Any:
    return _file_functions(spark, F, "xml")


@case()
def case_file_meta_input_file_name_json_multiline(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.json(_p("json_multi"), multiLine=True)
    return df.select("id", _relative(F, F.input_file_name()).alias("file"))


@case()
def case_file_meta_input_file_name_csv_corrupt_record(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.csv(_p("bad"), schema="id int, s string, _corrupt_record string")
    return df.select("id", "_corrupt_record", _relative(F, F.input_file_name()).alias("file"))


@case()
def case_file_meta_input_file_name_without_file(spark: Any, F: Any, T: Any) -> Any:
    df = spark.createDataFrame([(1,), (2,)], "id int")
    return df.select(
        "id", F.input_file_name(), F.input_file_block_start(), F.input_file_block_length()
    )


@case()
def case_file_meta_input_file_name_range(spark: Any, F: Any, T: Any) -> Any:
    return spark.range(2).select("id", F.input_file_name(), F.input_file_block_length())


@case()
def case_file_meta_input_file_name_folder_of_files(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.csv(_p("csv"), header=True)
    return df.groupBy(_relative(F, F.input_file_name()).alias("file")).agg(F.count("*").alias("n"))


@case()
def case_file_meta_input_file_name_union(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.csv(_p("csv"), header=True)
    both = df.union(spark.read.json(_p("json")).select(F.col("id").cast("string"), "name"))
    return both.select("id", F.substring_index(F.input_file_name(), "/", -1).alias("file"))


@case(kind="error")
def case_file_meta_union(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.csv(_p("csv"), header=True)
    return df.union(df).select("_metadata.file_name")


@case()
def case_file_meta_input_file_name_after_repartition(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.csv(_p("csv"), header=True).repartition(2)
    return df.select("id", F.input_file_name())


@case()
def case_file_meta_sql_without_file(spark: Any, F: Any, T: Any) -> Any:
    return spark.sql("SELECT input_file_name(), input_file_block_start() AS s")


@case()
def case_file_meta_limit(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.csv(_p("csv/people.csv"), header=True).limit(2)
    return df.select("id", "_metadata.file_name", F.input_file_name())


@case()
def case_file_meta_input_file_name_partitions(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.csv(_p("parts"), schema="v int")
    return df.select("v", "k", _relative(F, F.input_file_name()).alias("file"))


@case()
def case_file_meta_input_file_name_odd_path(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.csv(_p("odd dir"), schema="v int")
    return df.select(
        _relative(F, F.input_file_name()).alias("file"),
        _relative(F, F.col("_metadata.file_path")).alias("path"),
        "_metadata.file_name",
    )


@case()
def case_file_meta_input_file_name_through_filter(spark: Any, F: Any, T: Any) -> Any:
    df = _read(spark, "parquet").filter("id > 1").alias("p").limit(5)
    return df.withColumn("file", F.substring_index(F.input_file_name(), "/", -1)).select(
        "id", "file"
    )


@case()
def case_file_meta_input_file_name_in_filter(spark: Any, F: Any, T: Any) -> Any:
    df = _read(spark, "parquet")
    return df.filter(F.input_file_name().endswith("people.parquet")).select("id")


@case()
def case_file_meta_input_file_name_after_aggregate(spark: Any, F: Any, T: Any) -> Any:
    df = _read(spark, "parquet").groupBy("name").count()
    return df.select("name", F.input_file_name(), F.input_file_block_start())


@case()
def case_file_meta_input_file_name_after_sort(spark: Any, F: Any, T: Any) -> Any:
    return _read(spark, "parquet").orderBy("id").select("id", F.input_file_name())


@case(kind="error")
def case_file_meta_input_file_name_self_join(spark: Any, F: Any, T: Any) -> Any:
    df = _read(spark, "parquet")
    return df.join(df.select("id"), "id").select(F.input_file_name())


@case()
def case_file_meta_input_file_name_select_expr(spark: Any, F: Any, T: Any) -> Any:
    df = _read(spark, "parquet")
    return df.selectExpr("id", "input_file_block_start()", "input_file_block_length()")


def _fields(spark: Any, F: Any, fmt: str) -> Any:
    return _read(spark, fmt).select(
        _relative(F, F.col("_metadata.file_path")).alias("file_path"),
        "_metadata.file_name",
        "_metadata.file_size",
        "_metadata.file_block_start",
        "_metadata.file_block_length",
        F.col("_metadata.file_modification_time").isNotNull().alias("has_time"),
    )


@case()
def case_file_meta_fields_parquet(spark: Any, F: Any, T: Any) -> Any:
    return _fields(spark, F, "parquet").withColumn("row_index", F.col("_metadata.row_index"))


@case()
def case_file_meta_fields_csv(spark: Any, F: Any, T: Any) -> Any:
    return _fields(spark, F, "csv")


@case()
def case_file_meta_fields_json(spark: Any, F: Any, T: Any) -> Any:
    return _fields(spark, F, "json")


@case()
def case_file_meta_fields_text(spark: Any, F: Any, T: Any) -> Any:
    return _fields(spark, F, "text")


@case()
def case_file_meta_fields_orc(spark: Any, F: Any, T: Any) -> Any:
    return _fields(spark, F, "orc")


@case()
def case_file_meta_fields_xml(spark: Any, F: Any, T: Any) -> Any:
    return _fields(spark, F, "xml")


@case()
def case_file_meta_modification_time(spark: Any, F: Any, T: Any) -> Any:
    millis = Path(_p("csv/people.csv")).stat().st_mtime_ns // 1_000_000
    df = spark.read.csv(_p("csv/people.csv"), header=True)
    time = F.col("_metadata.file_modification_time")
    return df.select("id", (F.unix_millis(time) == F.lit(millis)).alias("same"))


@case(kind="value")
def case_file_meta_struct_schema_parquet(spark: Any, F: Any, T: Any) -> Any:
    return _read(spark, "parquet").select("_metadata").schema.simpleString()


@case(kind="value")
def case_file_meta_struct_schema_csv(spark: Any, F: Any, T: Any) -> Any:
    return _read(spark, "csv").select("*", "_metadata").schema.simpleString()


@case(kind="value")
def case_file_meta_not_in_columns(spark: Any, F: Any, T: Any) -> Any:
    df = _read(spark, "parquet")
    return [df.columns, df.select("*").columns, df.select("*", "_metadata").columns]


@case()
def case_file_meta_through_projection(spark: Any, F: Any, T: Any) -> Any:
    df = _read(spark, "parquet").select("id").filter("id > 1")
    return df.select("id", "_metadata.file_name", "_metadata.file_size")


@case()
def case_file_meta_in_filter_and_group(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.csv(_p("csv"), header=True).filter(F.col("_metadata.file_size") > 0)
    return df.groupBy("_metadata.file_name").agg(F.count("*").alias("n"))


@case()
def case_file_meta_order_by(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.csv(_p("csv"), header=True)
    return df.orderBy(F.col("_metadata.file_name").desc(), "id").select("id", "name")


@case()
def case_file_meta_alias_qualified(spark: Any, F: Any, T: Any) -> Any:
    return _read(spark, "parquet").alias("t").select("t.id", "t._metadata.file_name")


@case()
def case_file_meta_select_expr(spark: Any, F: Any, T: Any) -> Any:
    return _read(spark, "parquet").selectExpr("id", "_metadata.file_size AS size")


@case()
def case_file_meta_getitem(spark: Any, F: Any, T: Any) -> Any:
    df = _read(spark, "parquet")
    return df.select(df["id"], df["_metadata.file_name"], df["_metadata"].file_size)


@case()
def case_file_meta_metadata_column(spark: Any, F: Any, T: Any) -> Any:
    df = _read(spark, "csv")
    meta = df.metadataColumn("_metadata")
    return df.select("id", meta.file_name, meta.getField("file_block_length"))


@case()
def case_file_meta_data_column_wins(spark: Any, F: Any, T: Any) -> Any:
    df = _read(spark, "csv").withColumnRenamed("name", "_metadata")
    return df.select("id", "_metadata", df.metadataColumn("_metadata").file_name)


@case(kind="error")
def case_file_meta_metadata_column_unknown(spark: Any, F: Any, T: Any) -> Any:
    return _read(spark, "csv").metadataColumn("nope")


@case(kind="error")
def case_file_meta_metadata_column_without_file(spark: Any, F: Any, T: Any) -> Any:
    return spark.createDataFrame([(1,)], "id int").metadataColumn("_metadata")


@case(kind="error")
def case_file_meta_without_file(spark: Any, F: Any, T: Any) -> Any:
    return spark.createDataFrame([(1,)], "id int").select("_metadata")


@case(kind="error")
def case_file_meta_after_aggregate(spark: Any, F: Any, T: Any) -> Any:
    return _read(spark, "csv").groupBy("name").count().select("_metadata")


@case()
def case_file_meta_partitions(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.csv(_p("parts"), schema="v int")
    return df.select("v", "k", _relative(F, F.col("_metadata.file_path")).alias("path"))


@case()
def case_file_meta_text_line_sep(spark: Any, F: Any, T: Any) -> Any:
    df = spark.read.text(_p("text_sep"), lineSep=",")
    return df.select("value", F.input_file_block_length())
