"""Streaming file sources, the Delta streaming source and file sinks with ``_spark_metadata``."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from kaspar.errors import (
    AnalysisException,
    IllegalArgumentException,
    StreamingQueryException,
    UnsupportedOperationException,
)
from kaspar.sql import SparkSession
from kaspar.sql import functions as F

SCHEMA = "id int, name string"


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()


def write_json(directory: Path, name: str, ids: range, mtime: int) -> Path:
    """A JSON-lines file with one row per id, modified at ``mtime`` (seconds) for a fixed order."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("".join(json.dumps({"id": i, "name": f"n{i}"}) + "\n" for i in ids))
    os.utime(path, (mtime, mtime))
    return path


def run_available_now(df: Any, name: str, checkpoint: Path) -> Any:
    query = (
        df.writeStream.format("memory")
        .queryName(name)
        .option("checkpointLocation", str(checkpoint))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    return query


def ids(spark: SparkSession, table: str) -> list[int]:
    return sorted(r.id for r in spark.table(table).collect())


def test_max_files_per_trigger_batches_and_progress(spark: SparkSession, tmp_path: Path) -> None:
    for n in range(5):
        write_json(tmp_path / "in", f"f{n}.json", range(n * 10, n * 10 + 2), 1_000_000 + n)
    (tmp_path / "in" / "_ignored.json").write_text('{"id": 99}\n')
    (tmp_path / "in" / ".hidden.json").write_text('{"id": 98}\n')
    df = spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 2).json(str(tmp_path / "in"))

    query = run_available_now(df, "max_files", tmp_path / "cp")

    assert [p.numInputRows for p in query.recentProgress] == [4, 4, 2]
    source = query.recentProgress[1].sources[0]
    assert source.description == f"FileStreamSource[file:{tmp_path / 'in'}]"
    assert json.loads(source.startOffset) == {"logOffset": 0}
    assert json.loads(source.endOffset) == {"logOffset": 1}
    assert ids(spark, "max_files") == [0, 1, 10, 11, 20, 21, 30, 31, 40, 41]
    log = (tmp_path / "cp" / "sources" / "0" / "1").read_text().splitlines()
    assert log[0] == "v1"
    assert [json.loads(line)["path"] for line in log[1:]] == [
        (tmp_path / "in" / "f2.json").as_uri(),
        (tmp_path / "in" / "f3.json").as_uri(),
    ]


def test_restart_reads_only_new_files(spark: SparkSession, tmp_path: Path) -> None:
    write_json(tmp_path / "in", "a.json", range(3), 1_000_000)
    out, checkpoint = tmp_path / "out", tmp_path / "cp"

    def run() -> Any:
        df = spark.readStream.schema(SCHEMA).json(str(tmp_path / "in"))
        query = (
            df.writeStream.format("parquet")
            .option("checkpointLocation", str(checkpoint))
            .trigger(availableNow=True)
            .start(str(out))
        )
        query.awaitTermination()
        return query

    run()
    write_json(tmp_path / "in", "b.json", range(3, 5), 1_000_001)
    write_json(tmp_path / "in", "old.json", range(5, 6), 999_999)  # older, but never seen
    second = run()

    assert [p.numInputRows for p in second.recentProgress] == [3]
    assert sorted(r.id for r in spark.read.parquet(str(out)).collect()) == list(range(6))
    assert sorted(p.name for p in (checkpoint / "sources" / "0").iterdir()) == ["0", "1"]
    assert sorted(p.name for p in (out / "_spark_metadata").iterdir()) == ["0", "1"]


def test_new_files_are_picked_up_while_running(spark: SparkSession, tmp_path: Path) -> None:
    write_json(tmp_path / "in", "a.json", range(2), 1_000_000)
    df = spark.readStream.schema(SCHEMA).json(str(tmp_path / "in"))
    query = df.writeStream.format("memory").queryName("running").start()
    try:
        query.processAllAvailable()
        assert ids(spark, "running") == [0, 1]
        write_json(tmp_path / "in", "b.json", range(2, 4), 1_000_001)
        query.processAllAvailable()
        assert ids(spark, "running") == [0, 1, 2, 3]
    finally:
        query.stop()


