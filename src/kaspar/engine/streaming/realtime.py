"""Low-latency triggers: ``trigger(realTime=...)`` and ``trigger(continuous=...)``.

Records flow through the query as they arrive; the checkpoint is written once per interval
(the trigger's argument). One interval, an *epoch*, runs these steps (``run_batch``):

1. **Start.** The epoch starts from the offsets of the last commit; nothing is written yet
   (as in Spark's real-time mode, the end offsets are planned lazily: recorded when the epoch
   closes), and the state stores keep the epoch's versions in memory (``begin_epoch``).
2. **Flow.** Until the interval is over (or the query stops), poll the sources: a source
   that can long-poll (``poll``: Kafka, a Fetch the broker answers as soon as a record is
   appended) returns what it read and where it stopped; any other is asked what is available
   (``latest_offset``) and read at once (``get_batch``). Each poll that moved is a *chunk*: it
   runs through the same compiled stages and stateful operators as a micro-batch, under the
   next micro-batch id (so state versions and the sinks' per-batch idempotence keep their
   meaning), and its rows go to the sink right away (``sink.add_batch``). An empty poll
   reports the query caught up (``processAllAvailable``); without a long-poll it then waits
   ``POLL_DELAY_S``.
3. **Close.** Write ``offsets/<last chunk id>`` with the epoch's end offsets and each state
   store's changes of the epoch as one delta file (``end_epoch``) and, while they are
   fsynced, flush the sink (``flush``: every record acknowledged); wait for the offsets entry
   to be durable; a transactional sink (``commit_epoch``) then waits for the chunks' state
   files and commits the epoch's Kafka transaction; then write ``commits/<last chunk id>``
   once the state files are durable, and report the epoch's progress (one progress per
   epoch, ``batchId`` = the last chunk's id).

Guarantees. Records reach the sink as they arrive, before the epoch commits. A crash replays
the epoch from its start offsets (``recover``: offsets entries after the last commit and state
files newer than it are dropped first, because the replayed chunks can be cut differently), so
by default the sink is at-least-once: the Kafka sink's idempotent, non-transactional producer
(``KafkaRealTimeSink``) lets every consumer see a record within milliseconds, and records of a
crashed epoch can be written twice. With ``deliveryGuarantee`` ``exactly-once`` the Kafka sink
(``sinks/kafka_epochs.py``) writes each epoch in one transaction: a crashed epoch's is aborted
when the sink starts again, and one that committed in Kafka before the crash cut its
``commits`` entry is completed by ``recover`` instead of replayed. Sinks idempotent per batch id
(Delta, files) are refused: a replay's chunk ids cover other rows. State (aggregations,
deduplication) is exactly-once with respect to the checkpoint: after a crash it restarts from
the last epoch's version, so a replayed record is counted once in the state.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from kaspar.engine.streaming.checkpoint import OffsetSeq
from kaspar.engine.streaming.microbatch import MicroBatchExecution
from kaspar.engine.streaming.state_store import StateStore

POLL_WAIT_MS = 10  # a Fetch long-poll waits this long for a first record
POLL_DELAY_S = 0.0005  # between two polls that found nothing, when no source long-polls
_STATE_FILE = re.compile(r"^(\d+)\.(delta|snapshot)$")


@dataclass
class _Epoch:
    """What one interval did so far."""

    started: float
    timestamp_ms: int
    rows: list[int]
    output_rows: int = 0
    chunks: int = 0
    durations: dict[str, int] = field(default_factory=dict)

    def add(self, inputs: list[pa.Table], output_rows: int) -> None:
        self.rows = [n + t.num_rows for n, t in zip(self.rows, inputs, strict=True)]
        self.output_rows += output_rows
        self.chunks += 1


class RealTimeExecution(MicroBatchExecution):
    """The epochs of one run of a query with a low-latency trigger."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.should_stop: Callable[[], bool] = lambda: False
        self.on_caught_up: Callable[[float], None] = lambda _: None
        self._waited = False  # the last poll waited for records (a long-poll)

    def recover(self) -> None:
        """Drop what a crashed epoch left after the last commit, then recover as usual."""
        self.checkpoint.sync_latest()
        committed = self._finish_committed_epoch(self.checkpoint.latest_commit())
        last = -1 if committed is None else committed
        for entry in (self.checkpoint.root / "offsets").iterdir():
            if entry.name.isdigit() and int(entry.name) > last:
                entry.unlink()
        _drop_state_after(self.checkpoint.root / "state", last + 1)
        super().recover()

    def _finish_committed_epoch(self, committed: int | None) -> int | None:
        """A transactional sink (``sinks/kafka_epochs.py``) committed the epoch of the latest
        ``offsets`` entry, and the crash came before its ``commits`` entry: write it now (the
        epoch's records are in Kafka and its state files were durable before that commit)."""
        last_epoch = getattr(self.sink, "last_epoch", None)
        latest = self.checkpoint.latest_offsets()
        if last_epoch is None or latest is None or latest[0] == committed:
            return committed
        found = last_epoch()
        if found is None or found[0] != latest[0]:
            return committed
        self.checkpoint.write_commit(latest[0], found[1])
        self.checkpoint.wait_durable()
        return latest[0]

    def run_batch(self) -> bool:
        """Steps 1-3 for one interval; False when no chunk ran."""
        # 1 start from the last commit's offsets
        started = time.monotonic()
        deadline = started + self.trigger.interval_ms / 1000
        epoch = _Epoch(started, int(time.time() * 1000), [0] * len(self.sources))
        position = list(self.committed)
        for store in self._stores():  # its files outlive the epoch's chunks
            store.retained_version = self.batch_id
            store.begin_epoch()  # the chunks' state versions kept in memory until step 3
        # 2 chunks through the plan and into the sink as they arrive
        while time.monotonic() < deadline and not self.should_stop():
            polled = time.monotonic()
            if not self._run_chunk(position, epoch):
                self.on_caught_up(polled)
                if not self._waited:
                    time.sleep(POLL_DELAY_S)
        if epoch.chunks == 0:
            return False
        # 3 close: sink flushed, offsets entry, commit entry, progress
        self._close_epoch(position, epoch)
        return True

    def _run_chunk(self, position: list[Any], epoch: _Epoch) -> bool:
        polled = self._poll(position)
        if polled is None:
            return False
        ends, inputs = polled
        clock = time.monotonic()
        self.on_batch_planned()
        self.watermark_ms = self._next_watermark_ms
        result = self._execute(inputs)
        self.sink.add_batch(self.batch_id, result)
        self._next_watermark_ms = self.incremental.next_watermark(self.watermark_ms)
        epoch.add(inputs, result.num_rows)
        epoch.durations["addBatch"] = epoch.durations.get("addBatch", 0) + _ms(clock)
        position[:] = ends
        self.batch_id += 1
        return True

    def _poll(self, position: list[Any]) -> tuple[list[Any], list[pa.Table]] | None:
        """Each source's records after ``position``: by long-poll where the source can
        (``poll``: the Kafka source), else what ``latest_offset`` finds, read with
        ``get_batch``; None when nothing came and no batch without data is due."""
        ends: list[Any] = []
        tables: list[pa.Table | None] = []
        wait_ms = POLL_WAIT_MS if len(self.sources) == 1 else 0
        self._waited = False
        for source, start in zip(self.sources, position, strict=True):
            poll = getattr(source, "poll", None)
            polled = None if poll is None else poll(start, wait_ms)
            self._waited |= polled is not None and wait_ms > 0
            if polled is None:
                polled = (source.latest_offset(start, True, None), None)
            ends.append(polled[0])
            tables.append(polled[1])
        moved = ends != position or any(t is not None and t.num_rows for t in tables)
        if not moved and not self.incremental.wants_batch_without_data(
            self.watermark_ms, self._next_watermark_ms
        ):
            return None
        inputs = [
            table if table is not None else source.get_batch(start, end)
            for source, start, end, table in zip(self.sources, position, ends, tables, strict=True)
        ]
        return ends, inputs

    def _stores(self) -> list[StateStore]:
        return [s for o in self.incremental.stateful for s in o.stores]

    def _close_epoch(self, position: list[Any], epoch: _Epoch) -> None:
        clock = time.monotonic()
        last = self.batch_id - 1
        entry = OffsetSeq(
            offsets=tuple(position),
            batch_timestamp_ms=epoch.timestamp_ms,
            batch_watermark_ms=self.watermark_ms,
            conf={"spark.sql.streaming.stateStore.providerClass": "kaspar"},
        )
        self.checkpoint.write_offsets(last, entry)  # fsynced in the background, meanwhile:
        for store in self._stores():
            store.end_epoch()  # the epoch's state changes: one delta file, fsynced meanwhile
        flush = getattr(self.sink, "flush", None)
        if flush is not None:
            flush()  # every record of the epoch acknowledged before it commits
        self.checkpoint.wait_durable()  # the commit never lands before its offsets entry
        epoch.durations["walCommit"] = _ms(clock)
        clock = time.monotonic()
        state_syncs = self.incremental.take_syncs()
        commit_epoch = getattr(self.sink, "commit_epoch", None)
        if commit_epoch is not None:  # a transactional sink: its commit before ours
            for sync in state_syncs:
                sync.result()
            commit_epoch(last, self._next_watermark_ms)
        self.checkpoint.write_commit(last, self._next_watermark_ms, after=state_syncs)
        for source, end in zip(self.sources, position, strict=True):
            source.commit(end)
        epoch.durations["commitOffsets"] = _ms(clock)
        epoch.durations["triggerExecution"] = _ms(epoch.started)
        inputs = [pa.table({"rows": pa.nulls(n)}) for n in epoch.rows]  # counts only
        self.batch_id = last  # the progress names the epoch by its last chunk
        self._report(entry, inputs, epoch.durations, epoch.started, epoch.output_rows)
        self.batch_id = last + 1
        self.committed = list(position)


def _drop_state_after(folder: Path, version: int) -> None:
    """Delete state files newer than ``version``: a crashed epoch's chunks, which the replay
    cuts differently (a stale snapshot would otherwise be loaded later)."""
    if not folder.exists():
        return
    for path in folder.rglob("*"):
        match = _STATE_FILE.match(path.name)
        if match is not None and int(match.group(1)) > version:
            path.unlink()


def _ms(since: float) -> int:
    return int((time.monotonic() - since) * 1000)
