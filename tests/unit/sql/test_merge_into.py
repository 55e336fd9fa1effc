"""``df.mergeInto(table, condition)`` into a Delta table of the catalog, and Spark's errors
for tables that cannot be merged into."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaspar.errors import AnalysisException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> SparkSession:
    warehouse = tmp_path_factory.mktemp("warehouse")
    return SparkSession.builder.config("spark.sql.warehouse.dir", str(warehouse)).create()


def test_merge_into_a_delta_table(spark: SparkSession, tmp_path: Path) -> None:
    target = spark.createDataFrame([(14, "Tom"), (23, "Alice"), (99, "Gone")], ["id", "name"])
    target.write.format("delta").saveAsTable("people")
    source = spark.createDataFrame([(14, "Tommy"), (23, "Alice"), (16, "Bob")], ["id", "name"])
    (
        source.mergeInto("people", F.col("people.id") == source.id)
        .whenMatched(F.col("people.name") != source.name)
        .update({"name": source.name})
        .whenNotMatched()
        .insertAll()
        .whenNotMatchedBySource()
        .delete()
        .merge()
    )
    rows = [tuple(r) for r in spark.table("people").orderBy("id").collect()]
    assert rows == [(14, "Tommy"), (16, "Bob"), (23, "Alice")]


def test_tables_that_cannot_be_merged_into(spark: SparkSession) -> None:
    spark.range(3).write.saveAsTable("plain")
    with pytest.raises(AnalysisException) as refused:
        spark.range(1).mergeInto("plain", F.lit(True)).whenMatched().delete().merge()
    assert refused.value.getCondition() == "UNSUPPORTED_FEATURE.TABLE_OPERATION"
    with pytest.raises(AnalysisException) as missing:
        spark.range(1).mergeInto("nowhere", F.lit(True)).whenMatched().delete().merge()
    assert missing.value.getCondition() == "TABLE_OR_VIEW_NOT_FOUND"