def test_partition_directories_csv_and_text(spark: SparkSession, tmp_path: Path) -> None:
    for region in ("eu", "us"):
        directory = tmp_path / "in" / f"region={region}" / "day=2024-01-01"
        directory.mkdir(parents=True)
        (directory / "f.csv").write_text(f"id,name\n1,{region}1\n2,{region}2\n")
    reader = spark.readStream.option("header", True)
    df = reader.csv(str(tmp_path / "in"), schema="id int, name string")
    assert df.schema.simpleString() == "struct<id:int,name:string,region:string,day:date>"
    run_available_now(df.filter(F.col("region") == "eu"), "parts", tmp_path / "cp")
    rows = spark.table("parts").orderBy("id").collect()
    assert [(r.id, r.name, r.region, str(r.day)) for r in rows] == [
        (1, "eu1", "eu", "2024-01-01"),
        (2, "eu2", "eu", "2024-01-01"),
    ]

    text = spark.readStream.text(str(tmp_path / "in"))
    assert text.schema.simpleString() == "struct<value:string,region:string,day:date>"
    run_available_now(text, "lines", tmp_path / "cp_text")
    assert spark.table("lines").count() == 6  # headers are lines too


def test_file_sink_manifest_hides_uncommitted_files(spark: SparkSession, tmp_path: Path) -> None:
    for n in range(3):
        write_json(tmp_path / "in", f"f{n}.json", range(n * 2, n * 2 + 2), 1_000_000 + n)
    spark.conf.set("spark.sql.streaming.fileSink.log.compactInterval", "2")
    try:
        df = (
            spark.readStream.schema(SCHEMA)
            .option("maxFilesPerTrigger", 1)
            .json(str(tmp_path / "in"))
        )
        query = (
            df.withColumn("even", F.col("id") % 2 == 0)
            .writeStream.format("parquet")
            .partitionBy("even")
            .option("checkpointLocation", str(tmp_path / "cp"))
            .trigger(availableNow=True)
            .start(str(tmp_path / "out"))
        )
        query.awaitTermination()
    finally:
        spark.conf.unset("spark.sql.streaming.fileSink.log.compactInterval")
    metadata = tmp_path / "out" / "_spark_metadata"
    assert sorted(p.name for p in metadata.iterdir()) == ["0", "1.compact", "2"]
    lines = (metadata / "1.compact").read_text().splitlines()
    entries = [json.loads(line) for line in lines[1:]]
    assert lines[0] == "v1"
    assert len(entries) == 4  # batches 0 and 1, one file per partition each
    assert set(entries[0]) == {
        "path",
        "size",
        "isDir",
        "modificationTime",
        "blockReplication",
        "blockSize",
        "action",
    }
    first = Path(entries[0]["path"].removeprefix("file://"))
    assert first.parent.name in ("even=true", "even=false")
    assert first.name.startswith("part-00000-")
    assert first.name.endswith(".c000.snappy.parquet")

    shutil.copy(first, first.with_name("part-99999-uncommitted.c000.snappy.parquet"))
    shutil.copy(first, tmp_path / "out" / "part-00000-stray-c000.snappy.parquet")
    assert spark.read.parquet(str(tmp_path / "out")).count() == 6
    assert spark.read.format("parquet").load(str(tmp_path / "out")).count() == 6
    rows = spark.read.parquet(str(tmp_path / "out")).orderBy("id").collect()
    assert [(r.id, r.even) for r in rows] == [(i, str(i % 2 == 0).lower()) for i in range(6)]


def test_rerun_of_a_committed_batch_writes_nothing(spark: SparkSession, tmp_path: Path) -> None:
    write_json(tmp_path / "in", "a.json", range(4), 1_000_000)
    checkpoint, out = tmp_path / "cp", tmp_path / "out"

    def run() -> None:
        df = spark.readStream.schema(SCHEMA).json(str(tmp_path / "in"))
        writer = df.writeStream.format("json").option("checkpointLocation", str(checkpoint))
        writer.trigger(availableNow=True).start(str(out)).awaitTermination()

    run()
    files = sorted(p.name for p in out.glob("part-*"))
    (checkpoint / "commits" / "0").unlink()  # as if the process died after the sink's commit
    run()

    assert sorted(p.name for p in out.glob("part-*")) == files
    assert sorted(r.id for r in spark.read.json(str(out)).collect()) == [0, 1, 2, 3]
    assert (checkpoint / "commits" / "0").exists()


