"""Delta Lake through kaspar: writer modes, time travel, partitioning, DeltaTable operations.

Tables are checked independently with deltalake and DuckDB, not only through kaspar.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from deltalake import DeltaTable as DeltaLakeTable

from kaspar.delta.tables import DeltaTable
from kaspar.errors import AnalysisException, IllegalArgumentException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F


@pytest.fixture
def spark(tmp_path: Path) -> Iterator[SparkSession]:
    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    session.conf.set("spark.sql.warehouse.dir", str(tmp_path / "warehouse"))
    yield session
    session.conf.unset("spark.sql.warehouse.dir")


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "events")


def rows(df) -> list[tuple]:  # type: ignore[no-untyped-def]
    return sorted(tuple(r) for r in df.collect())


def people(spark: SparkSession, *data: tuple[int, str, int]):  # type: ignore[no-untyped-def]
    return spark.createDataFrame(list(data), "id long, name string, age int")


def test_write_append_overwrite_and_modes(spark: SparkSession, path: str) -> None:
    people(spark, (1, "ann", 30)).write.format("delta").save(path)
    people(spark, (2, "bob", 40)).write.format("delta").mode("append").save(path)
    assert rows(spark.read.format("delta").load(path)) == [(1, "ann", 30), (2, "bob", 40)]
    with pytest.raises(AnalysisException, match="DELTA_PATH_EXISTS"):
        people(spark, (3, "cid", 50)).write.format("delta").save(path)
    people(spark, (3, "cid", 50)).write.format("delta").mode("ignore").save(path)
    assert spark.read.format("delta").load(path).count() == 2
    people(spark, (4, "dan", 60)).write.format("delta").mode("overwrite").save(path)
    assert rows(spark.read.format("delta").load(path)) == [(4, "dan", 60)]
    independent = DeltaLakeTable(path)
    assert independent.version() == 2
    assert independent.to_pyarrow_table().to_pylist() == [{"id": 4, "name": "dan", "age": 60}]
    schema = spark.read.format("delta").load(path).schema.simpleString()
    assert schema == "struct<id:bigint,name:string,age:int>"


def test_version_as_of(spark: SparkSession, path: str) -> None:
    people(spark, (1, "ann", 30)).write.format("delta").save(path)
    people(spark, (2, "bob", 40)).write.format("delta").mode("append").save(path)
    people(spark, (3, "cid", 50)).write.format("delta").mode("overwrite").save(path)
    read = spark.read.format("delta")
    assert rows(read.option("versionAsOf", 0).load(path)) == [(1, "ann", 30)]
    assert rows(read.option("versionAsOf", "1").load(path)) == [(1, "ann", 30), (2, "bob", 40)]
    assert rows(spark.read.format("delta").load(path)) == [(3, "cid", 50)]
    with pytest.raises(AnalysisException, match="Cannot time travel Delta table to version 7"):
        spark.read.format("delta").option("versionAsOf", 7).load(path)


def test_timestamp_as_of(spark: SparkSession, path: str) -> None:
    people(spark, (1, "ann", 30)).write.format("delta").save(path)
    time.sleep(0.05)
    between = dt.datetime.now(dt.UTC)
    time.sleep(0.05)
    people(spark, (2, "bob", 40)).write.format("delta").mode("append").save(path)
    stamp = between.replace(tzinfo=None).isoformat(sep=" ")  # session time zone is UTC
    old = spark.read.format("delta").option("timestampAsOf", stamp).load(path)
    assert rows(old) == [(1, "ann", 30)]
    with pytest.raises(AnalysisException, match="before the earliest version"):
        spark.read.format("delta").option("timestampAsOf", "2000-01-01").load(path)
    with pytest.raises(AnalysisException, match="after the latest version"):
        spark.read.format("delta").option("timestampAsOf", "2999-01-01").load(path)
    both = spark.read.format("delta").option("versionAsOf", 0).option("timestampAsOf", stamp)
    with pytest.raises(AnalysisException, match="Cannot specify both version and timestamp"):
        both.load(path)


def test_partition_by(spark: SparkSession, path: str) -> None:
    df = spark.createDataFrame(
        [(1, "eu", 1.5), (2, "us", 2.5), (3, "eu", 3.5)], "id long, region string, x double"
    )
    df.write.format("delta").partitionBy("region").save(path)
    assert sorted(p.name for p in Path(path).iterdir() if p.name.startswith("region=")) == [
        "region=eu",
        "region=us",
    ]
    assert DeltaLakeTable(path).metadata().partition_columns == ["region"]
    eu = spark.read.format("delta").load(path).where(F.col("region") == "eu")
    assert sorted(r.id for r in eu.collect()) == [1, 3]
    con = duckdb.connect()
    con.register("events", DeltaLakeTable(path).to_pyarrow_dataset())
    total = con.sql("SELECT sum(x) AS s FROM events").fetchall()
    assert total == [(7.5,)]


def test_not_a_delta_table(spark: SparkSession, tmp_path: Path) -> None:
    with pytest.raises(AnalysisException, match="is not a Delta table"):
        spark.read.format("delta").load(str(tmp_path / "nothing"))
    with pytest.raises(AnalysisException, match="DELTA_MISSING_DELTA_TABLE"):
        DeltaTable.forPath(spark, str(tmp_path / "nothing"))
    assert not DeltaTable.isDeltaTable(spark, str(tmp_path / "nothing"))


def test_merge_upsert_with_clauses(spark: SparkSession, path: str) -> None:
    people(spark, (1, "ann", 30), (2, "bob", 40), (3, "cid", 50)).write.format("delta").save(path)
    updates = people(spark, (2, "bob", 41), (3, "cid", 0), (4, "dan", 20), (5, "eve", 5))
    table = DeltaTable.forPath(spark, path)
    (
        table.alias("t")
        .merge(updates.alias("s"), "t.id = s.id")
        .whenMatchedDelete(condition="s.age = 0")
        .whenMatchedUpdate(set={"age": "s.age", "name": F.upper(F.col("s.name"))})
        .whenNotMatchedInsert(
            condition=F.col("s.age") > 10,
            values={"id": "s.id", "name": "s.name", "age": "s.age + 100"},
        )
        .execute()
    )
    assert rows(table.toDF()) == [(1, "ann", 30), (2, "BOB", 41), (4, "dan", 120)]


def test_merge_with_column_condition_and_insert_all(spark: SparkSession, path: str) -> None:
    people(spark, (1, "ann", 30)).write.format("delta").save(path)
    updates = people(spark, (1, "ann", 31), (2, "bob", 40))
    table = DeltaTable.forPath(spark, path)
    condition = F.col("target.id") == updates["id"]
    metrics = (
        table.alias("target")
        .merge(updates, condition)
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )
    assert metrics.first().num_affected_rows == 2
    assert rows(table.toDF()) == [(1, "ann", 31), (2, "bob", 40)]


def test_merge_errors(spark: SparkSession, path: str) -> None:
    people(spark, (1, "ann", 30)).write.format("delta").save(path)
    table = DeltaTable.forPath(spark, path).alias("t")
    src = people(spark, (1, "x", 1)).alias("s")
    with pytest.raises(AnalysisException, match="UNRESOLVED_COLUMN"):
        table.merge(src, "t.id = s.nope")
    with pytest.raises(AnalysisException, match="AMBIGUOUS_REFERENCE"):
        table.merge(src, "id = id")
    with pytest.raises(AnalysisException, match="subqueries"):
        table.merge(src, "t.id IN (SELECT 1)")
    with pytest.raises(AnalysisException, match="aggregate functions"):
        table.merge(src, "t.id = max(s.id)")


def test_update_delete_and_history(spark: SparkSession, path: str) -> None:
    people(spark, (1, "ann", 30), (2, "bob", 40), (3, "cid", 50)).write.format("delta").save(path)
    table = DeltaTable.forPath(spark, path)
    table.update(condition="age >= 40", set={"age": "age + 1"})
    table.update(F.col("name") == "ann", {"name": F.lit("ANN")})
    table.delete("id = 3")
    assert rows(table.toDF()) == [(1, "ANN", 30), (2, "bob", 41)]
    history = table.history()
    assert [r.version for r in history.collect()] == [3, 2, 1, 0]
    assert [r.operation for r in history.collect()] == ["DELETE", "UPDATE", "UPDATE", "WRITE"]
    assert history.schema["timestamp"].dataType.simpleString() == "timestamp"
    assert table.history(1).count() == 1
    table.delete()
    assert table.toDF().count() == 0


def test_vacuum_and_optimize(spark: SparkSession, path: str) -> None:
    for i in range(3):
        people(spark, (i, "p", i)).write.format("delta").mode("append").save(path)
    table = DeltaTable.forPath(spark, path)
    result = table.optimize().executeCompaction().first()
    assert result.metrics.numFilesRemoved == 3
    assert result.metrics.numFilesAdded == 1
    with pytest.raises(IllegalArgumentException, match="low retention period"):
        table.vacuum(0)
    spark.conf.set("spark.databricks.delta.retentionDurationCheck.enabled", "false")
    try:
        table.vacuum(0)
    finally:
        spark.conf.unset("spark.databricks.delta.retentionDurationCheck.enabled")
    parquet_files = list(Path(path).glob("*.parquet"))
    assert len(parquet_files) == 1
    assert table.toDF().count() == 3


def test_save_as_table_and_spark_table(spark: SparkSession) -> None:
    people(spark, (1, "ann", 30)).write.format("delta").saveAsTable("folks")
    people(spark, (2, "bob", 40)).write.mode("append").saveAsTable("folks")
    assert rows(spark.table("folks")) == [(1, "ann", 30), (2, "bob", 40)]
    assert spark.sql("SELECT count(*) AS n FROM folks").first().n == 2
    with pytest.raises(AnalysisException, match="TABLE_OR_VIEW_ALREADY_EXISTS"):
        people(spark, (3, "cid", 50)).write.saveAsTable("folks")
    assert spark.catalog.tableExists("folks")
    assert DeltaTable.forName(spark, "folks").history().count() == 2
    people(spark, (5, "eve", 5)).write.saveAsTable("plain")
    location = Path(spark.conf.get("spark.sql.warehouse.dir")) / "plain"
    assert not (location / "_delta_log").exists()
    assert rows(spark.table("plain")) == [(5, "eve", 5)]
    people(spark, (6, "fay", 6)).write.mode("overwrite").saveAsTable("plain")
    assert rows(spark.read.table("plain")) == [(6, "fay", 6)]
    assert {t.name for t in spark.catalog.listTables()} >= {"folks", "plain"}


def test_idempotent_write_with_txn_options(spark: SparkSession, path: str) -> None:
    df = people(spark, (1, "ann", 30))
    for _ in range(2):
        df.write.format("delta").mode("append").option("txnAppId", "app").option(
            "txnVersion", 7
        ).save(path)
    assert spark.read.format("delta").load(path).count() == 1
    assert DeltaLakeTable(path).transaction_version("app") == 7
