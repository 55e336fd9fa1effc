"""The seed's Delta Lake snippet (write, read, time travel, MERGE upsert) runs on kaspar.

The snippet is the seed's text with only the imports changed and ``/data/events`` replaced by a
temporary path; ``df`` and ``updates`` are the DataFrames the seed assumes exist.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from kaspar.delta.tables import DeltaTable
from kaspar.sql import SparkSession


def test_seed_delta_snippet(tmp_path: Path) -> None:
    spark = SparkSession.builder.getOrCreate()
    events = str(tmp_path / "events")
    df = spark.createDataFrame([(1, "click"), (2, "view"), (3, "buy")], "id long, action string")
    updates = spark.createDataFrame([(2, "refund"), (4, "view")], "id long, action string")
    for _ in range(3):  # versions 0..2; the seed's own write is version 3 (its versionAsOf)
        df.write.format("delta").mode("overwrite").save(events)

    # --- the seed, with its path replaced ---------------------------------------------------
    df.write.format("delta").mode("overwrite").save(events)
    # Read
    df = spark.read.format("delta").load(events)
    # Time travel
    df_old = spark.read.format("delta").option("versionAsOf", 3).load(events)
    # UPSERT (MERGE)
    deltaTable = DeltaTable.forPath(spark, events)
    deltaTable.alias("target").merge(
        updates.alias("source"), "target.id = source.id"
    ).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
    # ------------------------------------------------------------------------------------------

    assert sorted(tuple(r) for r in df_old.collect()) == [(1, "click"), (2, "view"), (3, "buy")]
    merged = spark.read.format("delta").load(events).orderBy("id").collect()
    assert [tuple(r) for r in merged] == [(1, "click"), (2, "refund"), (3, "buy"), (4, "view")]
    assert deltaTable.history().count() == 5


SEED_AS_WRITTEN = """
import kaspar
kaspar.activate()
from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
df = spark.createDataFrame([(1, "a"), (2, "b")], "id long, v string")
updates = spark.createDataFrame([(2, "B"), (3, "C")], "id long, v string")
df.write.format("delta").save("{path}")
df = spark.read.format("delta").load("{path}")
# UPSERT (MERGE)
from delta.tables import DeltaTable
deltaTable = DeltaTable.forPath(spark, "{path}")
deltaTable.alias("target").merge(
updates.alias("source"),
"target.id = source.id"
).whenMatchedUpdateAll().whenNotMatchedInsertAll().execute()
print(sorted(tuple(r) for r in spark.read.format("delta").load("{path}").collect()))
"""


def test_seed_with_unchanged_delta_import(tmp_path: Path) -> None:
    """``from delta.tables import DeltaTable`` works after ``kaspar.activate()``."""
    script = textwrap.dedent(SEED_AS_WRITTEN).format(path=tmp_path / "events")
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[(1, 'a'), (2, 'B'), (3, 'C')]"