def test_bad_options_raise_pyspark_errors(spark: SparkSession, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    with pytest.raises(IllegalArgumentException, match="Schema must be specified"):
        spark.readStream.json(str(tmp_path / "in"))
    with pytest.raises(AnalysisException, match="Path does not exist") as missing:
        spark.readStream.schema(SCHEMA).json(str(tmp_path / "nope"))
    assert missing.value.getCondition() == "PATH_NOT_FOUND"
    stream = spark.readStream.schema(SCHEMA).json(str(tmp_path / "in"))
    with pytest.raises(AnalysisException, match="Invalid streaming output mode: update") as mode:
        stream.writeStream.format("parquet").outputMode("update").option(
            "checkpointLocation", str(tmp_path / "cp")
        ).start(str(tmp_path / "out"))
    assert mode.value.getCondition() == "STREAMING_OUTPUT_MODE.UNSUPPORTED_DATASOURCE"
    with pytest.raises(IllegalArgumentException, match="'path' is not specified"):
        stream.writeStream.format("csv").option("checkpointLocation", str(tmp_path / "c")).start()

    zero = (
        spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 0).json(str(tmp_path / "in"))
    )
    query = zero.writeStream.format("memory").queryName("zero").start()
    with pytest.raises(StreamingQueryException, match="'maxFilesPerTrigger', must be a positive"):
        query.awaitTermination()
    assert isinstance(query.exception().__cause__, IllegalArgumentException)


def test_schema_inference_conf(spark: SparkSession, tmp_path: Path) -> None:
    write_json(tmp_path / "in", "a.json", range(2), 1_000_000)
    spark.conf.set("spark.sql.streaming.schemaInference", "true")
    try:
        df = spark.readStream.json(str(tmp_path / "in"))
    finally:
        spark.conf.unset("spark.sql.streaming.schemaInference")
    assert df.schema.simpleString() == "struct<id:bigint,name:string>"


def delta_append(path: Path, ids: range, mode: str = "append") -> None:
    table = pa.table({"id": pa.array(list(ids), pa.int64()), "name": [f"n{i}" for i in ids]})
    write_deltalake(str(path), table, mode=mode)  # type: ignore[arg-type]


def test_delta_source_snapshot_appends_and_restart(spark: SparkSession, tmp_path: Path) -> None:
    table, checkpoint = tmp_path / "table", tmp_path / "cp"
    delta_append(table, range(3))
    delta_append(table, range(3, 5))

    def run(name: str, **options: str) -> Any:
        df = spark.readStream.format("delta").options(**options).load(str(table))
        return run_available_now(df, name, checkpoint)

    first = run("delta1", maxFilesPerTrigger="1")
    assert ids(spark, "delta1") == [0, 1, 2, 3, 4]
    assert [p.numInputRows for p in first.recentProgress] == [3, 2]
    end = json.loads(first.lastProgress.sources[0].endOffset)
    table_id = DeltaTable(str(table)).metadata().id
    assert end == {
        "sourceVersion": 1,
        "reservoirId": table_id,
        "reservoirVersion": 2,
        "index": -1,
        "isStartingVersion": False,
    }

    delta_append(table, range(5, 7))
    run("delta2")
    assert ids(spark, "delta2") == [5, 6]

    DeltaTable(str(table)).delete("id = 6")
    delta_append(table, range(7, 8))
    with pytest.raises(StreamingQueryException, match="Detected a data update"):
        run("delta3")
    DeltaTable(str(table)).delete("id < 3")  # removes whole files: a delete, not a rewrite
    failed = spark.readStream.format("delta").option("skipChangeCommits", "true")
    run_available_now(failed.load(str(table)), "delta4", tmp_path / "cp_skip")
    assert ids(spark, "delta4") == [3, 4, 5, 7]  # the snapshot now, then nothing changed


