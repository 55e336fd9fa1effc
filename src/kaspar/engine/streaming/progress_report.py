"""One batch's progress report, with the fields of Spark's ``StreamingQueryProgress``.

The report is a plain dict built once per batch on the query's thread (cheap: no JSON, no
objects); ``kaspar.sql.streaming.progress`` turns it into Spark's JSON and PySpark's classes
only when ``lastProgress`` / ``recentProgress`` is read or a listener gets it.

Sources and sinks may offer what Spark's connectors do:

* ``report_latest_offset()`` (Spark's ``SupportsAdmissionControl.reportLatestOffset``): the
  latest offset available, before the read limit; ``latestOffset`` in the source's progress.
  Without it, ``latestOffset`` is the batch's end offset, or null for a source that says
  ``reports_latest_offset = False`` (the file source, as in Spark).
* ``metrics(end_offset)`` (Spark's ``ReportsSourceMetrics``): a ``dict[str, str]``, the
  source's ``metrics``. A source with Kafka's offsets (``{topic: {partition: offset}}``) that
  reports its latest offset but no metrics gets Spark's Kafka metrics
  (``offsets_behind_latest``).
* a sink's ``metrics()``: a ``dict[str, str]``, the sink's ``metrics``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa


@dataclass
class BatchFacts:
    """What one batch did, as the micro-batch loop saw it."""

    batch_id: int
    timestamp_ms: int
    starts: list[Any]
    ends: list[Any]
    inputs: list[pa.Table]
    durations: dict[str, int]
    since_last_trigger_s: float  # 0 for the first batch of the run
    output_rows: int


def offsets_behind_latest(consumed: Any, latest: Any) -> dict[str, str]:
    """Spark's Kafka source metrics: per partition of ``latest``, how far the batch's end is
    behind it (a partition the batch did not read counts from 0)."""
    if not isinstance(consumed, dict) or not isinstance(latest, dict):
        return {}
    behind = [
        int(offset) - int((consumed.get(topic) or {}).get(partition, 0))
        for topic, partitions in latest.items()
        if isinstance(partitions, dict)
        for partition, offset in partitions.items()
    ]
    if not behind:
        return {}
    return {
        "avgOffsetsBehindLatest": java_double(sum(behind) / len(behind)),
        "maxOffsetsBehindLatest": str(max(behind)),
        "minOffsetsBehindLatest": str(min(behind)),
    }


def java_double(value: float) -> str:
    """Java's ``Double.toString``, which Spark's metrics use: ``12.5`` from 1e-3 up to 1e7,
    ``1.2345678E7`` / ``5.0E-4`` outside (Python's ``repr`` says ``12345678.0`` / ``0.0005``)."""
    text = repr(float(value))
    if value == 0 or 1e-3 <= abs(value) < 1e7 or not math.isfinite(value):
        return text
    sign, digits, exponent = Decimal(text).normalize().as_tuple()
    assert isinstance(exponent, int)  # finite
    mantissa = "".join(map(str, digits))
    return f"{'-' if sign else ''}{mantissa[0]}.{mantissa[1:] or '0'}E{exponent + len(digits) - 1}"


def _kafka_shaped(offset: Any) -> bool:
    return isinstance(offset, dict) and all(isinstance(p, dict) for p in offset.values())


def latest_and_metrics(source: Any, end: Any) -> tuple[Any, dict[str, str] | None]:
    """A source's ``latestOffset`` and ``metrics`` for a trigger that read up to ``end``."""
    report_latest: Callable[[], Any] | None = getattr(source, "report_latest_offset", None)
    latest = report_latest() if report_latest is not None else end
    if report_latest is None and getattr(source, "reports_latest_offset", True) is False:
        latest = None
    metrics: Callable[[Any], dict[str, str]] | None = getattr(source, "metrics", None)
    if metrics is not None:
        return latest, dict(metrics(end))
    if report_latest is not None and _kafka_shaped(end) and _kafka_shaped(latest):
        return latest, offsets_behind_latest(end, latest)
    return latest, None


def source_progress(source: Any, facts: BatchFacts, index: int) -> dict[str, Any]:
    """One source's part of the report."""
    rows = facts.inputs[index].num_rows
    end = facts.ends[index]
    latest, metrics = latest_and_metrics(source, end)
    seconds = max(facts.durations["triggerExecution"], 1) / 1000
    since = facts.since_last_trigger_s
    out: dict[str, Any] = {
        "description": source.description,
        "startOffset": facts.starts[index],
        "endOffset": end,
        "latestOffset": latest,
        "numInputRows": rows,
        "inputRowsPerSecond": rows / since if since > 0 else 0.0,
        "processedRowsPerSecond": rows / seconds,
    }
    if metrics is not None:
        out["metrics"] = metrics
    return out


def sink_progress(sink: Any, output_rows: int) -> dict[str, Any]:
    out: dict[str, Any] = {"description": sink.description, "numOutputRows": output_rows}
    metrics: Callable[[], dict[str, str]] | None = getattr(sink, "metrics", None)
    if metrics is not None:
        out["metrics"] = dict(metrics())
    return out


def iso_timestamp(epoch_ms: float) -> str:
    """Spark's progress timestamps: ``2024-01-01T10:00:00.000Z``."""
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
