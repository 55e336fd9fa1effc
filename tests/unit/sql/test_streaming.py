"""Structured Streaming's facade over ``MemoryStream``: no broker needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaspar.errors import AnalysisException, IllegalArgumentException, StreamingQueryException
from kaspar.sql import SparkSession
from kaspar.sql import functions as F
from kaspar.sql.streaming import MemoryStream


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    return SparkSession.builder.getOrCreate()


def test_streaming_frames_refuse_batch_actions(spark: SparkSession) -> None:
    df = MemoryStream(spark, "id int").toDF().select((F.col("id") + 1).alias("x"))
    assert df.isStreaming and df.columns == ["x"]
    for action in (df.collect, df.count, df.show):
        with pytest.raises(AnalysisException, match=r"must be executed with writeStream\.start"):
            action()
    assert not spark.range(1).isStreaming
    with pytest.raises(AnalysisException, match="writeStream"):
        spark.range(1).writeStream  # noqa: B018


def test_memory_sink_across_batches(
    spark: SparkSession, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = MemoryStream(spark, "id int, name string")
    df = stream.toDF().where("id > 1").select("id", F.upper("name").alias("n"))
    query = df.writeStream.format("memory").queryName("upper_names").start()
    console = df.writeStream.format("console").start()
    stream.addData([(1, "a"), (2, "b")])
    query.processAllAvailable()
    stream.addData([(3, "c")])
    query.processAllAvailable()
    console.processAllAvailable()
    assert [tuple(r) for r in spark.table("upper_names").collect()] == [(2, "B"), (3, "C")]
    assert spark.sql("select count(*) c from upper_names").first().c == 2
    assert query.name == "upper_names" and query.isActive
    assert spark.streams.get(query.id) is query and query in spark.streams.active
    progress = [p for p in query.recentProgress if p["numInputRows"]]  # idle triggers too
    assert [p["numInputRows"] for p in progress] == [2, 1]
    assert progress[1]["sources"][0]["startOffset"] == "1"  # PySpark 4: offsets as JSON text
    query.stop()
    console.stop()
    assert not query.isActive and query not in spark.streams.active
    out = capsys.readouterr().out
    assert "-------------------------------------------\nBatch: 0\n" in out
    assert "|  2|  B|" in out


def test_output_modes_and_stateful_operators(spark: SparkSession) -> None:
    df = MemoryStream(spark, "k string, v int").toDF()
    with pytest.raises(AnalysisException, match="Complete output mode not supported"):
        df.writeStream.format("memory").queryName("c").outputMode("complete").start()
    with pytest.raises(IllegalArgumentException, match="Unknown output mode"):
        df.writeStream.outputMode("sometimes")
    with pytest.raises(AnalysisException, match="Append output mode not supported"):
        df.groupBy("k").count().writeStream.format("memory").queryName("g").start()
    with pytest.raises(AnalysisException, match="Stream-stream LeftOuter join between two"):
        df.join(df, "k", "left").writeStream.format("memory").queryName("j").start()
    with pytest.raises(AnalysisException, match="LeftAnti joins with a streaming"):
        df.join(df, "k", "left_anti").writeStream.format("memory").queryName("j").start()


def test_failed_batch_keeps_checkpoint_and_restart_resumes(
    spark: SparkSession, tmp_path: Path
) -> None:
    stream = MemoryStream(spark, "id int")
    seen: list[tuple[int, list[int]]] = []
    fail = {"on": True}

    def sink(df, batch_id):  # type: ignore[no-untyped-def]
        if fail["on"]:
            raise RuntimeError("sink down")
        seen.append((batch_id, [r.id for r in df.collect()]))

    def start():  # type: ignore[no-untyped-def]
        writer = stream.toDF().writeStream.foreachBatch(sink)
        return writer.option("checkpointLocation", str(tmp_path)).start()

    stream.addData([(1,), (2,)])
    query = start()
    with pytest.raises(StreamingQueryException, match="sink down"):
        query.awaitTermination(10)
    with pytest.raises(StreamingQueryException):
        spark.streams.awaitAnyTermination(1)
    spark.streams.resetTerminated()
    fail["on"] = False
    query = start()  # re-runs batch 0 from its offsets entry
    query.processAllAvailable()
    stream.addData([(3,)])
    query.processAllAvailable()
    query.stop()
    assert seen == [(0, [1, 2]), (1, [3])]


def test_once_and_rate(spark: SparkSession) -> None:
    stream = MemoryStream(spark, "id int")
    stream.addData([(1,)])
    stream.addData([(2,)])
    query = stream.toDF().writeStream.format("memory").queryName("once").trigger(once=True).start()
    assert query.awaitTermination(10)
    assert len(query.recentProgress) == 1 and spark.table("once").count() == 2
    rate = spark.readStream.format("rate").option("rowsPerSecond", 1000).load()
    assert rate.columns == ["timestamp", "value"]
    q = rate.writeStream.format("memory").queryName("rate").trigger(processingTime="50 ms").start()
    q.awaitTermination(0.3)
    q.stop()
    values = [r.value for r in spark.table("rate").collect()]
    assert values == list(range(len(values))) and values


def test_binary_cast_to_string_decodes_utf8(spark: SparkSession) -> None:
    # the Kafka pattern: from_json(col("value").cast("string"), ...) needs the text, unescaped
    df = spark.createDataFrame([(bytearray(b'{"a": "\xc3\xa9"}'), 1.5)], "b binary, d double")
    row = df.selectExpr("cast(b as string) s", "cast(d as string) t").first()
    assert row is not None and (row.s, row.t) == ('{"a": "é"}', "1.5")
