"""Error paths (and a few values) of SQL on files, file metadata in SQL text, and hashing maps,
without PySpark."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from pyarrow import parquet

from kaspar.errors import AnalysisException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


@pytest.fixture
def path(tmp_path: Path) -> str:
    file = tmp_path / "x.parquet"
    parquet.write_table(pa.table({"id": pa.array([1, 2], pa.int32())}), str(file))
    return str(file)


def _condition(e: pytest.ExceptionInfo[AnalysisException]) -> str | None:
    return e.value.getCondition()


def test_sql_on_file_with_metadata(spark: SparkSession, path: str) -> None:
    df = spark.sql(f"SELECT *, _metadata.file_name, input_file_block_start() FROM parquet.`{path}`")
    assert df.columns == ["id", "file_name", "input_file_block_start()"]
    assert [tuple(r) for r in df.orderBy("id").collect()] == [
        (1, "x.parquet", 0),
        (2, "x.parquet", 0),
    ]


def test_sql_star_leaves_the_hidden_column_out(spark: SparkSession, path: str) -> None:
    df = spark.sql(f"SELECT * FROM (SELECT * FROM parquet.`{path}`) WHERE _metadata.file_size > 0")
    assert df.columns == ["id"]


def test_sql_file_function_past_limit_reads_no_file(spark: SparkSession, path: str) -> None:
    df = spark.sql(f"SELECT input_file_name() AS f FROM (SELECT * FROM parquet.`{path}` LIMIT 1)")
    assert [r.f for r in df.collect()] == [""]


@pytest.mark.parametrize(
    ("query", "condition"),
    [
        ("SELECT * FROM parquet.`{dir}/nope`", "PATH_NOT_FOUND"),
        ("SELECT * FROM nosuch.`{path}`", "TABLE_OR_VIEW_NOT_FOUND"),
        ("SELECT _metadata.nope FROM parquet.`{path}`", "FIELD_NOT_FOUND"),
        ("SELECT max(input_file_name()) FROM parquet.`{path}`", None),
        (
            "SELECT input_file_name() FROM parquet.`{path}` a "
            "JOIN parquet.`{path}` b ON a.id = b.id",
            "MULTI_SOURCES_UNSUPPORTED_FOR_EXPRESSION",
        ),
        ("SELECT _metadata FROM (SELECT id, count(*) FROM parquet.`{path}` GROUP BY id)", None),
    ],
)
def test_sql_on_file_errors(
    spark: SparkSession, path: str, query: str, condition: str | None
) -> None:
    with pytest.raises(AnalysisException) as e:
        spark.sql(query.format(path=path, dir=str(Path(path).parent))).collect()
    if condition is not None:
        assert _condition(e) == condition


def test_metadata_over_temp_view_is_unresolved(spark: SparkSession, path: str) -> None:
    spark.read.parquet(path).createOrReplaceTempView("misc_gaps_unit")
    with pytest.raises(AnalysisException) as e:
        spark.sql("SELECT _metadata.file_name FROM misc_gaps_unit")
    assert (_condition(e) or "").startswith("UNRESOLVED_COLUMN")
    df = spark.sql("SELECT input_file_block_length() > 0 AS b FROM misc_gaps_unit")
    assert [r.b for r in df.collect()] == [True, True]


def test_aggregate_of_file_function_refused(spark: SparkSession, path: str) -> None:
    with pytest.raises(AnalysisException) as e:
        spark.read.parquet(path).select(F.max(F.input_file_name())).collect()
    assert _condition(e) == "AGGREGATE_FUNCTION_WITH_NONDETERMINISTIC_EXPRESSION"


@pytest.mark.parametrize(
    "expression",
    ["hash(m)", "xxhash64(1, m)", "xxhash64(named_struct('a', m))", "hash(array(m))"],
)
def test_hash_of_map_refused(spark: SparkSession, expression: str) -> None:
    df = spark.sql("SELECT map(1, 2) AS m")
    with pytest.raises(AnalysisException) as e:
        df.selectExpr(expression).collect()
    assert _condition(e) == "DATATYPE_MISMATCH.HASH_MAP_TYPE"


def test_hash_without_map_still_runs(spark: SparkSession) -> None:
    assert spark.sql("SELECT xxhash64('a') AS h").collect()[0].h == -8582455328737087284
    with pytest.raises(AnalysisException) as e:
        spark.sql("SELECT hash() AS h").collect()
    assert _condition(e) == "WRONG_NUM_ARGS.WITHOUT_SUGGESTION"


def test_substring_index_in_sql_text(spark: SparkSession) -> None:
    df = spark.sql(
        "SELECT substring_index(s, d, n) AS r FROM VALUES ('a.b.c', '.', 2), ('a.b.c', '.', -1), "
        "('a.b.c', '', 1), ('a::b', '::', 1) AS t(s, d, n)"
    )
    assert [r.r for r in df.collect()] == ["a.b", "c", "", "a"]