def test_delta_source_deletes_and_starting_version(spark: SparkSession, tmp_path: Path) -> None:
    table = tmp_path / "table"
    delta_append(table, range(2))
    delta_append(table, range(2, 4))
    DeltaTable(str(table)).delete("id >= 2")  # version 2 removes the second file only
    delta_append(table, range(4, 5))

    def stream(**options: str) -> Any:
        return spark.readStream.format("delta").options(**options).load(str(table))

    query = stream(startingVersion="1").writeStream.format("memory").queryName("deletes").start()
    with pytest.raises(StreamingQueryException, match="Detected deleted data"):
        query.awaitTermination()
    cause = query.exception().__cause__
    assert isinstance(cause, UnsupportedOperationException)
    assert cause.getCondition() == "DELTA_SOURCE_IGNORE_DELETE"

    run_available_now(stream(startingVersion="1", ignoreDeletes="true"), "kept", tmp_path / "c")
    assert ids(spark, "kept") == [2, 3, 4]
    run_available_now(stream(startingVersion="latest"), "latest", tmp_path / "c2")
    assert ids(spark, "latest") == []
    since = stream(startingTimestamp="2000-01-01", skipChangeCommits="true")
    run_available_now(since, "since", tmp_path / "c3")
    assert ids(spark, "since") == [0, 1, 2, 3, 4]  # every commit's rows, the delete skipped
    with pytest.raises(IllegalArgumentException, match="either provide 'startingVersion'"):
        stream(startingVersion="1", startingTimestamp="2024-01-01")
    with pytest.raises(IllegalArgumentException, match="Invalid value 'x' for option"):
        stream(maxFilesPerTrigger="x")


def test_clean_source_and_latest_first(spark: SparkSession, tmp_path: Path) -> None:
    for n in range(3):
        write_json(tmp_path / "in", f"f{n}.json", range(n, n + 1), 1_000_000 + n)
    newest = (
        spark.readStream.schema(SCHEMA)
        .option("latestFirst", True)
        .option("maxFilesPerTrigger", 1)
        .json(str(tmp_path / "in"))
    )
    query = run_available_now(newest, "newest", tmp_path / "cp_newest")
    assert [json.loads(p.sources[0].endOffset) for p in query.recentProgress] == [
        {"logOffset": n} for n in range(3)
    ]
    first = (tmp_path / "cp_newest" / "sources" / "0" / "0").read_text()
    assert "f2.json" in first

    archive = tmp_path / "archive"
    moved = spark.readStream.schema(SCHEMA).option("cleanSource", "archive")
    moved = moved.option("sourceArchiveDir", str(archive)).json(str(tmp_path / "in"))
    run_available_now(moved, "archived", tmp_path / "cp_archive")
    assert ids(spark, "archived") == [0, 1, 2]
    assert not list((tmp_path / "in").glob("*.json"))
    assert len(list(archive.rglob("*.json"))) == 3


def test_read_stream_table(spark: SparkSession, tmp_path: Path) -> None:
    spark.conf.set("spark.sql.warehouse.dir", str(tmp_path / "warehouse"))
    try:
        spark.createDataFrame([(1, "a"), (2, "b")], SCHEMA).write.format("delta").saveAsTable(
            "stream_me"
        )
        run_available_now(spark.readStream.table("stream_me"), "from_table", tmp_path / "cp")
        assert ids(spark, "from_table") == [1, 2]
        with pytest.raises(AnalysisException, match="cannot be found"):
            spark.readStream.table("no_such_table")
    finally:
        spark.conf.unset("spark.sql.warehouse.dir")


def test_two_queries_on_one_dataframe_keep_their_own_logs(
    spark: SparkSession, tmp_path: Path
) -> None:
    write_json(tmp_path / "in", "a.json", range(3), 1_000_000)
    df = spark.readStream.schema(SCHEMA).json(str(tmp_path / "in"))
    queries = [
        df.writeStream.format("memory").queryName("first_copy").start(),
        df.filter("id > 0").writeStream.format("memory").queryName("second_copy").start(),
    ]
    try:
        write_json(tmp_path / "in", "b.json", range(3, 4), 1_000_001)
        for query in queries:
            query.processAllAvailable()
        assert ids(spark, "first_copy") == [0, 1, 2, 3]
        assert ids(spark, "second_copy") == [1, 2, 3]
    finally:
        for query in queries:
            query.stop()
