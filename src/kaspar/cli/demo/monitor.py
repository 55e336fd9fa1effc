"""What the demo shows while it runs, sampled from the platform and the queries.

* records in per topic: each topic's log end offsets (Kafka's ListOffsets), and their rate;
* per query: batches, records processed, the last batch's duration and rate (from a
  `StreamingQueryListener`'s `onQueryProgress`, PySpark's API) and its lag: the topics' log end
  offsets minus the offsets its last batch processed up to (the sources' `endOffset`);
* the latest results: the top customer totals and the latest window averages (read from their
  Delta tables with deltalake), and the latest alerts (the feedback pipeline's notifications).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from confluent_kafka import Consumer, TopicPartition
from deltalake import DeltaTable

from kaspar.cli.client_config import consumer_config
from kaspar.sql.streaming import StreamingQueryListener
from kaspar.sql.streaming.listener import (
    QueryProgressEvent,
    QueryStartedEvent,
    QueryTerminatedEvent,
)

Offsets = dict[str, dict[int, int]]
"""topic -> partition -> offset"""

OFFSETS_TIMEOUT_S = 5.0


@dataclass
class QueryStats:
    """One query's progress so far, from its progress events."""

    batches: int = 0
    input_rows: int = 0
    last_duration_ms: int | None = None
    processed_rows_per_second: float = 0.0
    end_offsets: Offsets = field(default_factory=dict)
    watermark: str | None = None


class ProgressListener(StreamingQueryListener):
    """Adds up the progress events of the session's queries, by query name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stats: dict[str, QueryStats] = {}

    def onQueryStarted(self, event: QueryStartedEvent) -> None:
        with self._lock:
            self._stats.setdefault(event.name or str(event.id), QueryStats())

    def onQueryProgress(self, event: QueryProgressEvent) -> None:
        progress = event.progress
        with self._lock:
            stats = self._stats.setdefault(progress.name or str(progress.id), QueryStats())
            stats.batches = max(stats.batches, progress.batchId + 1)
            stats.input_rows += progress.numInputRows
            stats.last_duration_ms = progress.durationMs.get("triggerExecution")
            stats.processed_rows_per_second = progress.processedRowsPerSecond or 0.0
            for source in progress.sources:
                stats.end_offsets.update(parse_offsets(source.endOffset))
            stats.watermark = progress.eventTime.get("watermark", stats.watermark)

    def onQueryTerminated(self, event: QueryTerminatedEvent) -> None:
        pass

    def snapshot(self) -> dict[str, QueryStats]:
        """A copy of every query's stats."""
        with self._lock:
            return {
                name: QueryStats(
                    s.batches,
                    s.input_rows,
                    s.last_duration_ms,
                    s.processed_rows_per_second,
                    {t: dict(p) for t, p in s.end_offsets.items()},
                    s.watermark,
                )
                for name, s in self._stats.items()
            }


def parse_offsets(text: str | None) -> Offsets:
    """A Kafka source's offset JSON (`{"orders":{"0":12,"1":7}}`) as ints."""
    if not text:
        return {}
    raw: dict[str, dict[str, int]] = json.loads(text)
    return {topic: {int(p): int(o) for p, o in parts.items()} for topic, parts in raw.items()}


class LogEndOffsets:
    """The log end offset of every partition of the demo's topics (one consumer, reused)."""

    def __init__(self, bootstrap: str, partitions: dict[str, int]) -> None:
        self._consumer = Consumer(consumer_config(bootstrap))
        self._partitions = partitions

    def read(self) -> Offsets:
        offsets: Offsets = {}
        for topic, count in self._partitions.items():
            offsets[topic] = {
                p: self._consumer.get_watermark_offsets(
                    TopicPartition(topic, p), timeout=OFFSETS_TIMEOUT_S, cached=False
                )[1]
                for p in range(count)
            }
        return offsets

    def close(self) -> None:
        self._consumer.close()


def lag(stats: QueryStats, topics: list[str], ends: Offsets) -> int:
    """Records in `topics` the query has not processed yet."""
    return sum(
        end - stats.end_offsets.get(topic, {}).get(partition, 0)
        for topic in topics
        for partition, end in ends.get(topic, {}).items()
    )


class DeltaResults:
    """The latest rows of the demo's Delta tables (each table opened once, then updated)."""

    def __init__(self, tables: dict[str, Path]) -> None:
        self._paths = tables
        self._tables: dict[str, DeltaTable] = {}

    def read(self, name: str, filter_expression: Any = None) -> pa.Table | None:
        table = self._tables.get(name)
        try:
            if table is None:
                table = self._tables[name] = DeltaTable(str(self._paths[name]))
            else:
                table.update_incremental()
        except Exception:  # noqa: BLE001 - no table yet (its first batch is not committed)
            return None
        return table.to_pyarrow_dataset().to_table(filter=filter_expression)

    def top_totals(self, count: int = 6) -> list[tuple[str, float]]:
        totals = self.read("order_totals")
        if totals is None:
            return []
        rows = totals.sort_by([("total", "descending")]).slice(0, count).to_pylist()
        return [(row["customerId"], row["total"]) for row in rows]

    def latest_windows(self, watermark: str | None) -> list[dict[str, Any]]:
        """Each sensor's latest window written (the windows ending after watermark - 90 s)."""
        recent = None
        if watermark:
            since = datetime.fromisoformat(watermark.replace("Z", "+00:00")) - timedelta(seconds=90)
            recent = pc.field("window_end") >= pa.scalar(since, pa.timestamp("us", "UTC"))
        windows = self.read("sensor_averages", recent)
        if windows is None:
            return []
        latest: dict[str, dict[str, Any]] = {}
        for row in windows.sort_by([("window_end", "ascending")]).to_pylist():
            latest[row["sensorId"]] = row
        return [latest[sensor] for sensor in sorted(latest)]


@dataclass
class Sample:
    """One look at the demo: what every part of the display shows."""

    elapsed_s: float
    ends: Offsets
    rates: dict[str, float]
    queries: dict[str, QueryStats]
    totals: list[tuple[str, float]]
    windows: list[dict[str, Any]]
    alerts: list[dict[str, str]]
    alert_count: int


class Sampler:
    """Takes `Sample`s; rates are per second between two samples."""

    def __init__(
        self, offsets: LogEndOffsets, listener: ProgressListener, results: DeltaResults
    ) -> None:
        self.offsets, self.listener, self.results = offsets, listener, results
        self.started = time.monotonic()
        self._last: tuple[float, Offsets] | None = None

    def sample(self, alerts: list[dict[str, str]]) -> Sample:
        now, ends = time.monotonic(), self.offsets.read()
        rates: dict[str, float] = {}
        if self._last is not None and now > self._last[0]:
            before, seconds = self._last[1], now - self._last[0]
            rates = {t: (total(ends, t) - total(before, t)) / seconds for t in ends}
        self._last = (now, ends)
        queries = self.listener.snapshot()
        sensors = queries.get("sensor_averages")
        return Sample(
            elapsed_s=now - self.started,
            ends=ends,
            rates=rates,
            queries=queries,
            totals=self.results.top_totals(),
            windows=self.results.latest_windows(sensors.watermark if sensors else None),
            alerts=alerts[-4:],
            alert_count=len(alerts),
        )


def total(offsets: Offsets, topic: str) -> int:
    return sum(offsets.get(topic, {}).values())
