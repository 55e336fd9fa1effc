"""The XML data source: laziness, error paths, and the file stream (engine/sources/xml_scan.py,
engine/sinks/xml_files.py)."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from kaspar.engine.sources import schema_cache
from kaspar.errors import (
    AnalysisException,
    IllegalArgumentException,
    PySparkException,
    SparkException,
)
from kaspar.sql import SparkSession
from kaspar.sql import functions as F

ROWS = "<rows><r id='1'><v>1</v></r><r id='2'><v>2</v></r></rows>"


@pytest.fixture(scope="module")
def spark() -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").create()
    yield session
    session.stop()


@pytest.fixture
def rows_file(tmp_path: Path) -> Path:
    path = tmp_path / "rows.xml"
    path.write_text(ROWS)
    return path


def test_read_with_schema_reads_no_file_until_an_action(
    spark: SparkSession, rows_file: Path
) -> None:
    df = spark.read.xml(str(rows_file), rowTag="r", schema="_id int, v long")
    rows_file.write_text("<rows><r id='7'><v>70</v></r></rows>")  # changed after read()
    assert [tuple(r) for r in df.collect()] == [(7, 70)]


def test_inferred_schema_is_cached_until_the_file_changes(
    spark: SparkSession, rows_file: Path
) -> None:
    schema_cache.clear()
    first = spark.read.xml(str(rows_file), rowTag="r")
    assert first.schema.simpleString() == "struct<_id:bigint,v:bigint>"
    rows_file.write_text("<rows><r id='x'><v>1.5</v></r></rows>")
    second = spark.read.xml(str(rows_file), rowTag="r")
    assert second.schema.simpleString() == "struct<_id:string,v:double>"


def test_row_tag_is_required(spark: SparkSession, rows_file: Path, tmp_path: Path) -> None:
    with pytest.raises(AnalysisException) as read:
        spark.read.format("xml").load(str(rows_file))
    assert read.value.getErrorClass() == "XML_ROW_TAG_MISSING"
    with pytest.raises(AnalysisException) as write:
        spark.range(1).write.format("xml").save(str(tmp_path / "out"))
    assert write.value.getErrorClass() == "XML_ROW_TAG_MISSING"
    assert not (tmp_path / "out").exists()


def test_bad_options_are_refused(spark: SparkSession, rows_file: Path, tmp_path: Path) -> None:
    with pytest.raises(IllegalArgumentException, match="samplingRatio"):
        spark.read.xml(str(rows_file), rowTag="r", samplingRatio=0)
    with pytest.raises(IllegalArgumentException, match="rowTag"):
        spark.read.xml(str(rows_file), rowTag=" ")
    with pytest.raises(IllegalArgumentException, match="Codec"):
        spark.range(1).write.xml(str(tmp_path / "o"), rowTag="r", compression="zstd-ish")


def test_corrupt_record_column_must_be_a_nullable_string(
    spark: SparkSession, rows_file: Path
) -> None:
    with pytest.raises(AnalysisException, match="corrupt records must be string"):
        spark.read.xml(str(rows_file), rowTag="r", schema="v long, _corrupt_record int")


def test_failfast_names_the_file(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text("<rows><r><v>x</v></r></rows>")
    df = spark.read.xml(str(path), rowTag="r", schema="v long", mode="FAILFAST")
    with pytest.raises(SparkException, match=r"bad\.xml") as failed:
        df.collect()
    assert failed.value.getErrorClass() == "FAILED_READ_FILE.NO_HINT"


def test_map_columns_cannot_be_written(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.range(1).select(F.create_map(F.lit("k"), F.col("id")).alias("m"))
    with pytest.raises(AnalysisException) as failed:
        df.write.xml(str(tmp_path / "maps"), rowTag="r")
    assert failed.value.getErrorClass() == "UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE"


def test_save_modes(spark: SparkSession, tmp_path: Path) -> None:
    target = str(tmp_path / "out")
    df = spark.createDataFrame([(1, "a")], "i int, s string")
    df.write.xml(target, rowTag="r")
    with pytest.raises(AnalysisException, match="already exists"):
        df.write.xml(target, rowTag="r")
    df.write.mode("append").xml(target, rowTag="r")
    df.write.mode("ignore").xml(target, rowTag="r")
    assert spark.read.xml(target, rowTag="r").count() == 2
    df.write.mode("overwrite").xml(target, rowTag="r")
    assert spark.read.xml(target, rowTag="r").count() == 1


def test_gzip_files_are_read(spark: SparkSession, tmp_path: Path) -> None:
    path = tmp_path / "rows.xml.gz"
    path.write_bytes(gzip.compress(ROWS.encode()))
    assert [tuple(r) for r in spark.read.xml(str(path), rowTag="r").collect()] == [(1, 1), (2, 2)]


def test_file_stream(spark: SparkSession, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.xml").write_text(ROWS)
    with pytest.raises(AnalysisException, match="rowTag"):
        spark.readStream.format("xml").schema("v long").load(str(inbox))
    stream = spark.readStream.xml(str(inbox), rowTag="r", schema="_id int, v long")
    query = stream.writeStream.format("memory").queryName("xml_stream").start()
    try:
        query.processAllAvailable()
        (inbox / "b.xml").write_text("<rows><r id='3'><v>30</v></r></rows>")
        query.processAllAvailable()
        rows = sorted(tuple(r) for r in spark.table("xml_stream").collect())
    finally:
        query.stop()
    assert rows == [(1, 1), (2, 2), (3, 30)]


def test_read_of_a_dataframe_needs_a_row_tag(spark: SparkSession) -> None:
    docs = spark.createDataFrame([("<p><a>1</a></p>",)], "value string")
    with pytest.raises(PySparkException, match="rowTag"):
        spark.read.xml(docs)
    assert [tuple(r) for r in spark.read.xml(docs, rowTag="p").collect()] == [(1,)]


def test_records_before_a_syntax_error_past_the_first_chunk(
    spark: SparkSession, tmp_path: Path
) -> None:
    good = "".join(f"<r><v>{i}</v></r>" for i in range(5000))  # more than one 64 KiB chunk
    for name, root in (("plain.xml", "<rows>"), ("spaced.xml", '<rows xmlns:h="urn:h">')):
        path = tmp_path / name
        path.write_text(f"{root}{good}<r><v>1<x></v></r><r><v>7</v></r></rows>")
        df = spark.read.xml(str(path), rowTag="r", schema="v long, _corrupt_record string")
        counts = df.selectExpr("count(v)", "count(_corrupt_record)", "max(v)").first()
        assert tuple(counts) == (5000, 1, 4999)
