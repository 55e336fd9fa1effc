"""Checkpoint files written now and fsynced in the background; the progress report's parts."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from kaspar.engine.streaming.checkpoint import Checkpoint, OffsetSeq
from kaspar.engine.streaming.durable_write import (
    PendingSyncs,
    write_after,
    write_durably,
    write_parquet_durably,
)
from kaspar.engine.streaming.progress_report import (
    BatchFacts,
    offsets_behind_latest,
    source_progress,
)


def test_a_write_is_there_once_waited(tmp_path: Path) -> None:
    syncs = PendingSyncs()
    syncs.add(write_durably(tmp_path / "0", b"v1\n{}"))
    syncs.wait()
    assert (tmp_path / "0").read_bytes() == b"v1\n{}"
    syncs.add(write_durably(tmp_path / "0", b"v1"))  # truncates
    syncs.wait()
    assert (tmp_path / "0").read_bytes() == b"v1"


def test_write_after_waits_for_its_prerequisites_and_shares_their_failure(
    tmp_path: Path,
) -> None:
    gate: Future[None] = Future()
    chained = write_after([gate], tmp_path / "commit", b"v1")
    assert not (tmp_path / "commit").exists()
    gate.set_result(None)
    chained.result(timeout=10)
    assert (tmp_path / "commit").read_bytes() == b"v1"
    failed: Future[None] = Future()
    never = write_after([failed], tmp_path / "never", b"v1")
    failed.set_exception(OSError("disk full"))
    with pytest.raises(OSError, match="disk full"):
        never.result(timeout=10)
    assert not (tmp_path / "never").exists()
    write_after([], tmp_path / "now", b"x").result(timeout=10)
    assert (tmp_path / "now").read_bytes() == b"x"


def test_parquet_is_written_in_the_background(tmp_path: Path) -> None:
    table = pa.table({"a": [1, 2]})
    write_parquet_durably(table, tmp_path / "1.delta").result(timeout=10)
    assert pq.read_table(tmp_path / "1.delta").equals(table)


def test_pending_syncs_raise_the_first_failure() -> None:
    syncs = PendingSyncs()
    ok: Future[None] = Future()
    ok.set_result(None)
    bad: Future[None] = Future()
    bad.set_exception(OSError("EIO"))
    syncs.add(ok)
    syncs.add(bad)
    with pytest.raises(OSError, match="EIO"):
        syncs.wait()
    syncs.wait()  # taken: nothing left to wait for


def test_latest_entries_skip_what_a_crash_cut_short(tmp_path: Path) -> None:
    ckpt = Checkpoint(tmp_path)
    for batch_id in range(3):
        ckpt.write_offsets(batch_id, OffsetSeq((batch_id,)))
    ckpt.write_commit(0)
    ckpt.write_commit(1)
    ckpt.wait_durable()
    (tmp_path / "offsets" / "2").write_text('v1\n{"batchWat')
    (tmp_path / "commits" / "1").write_text("")
    latest = ckpt.latest_offsets()
    assert latest is not None and latest[0] == 1
    assert ckpt.latest_commit() == 0
    ckpt.sync_latest()


def test_kafka_lag_metrics_are_sparks() -> None:
    consumed = {"t": {"0": 5, "1": 7}}
    latest = {"t": {"0": 9, "1": 7, "2": 3}}
    assert offsets_behind_latest(consumed, latest) == {
        "avgOffsetsBehindLatest": "2.3333333333333335",
        "maxOffsetsBehindLatest": "4",
        "minOffsetsBehindLatest": "0",
    }
    assert offsets_behind_latest(5, 7) == {}
    big = offsets_behind_latest({"t": {"0": 0}}, {"t": {"0": 12_345_678}})
    assert big["avgOffsetsBehindLatest"] == "1.2345678E7"  # Java's Double.toString
    assert big["maxOffsetsBehindLatest"] == "12345678"


def _facts() -> BatchFacts:
    return BatchFacts(
        3, 0, [{"t": {"0": 1}}], [{"t": {"0": 5}}], [pa.table({"a": [1, 2]})],
        {"triggerExecution": 4}, 0.5, 2,
    )  # fmt: skip


def test_source_progress_reports_latest_offset_and_metrics() -> None:
    kafka = SimpleNamespace(description="KafkaV2[Subscribe[t]]")
    kafka.report_latest_offset = lambda: {"t": {"0": 8}}
    report = source_progress(kafka, _facts(), 0)
    assert report["latestOffset"] == {"t": {"0": 8}}
    assert report["metrics"]["maxOffsetsBehindLatest"] == "3"
    assert report["inputRowsPerSecond"] == 4.0 and report["processedRowsPerSecond"] == 500.0
    files = SimpleNamespace(description="FileStreamSource[x]", reports_latest_offset=False)
    assert source_progress(files, _facts(), 0)["latestOffset"] is None
    plain = SimpleNamespace(description="MemoryStream")
    assert "metrics" not in source_progress(plain, _facts(), 0)
    assert source_progress(plain, _facts(), 0)["latestOffset"] == {"t": {"0": 5}}
