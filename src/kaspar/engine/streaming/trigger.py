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


@dataclass(frozen=True)
class Trigger:
    """``kind`` is ``processingTime`` (every ``interval_ms``; 0 = as fast as possible),
    ``once`` (one batch with everything available) or ``availableNow`` (everything available at
    the start, in batches that respect the sources' limits, then stop), ``realTime`` or
    ``continuous`` (records flow through the query as they arrive; the checkpoint is written
    every ``interval_ms``: ``realtime.py``)."""

    kind: str = "processingTime"
    interval_ms: int = 0

    @property
    def stops_when_caught_up(self) -> bool:
        return self.kind in ("once", "availableNow")

    @property
    def respects_read_limits(self) -> bool:
        return self.kind != "once"

    @property
    def is_low_latency(self) -> bool:
        """Spark's real-time mode and continuous processing (``realtime.py`` runs both)."""
        return self.kind in ("realTime", "continuous")


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
    real_time: str | None = None,
) -> Trigger:
    """``writeStream.trigger(...)``: exactly one keyword, checked as PySpark checks it."""
    given = [
        v for v in (processing_time, once, available_now, continuous, real_time) if v is not None
    ]
    if len(given) != 1:
        raise PySparkValueError("Only a single trigger is allowed.", "ONLY_ALLOW_SINGLE_TRIGGER")
    for name, interval in (
        ("processingTime", processing_time),
        ("continuous", continuous),
        ("realTime", real_time),
    ):
        if interval is not None and (not isinstance(interval, str) or not interval.strip()):
            raise PySparkValueError(
                f"Value for `{name}` must be a non-empty string, got '{interval}'.",
                "VALUE_NOT_NON_EMPTY_STR",
                {"arg_name": name, "arg_value": str(interval)},
            )
    for name, interval in (
        ("processingTime", processing_time),
        ("continuous", continuous),
        ("realTime", real_time),
    ):
        if interval is not None:
            return Trigger(name, parse_interval_ms(interval))
    flag, value = ("once", once) if once is not None else ("availableNow", available_now)
    if value is not True:
        raise PySparkValueError(
            f"Value for `{flag}` has to be amongst the following values: [True].",
            "VALUE_NOT_ALLOWED",
            {"arg_name": flag, "allowed_values": "[True]"},
        )
    return Trigger(flag)
