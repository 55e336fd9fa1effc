"""The streaming benchmark's queries give PySpark's results (issue 11: the speed is measured in
``bench/``, the results are checked here, on a small input, in CI).

Each query of ``bench/streaming_queries.py`` runs through the benchmark worker's own code
(``bench.streaming_worker.run_query``) on kaspar, reading the events from a Kafka topic on an
embedded broker (1 and 4 partitions, one micro-batch or several) into a ``foreachBatch``,
memory or Delta sink, and on PySpark, reading the same events from JSON files; the results'
checksums (rows, sum of numbers, characters) must agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import engine_data, streaming_data
from bench.streaming_queries import QUERIES, StreamQuery, checksums_agree
from bench.streaming_worker import run_query
from kaspar.broker import Broker

EVENTS = 3000
TIMEOUT_S = 120.0
# (partitions, micro-batches, sink) for kaspar; PySpark runs each query once, into foreachBatch.
# Several batches over 4 partitions leave event-time skew between the partitions of a batch
# larger than the windows' 10-minute watermark on so few events (late rows are dropped, as
# Spark drops them), so the windowed query runs its several batches on 1 partition only.
SETUPS = [(1, 3, "foreachBatch"), (4, 3, "foreachBatch"), (4, 1, "memory"), (1, 1, "delta")]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("bench-queries")
    events = engine_data.events_file(EVENTS, root)
    broker = Broker(root / "broker").start()
    try:
        topics = {}
        for partitions in sorted({p for p, _, _ in SETUPS}):
            topic = f"bench-events-p{partitions}"
            streaming_data.produce_events(broker.bootstrap_servers, topic, events, partitions)
            topics[partitions] = topic
        chunks = streaming_data.json_chunks(events, EVENTS)
        yield {"bootstrap": broker.bootstrap_servers, "topics": topics, "chunks": chunks}
    finally:
        broker.stop()


@pytest.fixture(scope="module")
def pyspark_results(
    pyspark_streaming: tuple[Any, Any], inputs: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    spark, F = pyspark_streaming
    source = {"kind": "files", "dir": str(inputs["chunks"]), "max_files": False}
    return {q.name: run_query(spark, F, q, source, TIMEOUT_S) for q in QUERIES}


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: q.name)
def test_bench_query_results_equal_pyspark(
    query: StreamQuery,
    kaspar_streaming: tuple[Any, Any],
    inputs: dict[str, Any],
    pyspark_results: dict[str, dict[str, Any]],
) -> None:
    spark, F = kaspar_streaming
    expected = pyspark_results[query.name]
    assert "error" not in expected, expected
    assert expected["checksum"]["rows"] > 0
    for partitions, batches, sink in SETUPS:
        if sink == "delta" and query.output_mode == "update":
            continue  # Spark's Delta sink takes append and complete only
        if query.name == "1-minute windows" and partitions > 1 and batches > 1:
            continue
        source = {
            "kind": "kafka",
            "bootstrap": inputs["bootstrap"],
            "topic": inputs["topics"][partitions],
            "max_offsets": math.ceil(EVENTS / batches) if batches > 1 else None,
        }
        got = run_query(spark, F, query, source, TIMEOUT_S, sink)
        setup = f"{sink}, {partitions} partition(s), {batches} batch(es)"
        assert "error" not in got, (setup, got)
        assert got["rows_in"] == EVENTS, setup
        assert got["batches"] >= batches, setup
        assert checksums_agree(got["checksum"], expected["checksum"]), (
            setup,
            got["checksum"],
            expected["checksum"],
        )
        assert got["stages_ms"]["getBatch"] >= 0 and got["peak_rss_mb"], setup


def test_checkpoints_and_outputs_are_removed(tmp_path: Path) -> None:
    """The worker cleans up after itself (a benchmark run leaves no temp folders behind)."""
    import tempfile

    before = set(Path(tempfile.gettempdir()).glob("bench-streaming-*"))
    from kaspar.sql import SparkSession, functions

    spark = SparkSession.builder.getOrCreate()
    query = QUERIES[0]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.json").write_text(
        '{"ts":"2026-01-01T00:00:00","user":"u1","action":"purchase","amount":999.5,"text":"a"}\n'
    )
    got = run_query(spark, functions, query, {"kind": "files", "dir": str(folder)}, TIMEOUT_S)
    assert got["checksum"]["rows"] == 1
    assert set(Path(tempfile.gettempdir()).glob("bench-streaming-*")) == before
