"""``lastProgress`` / ``recentProgress`` have the fields of PySpark's, with the same types.

The same query runs on kaspar and on PySpark 4 (a file source, one file per batch,
``availableNow``, memory sink): a stateless projection, and a watermarked window aggregation
(``eventTime``, ``stateOperators``). For every batch both engines ran, the progress' JSON
(``json`` and ``prettyJson``) and its dict form (``StreamingQueryProgress`` is a dict with
attributes, and so are its parts) must have the same keys, recursively, and values of the same
types. Values themselves (ids, times, durations, rates) are not compared. The Kafka source is
left out: Spark's Kafka connector is not on the classpath of the offline PySpark.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Build = Callable[[Any, Any, str], Any]
SCHEMA = "k int, v int, ts timestamp"


def write_files(directory: Path, count: int) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        rows = [
            {"k": i % 2, "v": n * 10 + i, "ts": f"2024-01-01 10:0{n}:{i * 10:02d}"}
            for i in range(4)
        ]
        path = directory / f"part-{n:03d}.json"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        os.utime(path, (1_700_000_000 + n, 1_700_000_000 + n))


def stateless(spark: Any, F: Any, src: str) -> Any:
    events = spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(src)
    return events.filter(F.col("v") > 1).select("k", (F.col("v") * 2).alias("w"))


def stateful(spark: Any, F: Any, src: str) -> Any:
    events = spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(src)
    return (
        events.withWatermark("ts", "1 minute")
        .groupBy(F.window("ts", "1 minute"), "k")
        .agg(F.count("*").alias("n"), F.sum("v").alias("total"))
    )


def run(spark: Any, F: Any, build: Build, work: Path, name: str) -> Any:
    write_files(work / "in", 3)
    query = (
        build(spark, F, str(work / "in"))
        .writeStream.format("memory")
        .queryName(name)
        .outputMode("update")
        .option("checkpointLocation", str(work / "ckpt"))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    return query


def shape(value: Any) -> Any:
    """Keys and value types, recursively (lists: the shape of each item)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def dict_shape(value: Any) -> Any:
    """The dict form's shape: like ``shape``, with each part's class name."""
    if isinstance(value, dict):
        fields = {key: dict_shape(item) for key, item in dict.items(value)}
        return {"__class__": type(value).__name__, **fields}
    if isinstance(value, list):
        return [dict_shape(item) for item in value]
    return type(value).__name__


def by_batch(query: Any) -> dict[int, Any]:
    return {p.batchId: p for p in query.recentProgress}


@pytest.mark.parametrize("build", [stateless, stateful], ids=["stateless", "stateful"])
def test_progress_has_sparks_fields_and_types(
    pyspark_streaming: tuple[Any, Any],
    kaspar_streaming: tuple[Any, Any],
    tmp_path: Path,
    build: Build,
) -> None:
    engines = {"pyspark": pyspark_streaming, "kaspar": kaspar_streaming}
    progress: dict[str, dict[int, Any]] = {}
    last: dict[str, Any] = {}
    for engine, (spark, F) in engines.items():
        query = run(spark, F, build, tmp_path / engine, f"progress_{build.__name__}_{engine}")
        progress[engine] = by_batch(query)
        last[engine] = query.lastProgress
    assert sorted(progress["kaspar"]) == sorted(progress["pyspark"])
    assert last["kaspar"].batchId == last["pyspark"].batchId
    for batch_id, spark_progress in progress["pyspark"].items():
        ours = progress["kaspar"][batch_id]
        assert shape(json.loads(ours.json)) == shape(json.loads(spark_progress.json)), batch_id
        assert json.loads(ours.prettyJson) == json.loads(ours.json)
        assert ours.prettyJson.startswith("{\n    ")
        assert dict_shape(ours) == dict_shape(spark_progress), batch_id
        attributes = ("id", "runId", "batchId", "sources", "sink", "stateOperators", "eventTime")
        for attribute in attributes:
            ours_attr, spark_attr = getattr(ours, attribute), getattr(spark_progress, attribute)
            assert type(ours_attr).__name__ == type(spark_attr).__name__, attribute
    if build is stateful:
        operator = json.loads(last["kaspar"].json)["stateOperators"][0]
        assert operator["operatorName"] == "stateStoreSave"
        assert set(json.loads(last["kaspar"].json)["eventTime"]) >= {"watermark"}
