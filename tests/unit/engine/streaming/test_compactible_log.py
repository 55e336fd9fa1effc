"""Spark's compactible metadata log: batch files, compaction, write-once files."""

from __future__ import annotations

from pathlib import Path

from kaspar.engine.streaming.compactible_log import (
    CompactibleFileStreamLog,
    derive_compact_interval,
    file_uri,
    local_path,
)
from kaspar.engine.streaming.sinks.file_sink_log import committed_files, file_sink_log


def test_compaction_keeps_every_entry_and_files_are_written_once(tmp_path: Path) -> None:
    log = CompactibleFileStreamLog(tmp_path, default_interval=3)
    for batch_id in range(5):
        assert log.add(batch_id, [{"path": f"p{batch_id}", "batchId": batch_id}])
    assert not log.add(4, [{"path": "again"}])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0", "1", "2.compact", "3", "4"]
    assert (tmp_path / "2.compact").read_text().splitlines()[0] == "v1"
    assert log.get(2) == [{"path": f"p{i}", "batchId": i} for i in range(3)]
    assert [e["path"] for e in log.all_entries()] == ["p0", "p1", "p2", "p3", "p4"]
    assert log.latest_batch_id() == 4


def test_an_existing_log_keeps_its_compact_interval(tmp_path: Path) -> None:
    first = CompactibleFileStreamLog(tmp_path, default_interval=2)
    for batch_id in range(4):
        first.add(batch_id, [{"path": str(batch_id)}])
    assert CompactibleFileStreamLog(tmp_path, default_interval=10).compact_interval == 2
    assert derive_compact_interval(10, 9) == 10
    assert derive_compact_interval(5, 11) == 6
    assert derive_compact_interval(7, 11) == 12


def test_sink_log_drops_deleted_files(tmp_path: Path) -> None:
    log = file_sink_log(tmp_path, compact_interval=2)
    add = {"path": file_uri(tmp_path / "a"), "action": "add"}
    log.add(0, [add, {"path": file_uri(tmp_path / "b"), "action": "add"}])
    log.add(1, [{**add, "action": "delete"}])
    assert committed_files(tmp_path) == [str(tmp_path / "b")]
    assert committed_files(tmp_path / "elsewhere") is None


def test_uris_are_escaped_like_hadoop_paths() -> None:
    path = Path("/data/k=v/a b.json")
    assert file_uri(path) == "file:///data/k=v/a%20b.json"
    assert local_path(file_uri(path)) == path
