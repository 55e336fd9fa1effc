"""``StreamingQueryProgress`` and its parts (PySpark's ``pyspark.sql.streaming.listener``).

As in PySpark 4, each class is a ``dict`` with attribute access as well, built from the JSON
Spark writes for a progress (``fromJson``): doubles rounded to one decimal, empty maps left out
of the JSON (and ``{}`` in the dict), offsets turned into JSON strings. ``progress_json`` turns
the engine's progress report into that JSON.
"""

from __future__ import annotations

import json
import math
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from kaspar.sql.types import Row

_RATES = ("inputRowsPerSecond", "processedRowsPerSecond")
_SOURCE_KEYS = ("description", "startOffset", "endOffset", "latestOffset", "numInputRows")
_STATE_KEYS = (
    "operatorName",
    "numRowsTotal",
    "numRowsUpdated",
    "allUpdatesTimeMs",
    "numRowsRemoved",
    "allRemovalsTimeMs",
    "commitTimeMs",
    "memoryUsedBytes",
    "numRowsDroppedByWatermark",
    "numShufflePartitions",
    "numStateStoreInstances",
)


def progress_json(progress: dict[str, Any]) -> dict[str, Any]:
    """The engine's progress report as Spark's ``StreamingQueryProgress.json`` has it."""
    out: dict[str, Any] = {key: progress.get(key) for key in ("id", "runId", "name", "timestamp")}
    out["batchId"] = progress.get("batchId", 0)
    out["batchDuration"] = progress.get("batchDuration", 0)
    out["numInputRows"] = progress.get("numInputRows", 0)
    _put_rates(out, progress)
    _put_map(out, "durationMs", progress.get("durationMs"))
    _put_map(out, "eventTime", progress.get("eventTime"))
    out["stateOperators"] = [_state_json(s) for s in progress.get("stateOperators") or []]
    out["sources"] = [_source_json(s) for s in progress.get("sources") or []]
    sink = progress.get("sink") or {}
    out["sink"] = {
        "description": sink.get("description", ""),
        "numOutputRows": sink.get("numOutputRows", -1),
    }
    _put_map(out["sink"], "metrics", sink.get("metrics"))
    metrics = progress.get("observedMetrics") or {}
    _put_map(out, "observedMetrics", {k: _row_json(v) for k, v in metrics.items()})
    return out


