"""The micro-batch loop: one batch of a streaming query, checkpointed like Spark's.

A batch runs these steps, in this order (``run_batch`` mirrors them):

1. **Plan offsets.** For each source, ``latest_offset(start, limited, until)``: what is
   available now, limited by its read limit (``maxOffsetsPerTrigger``) unless the trigger is
   ``once``, and capped at the offsets seen when an ``availableNow`` query started. If no source
   moved, there is no batch.
2. **Write ``offsets/<batch id>``** (Spark's format: ``v1``, batch metadata, one offset per
   source). From here on the batch's input is fixed: a restart re-runs exactly this range.
3. **Run.** ``source.get_batch(start, end)`` gives each source's rows as Arrow; a source that
   can account for its range checks the batch holds all of it and fails the query otherwise
   (Kafka: ``kafka_completeness``), so a short batch never reaches step 5. The rows are
   registered under this query's own leaf names (never the shared DataFrame's) and the plan
   runs through the batch engine (the same compiled DuckDB query every batch).
4. **Sink.** ``sink.add_batch(batch_id, table)``, idempotent per batch id (Delta ``txn``,
   a Kafka transaction with a batch marker, the memory sink's last batch id).
   Stateful operators (``stateful.py``) run inside this step: they merge the batch into their
   state and write state version ``batch_id + 1`` before the sink sees the output.
5. **Write ``commits/<batch id>``** with the watermark for the next batch, then
   ``source.commit(end)``.

Each query has its own instance of every source (``for_query``), its own checkpoint, state
store and batch tables: queries started from one DataFrame, in one session or from many
threads, share only the session's DuckDB connection, which runs one statement at a time.

On restart (``recover``) the query resumes after the last committed batch, with the state of
that batch and its watermark; an ``offsets`` entry without a ``commits`` entry is re-run with
the same offsets, watermark and starting state, so its output is the same and the idempotent
sink skips what it already has.

When no source has new data but the watermark moved and some operator evicts state by it, a
batch runs anyway with no input rows (Spark's no-data batch), so windows close on time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from kaspar.engine.execution import Executor
from kaspar.engine.plan import logical as L
from kaspar.engine.streaming.check_streaming_support import streaming_relations
from kaspar.engine.streaming.checkpoint import Checkpoint, OffsetSeq
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
        latest = self.checkpoint.latest_offsets()
        if latest is not None:
            batch_id, entry = latest
            if self.checkpoint.latest_commit() == batch_id:
                self.batch_id, self.committed = batch_id + 1, list(entry.offsets)
                self._next_watermark_ms = self.checkpoint.commit_watermark(batch_id)
            else:
                self.batch_id, self.pending = batch_id, entry
                self._next_watermark_ms = entry.batch_watermark_ms
                if batch_id > 0:
                    self.committed = list(self.checkpoint.offsets(batch_id - 1).offsets)
        self.watermark_ms = self._next_watermark_ms
        self.incremental.open_state(self.checkpoint.root / "state", self.batch_id)
        if self.trigger.kind == "availableNow":
            self.until = [_available_now_cap(s, c) for s, c in zip(*self._sc(), strict=True)]

    def _sc(self) -> tuple[list[StreamSource], list[Any]]:
        return self.sources, self.committed

    def run_batch(self) -> bool:
        """Steps 1-6 for the next batch; False when no source has new data."""
        started = time.monotonic()
        durations: dict[str, int] = {}
        # 1 plan offsets (a pending entry from before a restart is re-run as it is)
        clock = time.monotonic()
        entry, latest = self._plan_offsets()
        durations["latestOffset"] = _ms(clock)
        if entry is None:
            return False
        self.on_batch_planned()
        # 2 write offsets/<batch id>
        clock = time.monotonic()
        if self.pending is None:
            self.checkpoint.write_offsets(self.batch_id, entry)
        self.pending = None
        durations["walCommit"] = _ms(clock)
        # 3 run the batch through the batch engine
        clock = time.monotonic()
        inputs = [s.get_batch(c, e) for s, c, e in zip(*self._sc(), entry.offsets, strict=True)]
        durations["getBatch"] = _ms(clock)
        clock = time.monotonic()
        self.watermark_ms = entry.batch_watermark_ms
        result = self._execute(inputs)
        durations["queryPlanning"] = 0
        # 4 sink.add_batch, idempotent per batch id
        self.sink.add_batch(self.batch_id, result)
        durations["addBatch"] = _ms(clock)
        # 5 write commits/<batch id> with the next watermark, then let the sources forget
        clock = time.monotonic()
        self._next_watermark_ms = self.incremental.next_watermark(self.watermark_ms)
        self.checkpoint.write_commit(self.batch_id, self._next_watermark_ms)
        for source, end in zip(self.sources, entry.offsets, strict=True):
            source.commit(end)
        durations["commitOffsets"] = _ms(clock)
        durations["triggerExecution"] = _ms(started)
        self._report(entry, latest, inputs, durations, started, result.num_rows)
        self.committed = list(entry.offsets)
        self.batch_id += 1
        return True

    def _plan_offsets(self) -> tuple[OffsetSeq | None, list[Any]]:
        if self.pending is not None:
            return self.pending, list(self.pending.offsets)
        limited = self.trigger.respects_read_limits
        until = self.until or [None] * len(self.sources)
        ends = [s.latest_offset(c, limited, u) for s, c, u in zip(*self._sc(), until, strict=True)]
        if ends == self.committed and not self.incremental.wants_batch_without_data(
            self.watermark_ms, self._next_watermark_ms
        ):
            return None, ends
        entry = OffsetSeq(
            offsets=tuple(ends),
            batch_timestamp_ms=int(time.time() * 1000),
            batch_watermark_ms=self._next_watermark_ms,
            conf={"spark.sql.streaming.stateStore.providerClass": "kaspar"},
        )
        return entry, ends

    def _execute(self, inputs: list[pa.Table]) -> pa.Table:
        batches = {}
        for relation, table in zip(self.relations, inputs, strict=True):
            renamed = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
            # registered under this query's own leaf name, never the shared relation's
            batches[self.incremental.sources[relation].name] = renamed.cast(relation.table.schema)
        result = self.incremental.run(batches, self.watermark_ms, self.batch_id)
        return result.rename_columns(self.incremental.output.schema.names)

    def _report(  # noqa: PLR0917 - one batch's facts
        self,
        entry: OffsetSeq,
        latest: list[Any],
        inputs: list[pa.Table],
        durations: dict[str, int],
        started: float,
        output_rows: int,
    ) -> None:
        rows = sum(t.num_rows for t in inputs)
        since_last = started - self._last_trigger_ms if self._last_trigger_ms else 0.0
        self._last_trigger_ms = started
        seconds = max(durations["triggerExecution"], 1) / 1000
        input_rate = rows / since_last if since_last > 0 else 0.0
        sources = [
            {
                "description": s.description,
                "startOffset": c,
                "endOffset": e,
                "latestOffset": lo,
                "numInputRows": t.num_rows,
                "inputRowsPerSecond": t.num_rows / since_last if since_last > 0 else 0.0,
                "processedRowsPerSecond": t.num_rows / seconds,
            }
            for s, c, e, lo, t in zip(*self._sc(), entry.offsets, latest, inputs, strict=True)
        ]
        self.on_progress(
            {
                "id": self.identity.id,
                "runId": self.identity.run_id,
                "name": self.identity.name,
                "timestamp": _iso(entry.batch_timestamp_ms),
                "batchId": self.batch_id,
                "batchDuration": durations["triggerExecution"],
                "numInputRows": rows,
                "inputRowsPerSecond": input_rate,
                "processedRowsPerSecond": rows / seconds,
                "durationMs": durations,
                "eventTime": self.incremental.event_time(self.watermark_ms),
                "stateOperators": self.incremental.state_progress(),
                "sources": sources,
                "sink": {"description": self.sink.description, "numOutputRows": output_rows},
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


def _iso(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp((epoch_ms or time.time() * 1000) / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
