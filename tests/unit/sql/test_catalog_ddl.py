"""spark.catalog and Spark SQL's DDL/DML on the local warehouse, as PySpark's docs use them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kaspar.errors import AnalysisException
from kaspar.sql import SparkSession


@pytest.fixture
def spark(tmp_path: Path) -> Iterator[SparkSession]:
    session = (
        SparkSession.builder.config("spark.sql.warehouse.dir", str(tmp_path / "wh"))
        .config("spark.sql.session.timeZone", "UTC")
        .create()
    )
    yield session
    session.stop()


def test_create_insert_read_truncate_drop(spark: SparkSession) -> None:
    spark.sql("CREATE TABLE t1 (name STRING, age INT) USING csv")
    assert spark.table("t1").count() == 0
    assert spark.table("t1").dtypes == [("name", "string"), ("age", "int")]
    spark.sql("INSERT INTO t1 VALUES ('a', 1), ('b', 2)")
    spark.sql("INSERT INTO t1 SELECT 'c', 3")
    assert sorted(tuple(r) for r in spark.table("t1").collect()) == [
        ("a", 1),
        ("b", 2),
        ("c", 3),
    ]
    spark.sql("INSERT OVERWRITE TABLE t1 SELECT 'z', 26")
    assert [tuple(r) for r in spark.table("t1").collect()] == [("z", 26)]
    spark.catalog.truncateTable("t1")
    assert spark.table("t1").count() == 0
    assert spark.catalog.getTable("default.t1").tableType == "MANAGED"
    spark.sql("DROP TABLE t1")
    assert not spark.catalog.tableExists("spark_catalog.default.t1")
    with pytest.raises(AnalysisException) as info:
        spark.sql("CREATE TABLE t2 (a INT) USING parquet")
        spark.sql("CREATE TABLE t2 (a INT) USING parquet")
    assert info.value.getCondition() == "TABLE_OR_VIEW_ALREADY_EXISTS"


def test_partitioned_table_registers_and_recovers_partitions(
    spark: SparkSession, tmp_path: Path
) -> None:
    spark.sql("CREATE TABLE tp (id INT, p INT) USING parquet PARTITIONED BY (p)")
    spark.sql("INSERT INTO tp PARTITION (p = 1) SELECT 10")
    spark.sql("INSERT INTO tp VALUES (20, 2)")
    assert [p.partition for p in spark.catalog.listPartitions("tp")] == ["p=1", "p=2"]
    assert sorted(tuple(r) for r in spark.table("tp").collect()) == [(10, 1), (20, 2)]
    columns = spark.catalog.listColumns("tp")
    assert [(c.name, c.dataType, c.isPartition) for c in columns] == [
        ("id", "int", False),
        ("p", "int", True),
    ]
    data = tmp_path / "ext"
    spark.range(2).selectExpr("id AS key", "id * 10 AS value").write.partitionBy("key").csv(
        str(data)
    )
    spark.sql(
        f"CREATE TABLE ext (key LONG, value LONG) USING csv OPTIONS (path '{data}') "
        "PARTITIONED BY (key)"
    )
    assert spark.table("ext").columns == ["value", "key"]
    assert spark.table("ext").count() == 0  # partitions not registered yet, as in Spark
    spark.catalog.recoverPartitions("ext")
    assert sorted(tuple(r) for r in spark.table("ext").collect()) == [(0, 0), (10, 1)]
    assert spark.catalog.getTable("ext").tableType == "EXTERNAL"


def test_cached_table_is_served_until_refreshed(spark: SparkSession, tmp_path: Path) -> None:
    location = tmp_path / "text_table"
    spark.sql(f"CREATE TABLE tt (col STRING) USING TEXT LOCATION '{location}'")
    spark.sql("INSERT INTO tt SELECT 'abc'")
    assert [r.col for r in spark.table("tt").collect()] == ["abc"]
    spark.catalog.cacheTable("tt")
    assert spark.catalog.isCached("tt")
    for f in location.iterdir():
        f.unlink()
    assert spark.table("tt").count() == 1
    spark.catalog.refreshByPath(str(location))
    assert spark.table("tt").count() == 0
    spark.catalog.uncacheTable("tt")
    assert not spark.catalog.isCached("spark_catalog.default.tt")
    with pytest.raises(AnalysisException):
        spark.catalog.isCached("no_such_table")


def test_databases(spark: SparkSession) -> None:
    assert not spark.catalog.databaseExists("db1")
    spark.sql("CREATE DATABASE db1")
    assert spark.catalog.databaseExists("spark_catalog.db1")
    assert [d.name for d in spark.catalog.listDatabases("db*")] == ["db1"]
    spark.sql("CREATE TABLE db1.t (a INT) USING parquet")
    assert [t.name for t in spark.catalog.listTables("db1")] == ["t"]
    with pytest.raises(AnalysisException) as info:
        spark.sql("DROP DATABASE db1")
    assert info.value.getCondition() == "SCHEMA_NOT_EMPTY"
    spark.catalog.dropDatabase("db1", cascade=True)
    assert not spark.catalog.databaseExists("db1")
    assert spark.catalog.getDatabase("default").description == "default database"


def test_views_functions_and_show_tables(spark: SparkSession) -> None:
    spark.sql("CREATE VIEW v1 AS SELECT 1 AS c")
    spark.sql("CREATE TEMPORARY VIEW v2 AS SELECT 2 AS c")
    assert spark.catalog.getTable("v1").tableType == "VIEW"
    assert spark.catalog.tableExists("v1", "default")
    assert [v.name for v in spark.catalog.listViews()] == ["v1", "v2"]
    rows = spark.sql("SHOW TABLES").collect()
    assert [tuple(r) for r in rows] == [("default", "v1", False), ("", "v2", True)]
    spark.catalog.dropView("v1")
    assert not spark.catalog.tableExists("v1")
    assert [r.c for r in spark.sql("SELECT c FROM v2").collect()] == [2]
    spark.sql("CREATE FUNCTION f1 AS 'com.example.Avg'")
    found = spark.catalog.getFunction("spark_catalog.default.f1")
    assert (found.name, found.className, found.isTemporary) == ("f1", "com.example.Avg", False)
    assert spark.catalog.functionExists("count")
    assert not spark.catalog.functionExists("default.nope")
    assert all(f.name.startswith("to_") for f in spark.catalog.listFunctions(pattern="to_*"))


def test_insert_into_is_by_position(spark: SparkSession) -> None:
    spark.createDataFrame([(1, "a")], "age int, name string").write.saveAsTable("people")
    spark.createDataFrame([(2, "b")], "x int, y string").write.insertInto("people")
    assert sorted(tuple(r) for r in spark.table("people").collect()) == [(1, "a"), (2, "b")]


def test_properties_and_create_table_string(spark: SparkSession) -> None:
    spark.sql("CREATE TABLE tp2 (id INT) USING parquet TBLPROPERTIES ('k' = 'v')")
    assert spark.catalog.getTableProperties("tp2") == {"k": "v"}
    text = spark.catalog.getCreateTableString("tp2")
    assert text.startswith("CREATE TABLE spark_catalog.default.tp2 (\n  id INT)\nUSING parquet")
    spark.catalog.createTable("tp3", schema=spark.range(1).schema, source="json")
    assert spark.table("tp3").dtypes == [("id", "bigint")]


def test_empty_directory_reads_with_a_given_schema(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.read.schema("col0 INT, col1 DOUBLE").csv(str(tmp_path))
    assert df.dtypes == [("col0", "int"), ("col1", "double")]
    assert df.count() == 0