def _rate(value: Any) -> float | None:
    """Spark's ``safeDecimalToJValue``: one decimal, half up; NaN and infinity left out."""
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        return None
    return float(Decimal(repr(number)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _put_rates(out: dict[str, Any], part: dict[str, Any]) -> None:
    for key in _RATES:
        rate = _rate(part.get(key, 0.0))
        if rate is not None:
            out[key] = rate


def _put_map(out: dict[str, Any], key: str, value: dict[str, Any] | None) -> None:
    """Spark's ``safeMapToJValue``: keys sorted, an empty map left out."""
    if value:
        out[key] = {k: value[k] for k in sorted(value)}


def _source_json(source: dict[str, Any]) -> dict[str, Any]:
    out = {key: source.get(key) for key in _SOURCE_KEYS}
    _put_rates(out, source)
    _put_map(out, "metrics", source.get("metrics"))
    return out


def _state_json(state: dict[str, Any]) -> dict[str, Any]:
    out = {key: state.get(key, 0) for key in _STATE_KEYS}
    _put_map(out, "customMetrics", state.get("customMetrics"))
    return out


def _row_json(row: Any) -> dict[str, Any]:
    return dict(row.asDict()) if isinstance(row, Row) else dict(row)


def _to_json_string(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class _JsonDict(dict[str, Any]):
    """A part of a progress: a dict, its JSON kept as Spark wrote it."""

    _jdict: dict[str, Any]

    @property
    def json(self) -> str:
        """The compact JSON representation of this progress."""
        return json.dumps(self._jdict)

    @property
    def prettyJson(self) -> str:
        """The pretty (i.e. indented) JSON representation of this progress."""
        return json.dumps(self._jdict, indent=4)

    def __str__(self) -> str:
        return self.prettyJson

    def __repr__(self) -> str:
        return self.prettyJson


class StateOperatorProgress(_JsonDict):
    """Information about updates made to a stateful operator during a trigger."""

    def __init__(self, jdict: dict[str, Any] | None = None, **fields: Any) -> None:
        super().__init__(**fields)
        self._jdict = jdict if jdict is not None else dict(fields)

    @classmethod
    def fromJson(cls, j: dict[str, Any]) -> StateOperatorProgress:
        fields = {key: j[key] for key in _STATE_KEYS}
        return cls(jdict=j, **fields, customMetrics=dict(j.get("customMetrics", {})))

    operatorName = property(lambda self: cast(str, self["operatorName"]))
    numRowsTotal = property(lambda self: cast(int, self["numRowsTotal"]))
    numRowsUpdated = property(lambda self: cast(int, self["numRowsUpdated"]))
    allUpdatesTimeMs = property(lambda self: cast(int, self["allUpdatesTimeMs"]))
    numRowsRemoved = property(lambda self: cast(int, self["numRowsRemoved"]))
    allRemovalsTimeMs = property(lambda self: cast(int, self["allRemovalsTimeMs"]))
    commitTimeMs = property(lambda self: cast(int, self["commitTimeMs"]))
    memoryUsedBytes = property(lambda self: cast(int, self["memoryUsedBytes"]))
    numRowsDroppedByWatermark = property(lambda self: cast(int, self["numRowsDroppedByWatermark"]))
    numShufflePartitions = property(lambda self: cast(int, self["numShufflePartitions"]))
    numStateStoreInstances = property(lambda self: cast(int, self["numStateStoreInstances"]))
    customMetrics = property(lambda self: cast(dict[str, int], self["customMetrics"]))


class SourceProgress(_JsonDict):
    """What one source contributed to a trigger; offsets are JSON strings."""

    def __init__(self, jdict: dict[str, Any] | None = None, **fields: Any) -> None:
        super().__init__(**fields)
        self._jdict = jdict if jdict is not None else dict(fields)

    @classmethod
    def fromJson(cls, j: dict[str, Any]) -> SourceProgress:
        return cls(
            jdict=j,
            description=j["description"],
            startOffset=_to_json_string(j["startOffset"]),
            endOffset=_to_json_string(j["endOffset"]),
            latestOffset=_to_json_string(j["latestOffset"]),
            numInputRows=j["numInputRows"],
            inputRowsPerSecond=j.get("inputRowsPerSecond"),
            processedRowsPerSecond=j.get("processedRowsPerSecond"),
            metrics=dict(j.get("metrics", {})),
        )

    description = property(lambda self: cast(str, self["description"]))
    startOffset = property(lambda self: cast(str, self["startOffset"]))
    endOffset = property(lambda self: cast(str, self["endOffset"]))
    latestOffset = property(lambda self: cast(str, self["latestOffset"]))
    numInputRows = property(lambda self: cast(int, self["numInputRows"]))
    inputRowsPerSecond = property(lambda self: cast(float, self["inputRowsPerSecond"]))
    processedRowsPerSecond = property(lambda self: cast(float, self["processedRowsPerSecond"]))
    metrics = property(lambda self: cast(dict[str, str], self["metrics"]))


class SinkProgress(_JsonDict):
    """The sink of a trigger; ``numOutputRows`` is -1 when the sink does not count."""

    def __init__(self, jdict: dict[str, Any] | None = None, **fields: Any) -> None:
        super().__init__(**fields)
        self._jdict = jdict if jdict is not None else dict(fields)

    @classmethod
    def fromJson(cls, j: dict[str, Any]) -> SinkProgress:
        return cls(
            jdict=j,
            description=j["description"],
            numOutputRows=j["numOutputRows"],
            metrics=dict(j.get("metrics", {})),
        )

    description = property(lambda self: cast(str, self["description"]))
    numOutputRows = property(lambda self: cast(int, self["numOutputRows"]))
    metrics = property(lambda self: cast(dict[str, str], self["metrics"]))


class StreamingQueryProgress(_JsonDict):
    """The progress of one trigger (``query.lastProgress``, ``QueryProgressEvent.progress``).

    ``progress["id"]`` is a string (as before PySpark 4), ``progress.id`` a ``uuid.UUID``.
    """

    def __init__(self, jdict: dict[str, Any] | None = None, **fields: Any) -> None:
        super().__init__(**fields)
        self._jdict = jdict if jdict is not None else dict(fields)

    @classmethod
    def fromJson(cls, j: dict[str, Any]) -> StreamingQueryProgress:
        metrics = j.get("observedMetrics", {})
        return cls(
            jdict=j,
            id=uuid.UUID(j["id"]),
            runId=uuid.UUID(j["runId"]),
            name=j["name"],
            timestamp=j["timestamp"],
            batchId=j["batchId"],
            batchDuration=j["batchDuration"],
            durationMs=dict(j.get("durationMs", {})),
            eventTime=dict(j.get("eventTime", {})),
            stateOperators=[StateOperatorProgress.fromJson(s) for s in j["stateOperators"]],
            sources=[SourceProgress.fromJson(s) for s in j["sources"]],
            sink=SinkProgress.fromJson(j["sink"]),
            numInputRows=j.get("numInputRows"),
            inputRowsPerSecond=j.get("inputRowsPerSecond"),
            processedRowsPerSecond=j.get("processedRowsPerSecond"),
            observedMetrics={k: Row(**v) for k, v in metrics.items()},
        )

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        return str(value) if key in ("id", "runId") else value

    @property
    def id(self) -> uuid.UUID:
        return cast(uuid.UUID, super().__getitem__("id"))

    @property
    def runId(self) -> uuid.UUID:
        return cast(uuid.UUID, super().__getitem__("runId"))

    name = property(lambda self: cast("str | None", self["name"]))
    timestamp = property(lambda self: cast(str, self["timestamp"]))
    batchId = property(lambda self: cast(int, self["batchId"]))
    batchDuration = property(lambda self: cast(int, self["batchDuration"]))
    durationMs = property(lambda self: cast(dict[str, int], self["durationMs"]))
    eventTime = property(lambda self: cast(dict[str, str], self["eventTime"]))
    stateOperators = property(
        lambda self: cast(list[StateOperatorProgress], self["stateOperators"])
    )
    sources = property(lambda self: cast(list[SourceProgress], self["sources"]))
    sink = property(lambda self: cast(SinkProgress, self["sink"]))
    observedMetrics = property(lambda self: cast(dict[str, Row], self["observedMetrics"]))

    @property
    def numInputRows(self) -> int:
        """The number of rows read in this trigger, over all sources."""
        total = self["numInputRows"]
        return int(total if total is not None else sum(s.numInputRows for s in self.sources))

    @property
    def inputRowsPerSecond(self) -> float:
        """The rate at which data arrived, over all sources."""
        return self._rate("inputRowsPerSecond")

    @property
    def processedRowsPerSecond(self) -> float:
        """The rate at which data was processed, over all sources."""
        return self._rate("processedRowsPerSecond")

    def _rate(self, key: str) -> float:
        value = self[key]
        if value is not None:
            return float(value)
        return float(sum(source[key] or 0.0 for source in self.sources))
