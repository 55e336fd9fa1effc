"""The checkpoint's files are Spark's: metadata, offsets/<id>, commits/<id>, sources/<i>/0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kaspar.engine.streaming.checkpoint import Checkpoint, OffsetSeq, format_commit, parse_commit
from kaspar.errors import IllegalArgumentException


def test_layout_and_query_id_survive_reopening(tmp_path: Path) -> None:
    first = Checkpoint(tmp_path / "ckpt")
    assert {p.name for p in (tmp_path / "ckpt").iterdir()} == {
        "metadata",
        "offsets",
        "commits",
        "sources",
    }
    assert json.loads((tmp_path / "ckpt" / "metadata").read_text()) == {"id": first.query_id}
    assert Checkpoint(tmp_path / "ckpt").query_id == first.query_id


def test_offsets_format_is_sparks() -> None:
    entry = OffsetSeq(({"t": {"0": 5, "1": 7}}, 3), batch_timestamp_ms=1700, conf={"k": "v"})
    text = entry.format()
    assert text.split("\n") == [
        "v1",
        '{"batchWatermarkMs":0,"batchTimestampMs":1700,"conf":{"k":"v"}}',
        '{"t":{"0":5,"1":7}}',
        "3",
    ]
    assert OffsetSeq.parse(text) == entry


def test_commit_format_is_sparks() -> None:
    assert format_commit() == 'v1\n{"nextBatchWatermarkMs":0}'
    assert parse_commit('v1\n{"nextBatchWatermarkMs":42}') == 42


def test_malformed_log_is_refused() -> None:
    with pytest.raises(IllegalArgumentException, match="malformed"):
        OffsetSeq.parse("v9\n{}")


def test_latest_entries_and_initial_offsets(tmp_path: Path) -> None:
    ckpt = Checkpoint(tmp_path)
    assert ckpt.latest_offsets() is None and ckpt.latest_commit() is None
    for batch_id in range(12):
        ckpt.write_offsets(batch_id, OffsetSeq((batch_id,)))
    ckpt.write_commit(10)
    latest = ckpt.latest_offsets()
    assert latest is not None and latest[0] == 11 and latest[1].offsets == (11,)
    assert ckpt.latest_commit() == 10
    assert ckpt.initial_offset(0) is None
    ckpt.write_initial_offset(0, {"t": {"0": 0}})
    assert (tmp_path / "sources" / "0" / "0").read_text() == 'v1\n{"t":{"0":0}}'
    assert ckpt.initial_offset(0) == {"t": {"0": 0}}
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temporaries
