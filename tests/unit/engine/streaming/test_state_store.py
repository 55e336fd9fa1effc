"""StateStore's epochs (low-latency triggers): the versions of an epoch are written as one net
delta file at its close, and loading replays it as the epoch's last version."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from kaspar.engine.streaming.state_store import StateStore
from kaspar.errors import SparkRuntimeException

SCHEMA = pa.schema([pa.field("__k0", pa.string()), pa.field("__p0", pa.int64())])


def _store(folder: Path) -> StateStore:
    return StateStore(duckdb.connect(":memory:"), folder, "__state_0", SCHEMA, ["__k0"])


def _upsert(store: StateStore, rows: dict[str | None, int]) -> None:
    table = pa.table({"__k0": list(rows), "__p0": list(rows.values())}, schema=SCHEMA)
    store.con.register("__up", table)
    store.commit("__up", None, table)


def _remove(store: StateStore, keys: list[str | None]) -> None:
    store.con.register("__rm", pa.table({"__k0": pa.array(keys, pa.string())}))
    store.commit(None, "__rm")


def _rows(store: StateStore) -> dict[str | None, int]:
    found = store.con.sql("SELECT __k0, __p0 FROM __state_0").fetchall()
    return {k: v for k, v in found}  # noqa: C416 - rows are tuples


def _deltas(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.delta"))


def test_an_epoch_is_one_net_delta_replayed_as_its_last_version(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.load(0)
    _upsert(store, {"a": 1, "b": 1})  # version 1: a micro-batch, its own delta
    store.wait_durable()
    store.begin_epoch()
    _upsert(store, {"a": 2, None: 7})  # 2
    _remove(store, ["b"])  # 3
    _upsert(store, {"b": 5, "c": 1})  # 4: b back
    _remove(store, ["c", None])  # 5
    _upsert(store, {"a": 3})  # 6
    assert _deltas(tmp_path) == ["1.delta"]  # nothing written during the epoch
    store.end_epoch()
    store.wait_durable()
    assert _deltas(tmp_path) == ["1.delta", "6.delta"]
    assert store.version == 6

    again = _store(tmp_path)
    again.load(6)
    assert _rows(again) == {"a": 3, "b": 5} == _rows(store)
    assert again.rows == 2
    again.load(1)
    assert _rows(again) == {"a": 1, "b": 1}


def test_an_epoch_cut_by_a_crash_leaves_the_last_closed_one(tmp_path: Path) -> None:
    """kill -9 between chunks: the open epoch wrote nothing, the previous one loads."""
    store = _store(tmp_path)
    store.load(0)
    store.begin_epoch()
    _upsert(store, {"a": 1})
    _upsert(store, {"a": 2})
    store.end_epoch()
    store.wait_durable()
    store.begin_epoch()
    _upsert(store, {"a": 3})  # version 3, never closed
    store.wait_durable()
    assert _deltas(tmp_path) == ["2.delta"]
    again = _store(tmp_path)
    again.load(2)
    assert _rows(again) == {"a": 2}
    with pytest.raises(SparkRuntimeException, match=r"3\.delta is missing"):
        again.load(3)


def test_a_version_inside_an_epoch_cannot_be_loaded(tmp_path: Path) -> None:
    store = _store(tmp_path)
    store.load(0)
    store.begin_epoch()
    for value in range(3):
        _upsert(store, {"a": value})
    store.end_epoch()
    store.wait_durable()
    with pytest.raises(SparkRuntimeException, match=r"1\.delta is missing"):
        _store(tmp_path).load(2)


def test_an_epoch_without_changes_writes_an_empty_delta_and_snapshots_follow(
    tmp_path: Path,
) -> None:
    store = _store(tmp_path)
    store.load(0)
    for epoch in range(10):
        store.begin_epoch()
        _upsert(store, {"k": epoch})
        _upsert(store, {"k": epoch * 10})
        store.end_epoch()
    store.begin_epoch()
    store.commit(None, None)  # a chunk that changed nothing
    store.end_epoch()
    store.wait_durable()
    store.wait_for_snapshot()
    assert (tmp_path / "20.snapshot").exists()  # after 10 epoch deltas, at the close
    assert (tmp_path / "21.delta").exists()
    again = _store(tmp_path)
    again.load(21)
    assert _rows(again) == {"k": 90}


def test_an_epoch_of_a_global_aggregate_keeps_its_last_row(tmp_path: Path) -> None:
    schema = pa.schema([pa.field("__p0", pa.int64())])
    store = StateStore(duckdb.connect(":memory:"), tmp_path, "__state_0", schema, [])
    store.load(0)
    store.begin_epoch()
    for total in (3, 5, 9):
        table = pa.table({"__p0": [total]}, schema=schema)
        store.con.register("__up", table)
        store.commit("__up", None, table)
    store.end_epoch()
    store.wait_durable()
    again = StateStore(duckdb.connect(":memory:"), tmp_path, "__state_0", schema, [])
    again.load(3)
    assert again.con.sql("SELECT * FROM __state_0").fetchall() == [(9,)]
