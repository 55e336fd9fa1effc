"""Delta's change data feed: ``format("delta").option("readChangeFeed", "true")`` and Spark
4.2's ``spark.read.changes(table)``, read lazily."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaspar.delta.tables import DeltaTable
from kaspar.errors import AnalysisException
from kaspar.sql import SparkSession


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> SparkSession:
    warehouse = tmp_path_factory.mktemp("warehouse")
    return SparkSession.builder.config("spark.sql.warehouse.dir", str(warehouse)).create()


def test_change_feed_of_a_path(spark: SparkSession, tmp_path: Path) -> None:
    path = str(tmp_path / "t")
    first = spark.createDataFrame([(1, "a"), (2, "b")], "id long, v string")
    first.write.format("delta").option("delta.enableChangeDataFeed", "true").save(path)
    spark.createDataFrame([(3, "c")], "id long, v string").write.format("delta").mode(
        "append"
    ).save(path)
    DeltaTable.forPath(spark, path).delete("id = 1")
    changes = spark.read.format("delta").option("readChangeFeed", "true")
    df = changes.option("startingVersion", 1).load(path)
    assert df.columns == ["id", "v", "_change_type", "_commit_version", "_commit_timestamp"]
    rows = sorted((r.id, r._change_type, r._commit_version) for r in df.collect())
    assert rows == [(1, "delete", 2), (3, "insert", 1)]
    with pytest.raises(AnalysisException, match="DELTA_NO_START_FOR_CDC_READ"):
        spark.read.format("delta").option("readChangeFeed", "true").load(path)


def test_changes_of_a_catalog_table(spark: SparkSession) -> None:
    df = spark.createDataFrame([(1,), (2,)], "id long")
    df.write.format("delta").option("delta.enableChangeDataFeed", "true").saveAsTable("feed")
    spark.createDataFrame([(5,)], "id long").write.format("delta").mode("append").saveAsTable(
        "feed"
    )
    changes = spark.read.option("startingVersion", 0).changes("feed")
    assert sorted((r.id, r._commit_version) for r in changes.collect()) == [(1, 0), (2, 0), (5, 1)]
    with pytest.raises(AnalysisException) as missing:
        spark.read.option("startingVersion", 0).changes("nowhere")
    assert missing.value.getCondition() == "TABLE_OR_VIEW_NOT_FOUND"


def test_change_feed_as_a_stream(spark: SparkSession, tmp_path: Path) -> None:
    df = spark.createDataFrame([(1,), (2,)], "id long")
    df.write.format("delta").option("delta.enableChangeDataFeed", "true").saveAsTable("events")

    def run() -> list[tuple[int, str, int]]:
        query = (
            spark.readStream.changes("events")
            .writeStream.format("memory")
            .queryName("event_changes")
            .option("checkpointLocation", str(tmp_path / "cp"))
            .trigger(availableNow=True)
            .start()
        )
        query.awaitTermination()
        rows = spark.sql("SELECT id, _change_type, _commit_version FROM event_changes")
        return sorted(tuple(r) for r in rows.collect())

    assert run() == [(1, "insert", 0), (2, "insert", 0)]
    spark.createDataFrame([(3,)], "id long").write.format("delta").mode("append").saveAsTable(
        "events"
    )
    location = str(spark.catalog._warehouse.location("events"))
    DeltaTable.forPath(spark, location).delete("id = 1")
    assert run() == [(1, "delete", 2), (3, "insert", 1)]  # the restarted query: only new ones
