"""File-source metadata without PySpark: ``input_file_name()`` and its block functions, the
hidden ``_metadata`` column, ``metadataColumn``, and that none of it costs a plain read."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from pyarrow import parquet

from kaspar.engine.plan import logical as L
from kaspar.errors import AnalysisException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


def _scans(plan: L.LogicalPlan) -> list[L.Scan]:
    found = [plan] if isinstance(plan, L.Scan) else []
    for child in plan.children:
        found += _scans(child)
    return found


def _csv(tmp_path: Path) -> Path:
    (tmp_path / "a.csv").write_text("id\n1\n2\n")
    (tmp_path / "b.csv").write_text("id\n3\n")
    return tmp_path


def test_plain_read_builds_no_file_column(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.read.csv(str(_csv(tmp_path)), header=True)
    assert sorted(r.id for r in df.filter(F.col("id") > F.lit("1")).collect()) == ["2", "3"]
    assert all(not scan._file_scans for scan in _scans(df.plan))
    assert "__kaspar_file" not in spark._executor._prepare(df.plan)[0]  # type: ignore[attr-defined]


def test_file_name_per_file(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.read.csv(str(_csv(tmp_path)), header=True)
    rows = df.select("id", F.input_file_name(), F.input_file_block_length()).collect()
    by_id = {r[0]: (r[1], r[2]) for r in rows}
    assert by_id["1"] == ((tmp_path / "a.csv").as_uri(), 7)
    assert by_id["3"] == ((tmp_path / "b.csv").as_uri(), 5)


def test_metadata_is_hidden_and_not_null(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.read.csv(str(_csv(tmp_path)), header=True)
    assert df.columns == ["id"]
    assert df.select("*").columns == ["id"]
    selected = df.select("_metadata", "_metadata.file_size")
    assert [f.nullable for f in selected.schema.fields] == [False, False]
    struct = selected.schema.fields[0].dataType
    assert [f.nullable for f in struct.fields] == [False] * 6  # type: ignore[attr-defined]
    assert {r.file_size for r in selected.collect()} == {7, 5}


def test_parquet_row_index_with_schema(spark: SparkSession, tmp_path: Path) -> None:
    parquet.write_table(pa.table({"x": [10, 20, 30]}), str(tmp_path / "p.parquet"))
    df = spark.read.schema("x long").parquet(str(tmp_path))
    rows = df.select("x", "_metadata.row_index", "_metadata.file_name").collect()
    assert [tuple(r) for r in rows] == [
        (10, 0, "p.parquet"),
        (20, 1, "p.parquet"),
        (30, 2, "p.parquet"),
    ]


def test_partitioned_parquet(spark: SparkSession, tmp_path: Path) -> None:
    for key, values in (("a", [1, 2]), ("b", [3])):
        (tmp_path / f"k={key}").mkdir()
        parquet.write_table(pa.table({"x": values}), str(tmp_path / f"k={key}" / "part.parquet"))
    df = spark.read.parquet(str(tmp_path))
    rows = df.select("x", "k", "_metadata.row_index", F.input_file_name()).collect()
    assert sorted((r[0], r[1], r[2], r[3].endswith(f"k={r[1]}/part.parquet")) for r in rows) == [
        (1, "a", 0, True),
        (2, "a", 1, True),
        (3, "b", 0, True),
    ]


def test_xml_and_multiline_json(spark: SparkSession, tmp_path: Path) -> None:
    (tmp_path / "r.xml").write_text("<rows><r><i>1</i></r><r><i>2</i></r></rows>")
    xml = spark.read.xml(str(tmp_path / "r.xml"), rowTag="r")
    assert {r[0] for r in xml.select("_metadata.file_name").collect()} == {"r.xml"}
    (tmp_path / "j.json").write_text('[{"i": 1}, {"i": 2}]')
    js = spark.read.json(str(tmp_path / "j.json"), multiLine=True)
    assert [r[1] for r in js.select("i", F.input_file_block_start()).collect()] == [0, 0]


def test_text_line_separator(spark: SparkSession, tmp_path: Path) -> None:
    (tmp_path / "t.txt").write_text("a,b\n,,c,")
    rows = spark.read.text(str(tmp_path / "t.txt"), lineSep=",").collect()
    assert [r.value for r in rows] == ["a", "b\n", "", "c"]


def test_without_file(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1,)], "id int")
    row = df.select(F.input_file_name(), F.input_file_block_start()).first()
    assert row is not None and tuple(row) == ("", -1)
    with pytest.raises(AnalysisException) as info:
        df.select("_metadata").collect()
    assert info.value.getCondition() == "UNRESOLVED_COLUMN.WITH_SUGGESTION"
    with pytest.raises(AnalysisException) as info:
        df.metadataColumn("_metadata")
    assert info.value.getCondition() == "UNRESOLVED_COLUMN.WITHOUT_SUGGESTION"


def test_metadata_column_errors_and_precedence(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.read.csv(str(_csv(tmp_path)), header=True)
    with pytest.raises(AnalysisException) as info:
        df.metadataColumn("nope")
    assert info.value.getCondition() == "UNRESOLVED_COLUMN.WITH_SUGGESTION"
    assert "`_metadata`" in str(info.value)
    renamed = df.withColumnRenamed("id", "_metadata")
    rows = renamed.select("_metadata", renamed.metadataColumn("_metadata").file_size).collect()
    assert sorted(tuple(r) for r in rows) == [("1", 7), ("2", 7), ("3", 5)]


def test_two_file_sources_fail(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.read.csv(str(_csv(tmp_path)), header=True)
    with pytest.raises(AnalysisException) as info:
        df.join(df.select("id"), "id").select(F.input_file_name()).collect()
    assert info.value.getCondition() == "MULTI_SOURCES_UNSUPPORTED_FOR_EXPRESSION"


def test_past_exchange(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.read.csv(str(_csv(tmp_path)), header=True)
    after_sort = df.orderBy("id").select(F.input_file_name(), "_metadata.file_name").collect()
    assert {tuple(r) for r in after_sort} == {("", "a.csv"), ("", "b.csv")}
    grouped = df.groupBy("id").count().select(F.input_file_block_length()).collect()
    assert {r[0] for r in grouped} == {-1}
    with pytest.raises(AnalysisException):
        df.groupBy("id").count().select("_metadata").collect()
