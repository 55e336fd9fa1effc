"""Triggers: when the micro-batch loop runs its next batch (Spark's ``Trigger``)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kaspar.errors import IllegalArgumentException, PySparkValueError

_UNITS_MS = {
    "millisecond": 1,
    "ms": 1,
    "second": 1000,
    "s": 1000,
    "minute": 60_000,
    "min": 60_000,
    "hour": 3_600_000,
    "h": 3_600_000,
    "day": 86_400_000,
    "d": 86_400_000,
}
_INTERVAL = re.compile(r"^\s*(?:interval\s+)?(\d+(?:\.\d+)?)\s*([a-z]*)\s*$", re.IGNORECASE)
ACCEPTED = "processingTime, once, availableNow"


@dataclass(frozen=True)
class Trigger:
    """``kind`` is ``processingTime`` (every ``interval_ms``; 0 = as fast as possible),
    ``once`` (one batch with everything available) or ``availableNow`` (everything available at
    the start, in batches that respect the sources' limits, then stop)."""

    kind: str = "processingTime"
    interval_ms: int = 0

    @property
    def stops_when_caught_up(self) -> bool:
        return self.kind in ("once", "availableNow")

    @property
    def respects_read_limits(self) -> bool:
        return self.kind != "once"


def parse_interval_ms(text: str) -> int:
    """``'10 seconds'``, ``'1 minute'``, ``'500 milliseconds'``, ``'interval 2 s'`` -> ms."""
    match = _INTERVAL.match(text)
    unit = (match.group(2) or "ms").lower() if match else ""
    if unit not in _UNITS_MS and unit.endswith("s"):
        unit = unit[:-1]  # plural
    if match is None or unit not in _UNITS_MS:
        raise IllegalArgumentException(f"Invalid interval: {text}")
    return int(float(match.group(1)) * _UNITS_MS[unit])


def make_trigger(
    processing_time: str | None = None,
    once: bool | None = None,
    available_now: bool | None = None,
    continuous: str | None = None,
) -> Trigger:
    """``writeStream.trigger(...)``: exactly one keyword, as PySpark requires."""
    given = [v for v in (processing_time, once, available_now, continuous) if v is not None]
    if len(given) != 1:
        raise PySparkValueError(
            "[ONLY_ALLOW_SINGLE_TRIGGER] Only a single trigger is allowed.",
            "ONLY_ALLOW_SINGLE_TRIGGER",
        )
    if continuous is not None:
        raise IllegalArgumentException(
            "The continuous trigger is not supported by kaspar yet; use one of the micro-batch "
            f"triggers: {ACCEPTED}."
        )
    if processing_time is not None:
        if not isinstance(processing_time, str) or not processing_time.strip():
            raise PySparkValueError(
                "[VALUE_NOT_NON_EMPTY_STR] Value for `processingTime` must be a non empty "
                f"string, got '{processing_time}'.",
                "VALUE_NOT_NON_EMPTY_STR",
            )
        return Trigger("processingTime", parse_interval_ms(processing_time))
    if once is not None:
        if once is not True:
            raise PySparkValueError("Value for `once` must be True.", "VALUE_NOT_TRUE")
        return Trigger("once")
    if available_now is not True:
        raise PySparkValueError("Value for `availableNow` must be True.", "VALUE_NOT_TRUE")
    return Trigger("availableNow")
