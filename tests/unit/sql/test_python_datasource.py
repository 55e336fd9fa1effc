"""Python data sources (``spark.dataSource.register``): batch reads (lazy), writes with commit
and abort, and micro-batch reads resumed from the checkpoint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest

from kaspar.errors import AnalysisException, PythonException
from kaspar.sql import Row, SparkSession
from kaspar.sql.datasource import (
    DataSource,
    DataSourceArrowWriter,
    DataSourceReader,
    DataSourceStreamReader,
    DataSourceStreamWriter,
    DataSourceWriter,
    InputPartition,
    WriterCommitMessage,
)

READS: list[object] = []
COMMITS: list[object] = []


class Numbers(DataSourceReader):
    def __init__(self, options):
        self.n = int(options.get("n", "3"))

    def read(self, partition):
        READS.append(partition)
        if self.n < 0:
            yield (1,)  # one column where the schema has two
        yield from ((i, f"n{i}") for i in range(self.n))
        yield Row(id=99, label="row")
        yield pa.record_batch({"id": pa.array([7], pa.int64()), "label": ["batch"]})


@dataclass
class Written(WriterCommitMessage):
    rows: int


class Collect(DataSourceWriter):
    def __init__(self, fail: bool) -> None:
        self.fail = fail

    def write(self, iterator):
        rows = [r.asDict() for r in iterator]
        if self.fail:
            raise ValueError("disk full")
        return Written(len(rows))

    def commit(self, messages):
        COMMITS.append(("commit", [m.rows for m in messages]))

    def abort(self, messages):
        COMMITS.append(("abort", messages))


class Batches(DataSourceArrowWriter):
    def write(self, iterator):
        return Written(sum(b.num_rows for b in iterator))

    def commit(self, messages):
        COMMITS.append(("arrow", [m.rows for m in messages]))


class Ticks(DataSourceStreamReader):
    def __init__(self, limit: int) -> None:
        self.limit = limit

    def initialOffset(self):
        return {"tick": 0}

    def latestOffset(self):
        return {"tick": self.limit}

    def partitions(self, start, end):
        return [InputPartition((start["tick"], end["tick"]))]

    def read(self, partition):
        low, high = partition.value
        yield from ((i, f"t{i}") for i in range(low, high))


class Appender(DataSourceStreamWriter):
    def write(self, iterator):
        return Written(len(list(iterator)))

    def commit(self, messages, batchId):
        COMMITS.append(("stream", batchId, [m.rows for m in messages]))


class Demo(DataSource):
    @classmethod
    def name(cls):
        return "demo"

    def schema(self):
        return "id int, label string"

    def reader(self, schema):
        return Numbers(self.options)

    def writer(self, schema, overwrite):
        if self.options.get("arrow") == "true":
            return Batches()
        return Collect(self.options.get("fail") == "true")

    def streamReader(self, schema):
        return Ticks(int(self.options.get("limit", "4")))

    def streamWriter(self, schema, overwrite):
        return Appender()


@pytest.fixture(scope="module")
def spark() -> SparkSession:
    session = SparkSession.builder.getOrCreate()
    session.dataSource.register(Demo)
    return session


def test_reads_lazily_every_kind_of_row(spark: SparkSession) -> None:
    READS.clear()
    df = spark.read.format("demo").option("N", "2").load()
    assert df.schema.simpleString() == "struct<id:int,label:string>"
    assert READS == []
    rows = sorted(tuple(r) for r in df.collect())
    assert rows == [(0, "n0"), (1, "n1"), (7, "batch"), (99, "row")]
    assert READS == [None]  # no partitions(): one partition, None


def test_wrong_width_is_spark_error(spark: SparkSession) -> None:
    df = spark.read.format("demo").option("n", "-1").load()
    with pytest.raises(PythonException, match="DATA_SOURCE_RETURN_SCHEMA_MISMATCH"):
        df.collect()


def test_user_schema_wins(spark: SparkSession) -> None:
    df = spark.read.format("demo").schema("id long, label string").option("n", "1").load()
    assert df.schema.simpleString() == "struct<id:bigint,label:string>"


def test_write_commits_or_aborts(spark: SparkSession) -> None:
    COMMITS.clear()
    df = spark.createDataFrame([(1, "a"), (2, "b")], "id int, label string")
    df.write.format("demo").mode("append").save()
    df.write.format("demo").mode("overwrite").option("arrow", "true").save()
    with pytest.raises(PythonException, match="disk full"):
        df.write.format("demo").mode("append").option("fail", "true").save()
    assert COMMITS == [("commit", [2]), ("arrow", [2]), ("abort", [])]
    with pytest.raises(AnalysisException, match="UNSUPPORTED_DATA_SOURCE_SAVE_MODE"):
        df.write.format("demo").save()


def test_stream_resumes_from_checkpoint(spark: SparkSession, tmp_path: Path) -> None:
    def run(limit: int) -> None:
        stream = spark.readStream.format("demo").option("limit", str(limit)).load()
        query = (
            stream.writeStream.format("memory")
            .queryName("demo_ticks")
            .option("checkpointLocation", str(tmp_path / "cp"))
            .trigger(availableNow=True)
            .start()
        )
        query.awaitTermination()

    run(4)
    run(6)  # the second query starts after the first one's committed offset
    rows = sorted(r.id for r in spark.sql("SELECT id FROM demo_ticks").collect())
    assert rows == [4, 5]
    assert (tmp_path / "cp" / "offsets" / "1").exists()


def test_stream_into_a_python_sink(spark: SparkSession, tmp_path: Path) -> None:
    COMMITS.clear()
    stream = spark.readStream.format("demo").option("limit", "3").load()
    query = (
        stream.writeStream.format("demo")
        .option("checkpointLocation", str(tmp_path / "cp"))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    assert COMMITS == [("stream", 0, [3])]


def test_connect_only_members_refused_as_classic_pyspark(spark: SparkSession) -> None:
    from kaspar.errors import PySparkRuntimeError, PySparkValueError

    for member in (lambda: spark.client, lambda: spark.addArtifacts("x.py", pyfile=True)):
        with pytest.raises(PySparkRuntimeError) as info:
            member()
        assert info.value.getCondition() == "ONLY_SUPPORTED_WITH_SPARK_CONNECT"
    with pytest.raises(PySparkValueError) as refused:
        spark.range(1).executionInfo  # noqa: B018
    assert refused.value.getCondition() == "CLASSIC_OPERATION_NOT_SUPPORTED_ON_DF"


def test_stream_source_names_and_clustering(spark: SparkSession) -> None:
    from kaspar.errors import PySparkValueError

    assert spark.readStream.format("rate").name("my_source") is not None
    with pytest.raises(PySparkValueError, match="INVALID_STREAMING_SOURCE_NAME"):
        spark.readStream.name("my source")
    stream = spark.readStream.format("rate").load()
    assert stream.writeStream.clusterBy("value") is not None
