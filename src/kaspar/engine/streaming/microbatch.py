"""The micro-batch loop: one batch of a streaming query, checkpointed like Spark's.

A batch runs these steps, in this order (``run_batch`` mirrors them):

1. **Plan offsets.** For each source, ``latest_offset(start, limited, until)``: what is
   available now, limited by its read limit (``maxOffsetsPerTrigger``) unless the trigger is
   ``once``, and capped at the offsets seen when an ``availableNow`` query started. If no source
   moved, there is no batch.
2. **Write ``offsets/<batch id>``** (Spark's format: ``v1``, batch metadata, one offset per
   source), on a background thread that also fsyncs it (``durable_write``) while step 3 runs.
3. **Run.** ``source.get_batch(start, end)`` gives each source's rows as Arrow; a source that
   can account for its range checks the batch holds all of it and fails the query otherwise
   (Kafka: ``kafka_completeness``), so a short batch never reaches step 5. The rows are
   registered under this query's own leaf names (never the shared DataFrame's) and the plan
   runs through the batch engine (the same compiled DuckDB query every batch). Stateful
   operators (``stateful.py``) merge the batch into their state and write state version
   ``batch_id + 1``; those files' fsyncs run in the background too.
4. **Wait for the offsets** (``offsets/<batch id>``, and ``commits/<batch id - 1>`` if it is
   still being written): from here on the batch's input is fixed on disk, and a restart
   re-runs exactly this range; and the sink never sees a batch before the previous one is
   committed.
5. **Sink.** ``sink.add_batch(batch_id, table)``, idempotent per batch id (Delta ``txn``,
   a Kafka transaction with a batch marker, the memory sink's last batch id).
6. **Write ``commits/<batch id>``** with the watermark for the next batch, once the state
   files of step 3 are on disk: a background thread writes and fsyncs it when their fsyncs
   finish (at once for a stateless query), and the next batch's step 4 (or the query's end,
   or ``processAllAvailable``) waits for it. Then ``source.commit(end)``.
7. **Report** the batch's progress (a plain dict; ``lastProgress`` objects and listener events
   are built from it only when read or delivered).

So the loop waits for the disk only in step 4, usually after the fsyncs finished while the
batch ran. A crash before a ``commits`` entry is on disk re-runs that batch from its
``offsets`` entry (the sink skips what it has); an ``offsets`` entry after it never reached
a sink (step 4) and is planned again.

Each query has its own instance of every source (``for_query``), its own checkpoint, state
store and batch tables: queries started from one DataFrame, in one session or from many
threads, share only the session's DuckDB connection, which runs one statement at a time.

On restart (``recover``) the query resumes after the last committed batch, with the state of
that batch and its watermark; the ``offsets`` entry after it, if any, is re-run with the same
offsets, watermark and starting state, so its output is the same and the idempotent sink skips
what it already has. Entries a crash cut short are skipped (``checkpoint.py``).

Batch 0 runs at the first trigger when a source always has an offset (Kafka, rate: hook
``first_batch_without_data``), with no rows if nothing arrived, as Spark runs it.

When no source has new data but the watermark moved and some operator evicts state by it, a
batch runs anyway with no input rows (Spark's no-data batch), so windows close on time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from kaspar.engine.execution import Executor
from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.check_streaming_support import streaming_relations
from kaspar.engine.streaming.checkpoint import Checkpoint, OffsetSeq
from kaspar.engine.streaming.progress_report import (
    BatchFacts,
    iso_timestamp,
    sink_progress,
    source_progress,
)
from kaspar.engine.streaming.sinks import StreamSink
from kaspar.engine.streaming.sources import StreamSource
from kaspar.engine.streaming.stateful import IncrementalPlan
from kaspar.engine.streaming.trigger import Trigger


@dataclass
class QueryIdentity:
    id: str
    run_id: str
    name: str | None


class MicroBatchExecution:
    """The batches of one run of a query; ``run_batch`` runs the next one, if there is one."""

    def __init__(  # noqa: PLR0917 - the parts of a query, all required
        self,
        identity: QueryIdentity,
        plan: L.LogicalPlan,
        executor: Executor,
        checkpoint: Checkpoint,
        sink: StreamSink,
        trigger: Trigger,
        output_mode: str = "append",
    ) -> None:
        self.identity = identity
        self.plan = plan
        self.executor = executor
        self.checkpoint = checkpoint
        self.sink = sink
        self.trigger = trigger
        self.relations = streaming_relations(plan)
        self.incremental = IncrementalPlan.build(plan, executor, output_mode)
        self.watermark_ms = 0  # the watermark of the batch about to run
        self.batch_timestamp_ms: int | None = None  # and its processing time (offsets entry)
        self._next_watermark_ms = 0
        self.sources: list[StreamSource] = [_for_query(r) for r in self.relations]
        self.batch_id = 0
        self.committed: list[Any] = []
        self.pending: OffsetSeq | None = None  # an offsets entry to re-run (no commit yet)
        self.until: list[Any] | None = None
        self.on_progress: Callable[[dict[str, Any]], None] = lambda _: None
        self.on_batch_planned: Callable[[], None] = lambda: None
        self._last_trigger_ms = 0.0

    def recover(self) -> None:
        """Find where to continue from the checkpoint; resolve and persist initial offsets."""
        initial = []
        for index, source in enumerate(self.sources):
            attach = getattr(source, "attach", None)
            if attach is not None:  # the folder is the source's own log (files): no offset file
                attach(self.checkpoint.root / "sources" / str(index))
                initial.append(source.initial_offset())
                continue
            offset = self.checkpoint.initial_offset(index)
            if offset is None:
                offset = source.initial_offset()
                self.checkpoint.write_initial_offset(index, offset)
            initial.append(offset)
        self.committed = initial
        self.checkpoint.sync_latest()
        latest = self.checkpoint.latest_offsets()
        committed = self.checkpoint.latest_commit()
        if latest is not None and committed is not None and committed == latest[0]:
            self.batch_id, self.committed = committed + 1, list(latest[1].offsets)
            self._next_watermark_ms = self.checkpoint.commit_watermark(committed)
        elif latest is not None:
            # the batch after the last commit re-runs from its entry; later entries (a crash
            # while that commit was being written) never reached a sink: planned again
            self.batch_id = 0 if committed is None else committed + 1
            self.pending = self.checkpoint.offsets(self.batch_id)
            self._next_watermark_ms = self.pending.batch_watermark_ms
            if self.batch_id > 0:
                self.committed = list(self.checkpoint.offsets(self.batch_id - 1).offsets)
        self.watermark_ms = self._next_watermark_ms
        self.incremental.open_state(self.checkpoint.root / "state", self.batch_id)
        if self.trigger.kind == "availableNow":
            self.until = [_available_now_cap(s, c) for s, c in zip(*self._sc(), strict=True)]

    def _sc(self) -> tuple[list[StreamSource], list[Any]]:
        return self.sources, self.committed

    def run_batch(self) -> bool:
        """Steps 1-7 for the next batch; False when no source has new data."""
        started = time.monotonic()
        durations: dict[str, int] = {}
        # 1 plan offsets (a pending entry from before a restart is re-run as it is)
        entry = self._plan_offsets()
        durations["latestOffset"] = _ms(started)
        if entry is None:
            return False
        self.on_batch_planned()
        # 2 write offsets/<batch id> (and fsync it) in the background while the batch runs
        clock = time.monotonic()
        if self.pending is None:
            self.checkpoint.write_offsets(self.batch_id, entry)
        self.pending = None
        durations["walCommit"] = _ms(clock)
        # 3 run the batch through the batch engine (stateful operators write their state)
        clock = time.monotonic()
        inputs = [s.get_batch(c, e) for s, c, e in zip(*self._sc(), entry.offsets, strict=True)]
        durations["getBatch"] = _ms(clock)
        clock = time.monotonic()
        self.watermark_ms = entry.batch_watermark_ms
        self.batch_timestamp_ms = entry.batch_timestamp_ms or int(time.time() * 1000)
        result = self._execute(inputs)
        durations["queryPlanning"] = 0
        # 4 the offsets (and the previous commit) are on disk before the sink sees the batch
        self.checkpoint.wait_durable()
        # 5 sink.add_batch, idempotent per batch id
        self.sink.add_batch(self.batch_id, result)
        durations["addBatch"] = _ms(clock)
        # 6 commits/<batch id> with the next watermark, once the state files are on disk
        clock = time.monotonic()
        self._next_watermark_ms = self.incremental.next_watermark(self.watermark_ms)
        state_syncs = self.incremental.take_syncs()
        self.checkpoint.write_commit(self.batch_id, self._next_watermark_ms, after=state_syncs)
        for source, end in zip(self.sources, entry.offsets, strict=True):
            source.commit(end)
        durations["commitOffsets"] = _ms(clock)
        durations["triggerExecution"] = _ms(started)
        # 7 report
        self._report(entry, inputs, durations, started, result.num_rows)
        self.committed = list(entry.offsets)
        self.batch_id += 1
        return True

    def _plan_offsets(self) -> OffsetSeq | None:
        if self.pending is not None:
            return self.pending
        limited = self.trigger.respects_read_limits
        until = self.until or [None] * len(self.sources)
        ends = [s.latest_offset(c, limited, u) for s, c, u in zip(*self._sc(), until, strict=True)]
        if (
            ends == self.committed
            and not self._first_batch_due()
            and not self.incremental.wants_batch_without_data(
                self.watermark_ms, self._next_watermark_ms
            )
        ):
            return None
        return OffsetSeq(
            offsets=tuple(ends),
            batch_timestamp_ms=int(time.time() * 1000),
            batch_watermark_ms=self._next_watermark_ms,
            conf={"spark.sql.streaming.stateStore.providerClass": "kaspar"},
        )

    def _first_batch_due(self) -> bool:
        """Spark runs batch 0 as soon as a source that always has an offset (Kafka, rate) gives
        one, with no rows if nothing arrived: nothing is committed yet, so any offset is new
        (the console sink's empty "Batch: 0" on ``startingOffsets`` latest)."""
        return self.batch_id == 0 and any(
            getattr(source, "first_batch_without_data", False) for source in self.sources
        )

    def _execute(self, inputs: list[pa.Table]) -> pa.Table:
        batches = {}
        for relation, table in zip(self.relations, inputs, strict=True):
            renamed = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
            # registered under this query's own leaf name, never the shared relation's
            batches[self.incremental.sources[relation].name] = renamed.cast(relation.table.schema)
        when = self.batch_timestamp_ms
        result = self.incremental.run(batches, self.watermark_ms, self.batch_id, when)
        return result.rename_columns(self.incremental.output.schema.names)

    def _report(
        self,
        entry: OffsetSeq,
        inputs: list[pa.Table],
        durations: dict[str, int],
        started: float,
        output_rows: int,
    ) -> None:
        """Step 7: the batch's progress, as a plain dict (``progress_report.py``)."""
        since_last = started - self._last_trigger_ms if self._last_trigger_ms else 0.0
        self._last_trigger_ms = started
        facts = BatchFacts(
            self.batch_id,
            entry.batch_timestamp_ms or int(time.time() * 1000),
            self.committed,
            list(entry.offsets),
            inputs,
            durations,
            since_last,
            output_rows,
        )
        rows = sum(t.num_rows for t in inputs)
        seconds = max(durations["triggerExecution"], 1) / 1000
        self.on_progress(
            {
                "id": self.identity.id,
                "runId": self.identity.run_id,
                "name": self.identity.name,
                "timestamp": iso_timestamp(facts.timestamp_ms),
                "batchId": self.batch_id,
                "batchDuration": durations["triggerExecution"],
                "numInputRows": rows,
                "inputRowsPerSecond": rows / since_last if since_last > 0 else 0.0,
                "processedRowsPerSecond": rows / seconds,
                "durationMs": durations,
                "eventTime": self.incremental.event_time(self.watermark_ms),
                "stateOperators": self.incremental.state_progress(),
                "sources": [source_progress(s, facts, i) for i, s in enumerate(self.sources)],
                "sink": sink_progress(self.sink, output_rows),
            }
        )


def _for_query(relation: L.StreamingRelation) -> StreamSource:
    """The source as this query reads it: its own instance (``for_query``), so queries started
    from the same DataFrame share no consumer, position, cache or connection."""
    source: StreamSource = relation.source  # type: ignore[assignment]
    return source.for_query()


def _available_now_cap(source: StreamSource, start: Any) -> Any:
    """What an ``availableNow`` query reads up to: the latest offset now, or nothing for a source
    that snapshots what is available itself (Spark's ``SupportsTriggerAvailableNow``: the file
    source lists its files once)."""
    prepare = getattr(source, "prepare_for_trigger_available_now", None)
    if prepare is not None:
        prepare()
        return None
    return source.latest_offset(start, False, None)


def _ms(since: float) -> int:
    return int((time.monotonic() - since) * 1000)
