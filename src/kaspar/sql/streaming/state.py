"""``GroupState`` and ``GroupStateTimeout`` (PySpark ``pyspark.sql.streaming.state``): what the
function of ``applyInPandasWithState`` sees of its group's state."""

from __future__ import annotations

import datetime
from typing import Any

from kaspar.engine.streaming.group_state_operator import NO_TIMESTAMP, StateSlot
from kaspar.errors import PySparkRuntimeError, PySparkTypeError, PySparkValueError

__all__ = ["GroupState", "GroupStateTimeout"]


class GroupStateTimeout:
    """The timeouts ``applyInPandasWithState`` accepts."""

    NoTimeout: str = "NoTimeout"
    ProcessingTimeTimeout: str = "ProcessingTimeTimeout"
    EventTimeTimeout: str = "EventTimeTimeout"


TIMEOUTS = (
    GroupStateTimeout.NoTimeout,
    GroupStateTimeout.ProcessingTimeTimeout,
    GroupStateTimeout.EventTimeTimeout,
)


class GroupState:
    """One group's state during one call of the function."""

    NO_TIMESTAMP: int = NO_TIMESTAMP

    def __init__(self, slot: StateSlot) -> None:
        self._slot = slot

    @property
    def exists(self) -> bool:
        return self._slot.value is not None

    @property
    def get(self) -> tuple[Any, ...]:
        value = self._slot.value
        if value is None:
            raise PySparkValueError(
                "State is either not defined or has already been removed.", "STATE_NOT_EXISTS"
            )
        return tuple(value)

    @property
    def getOption(self) -> tuple[Any, ...] | None:
        value = self._slot.value
        return None if value is None else tuple(value)

    @property
    def hasTimedOut(self) -> bool:
        return self._slot.has_timed_out

    @property
    def oldTimeoutTimestamp(self) -> int:
        return self._slot.stored_timeout_ms

    def update(self, newValue: tuple[Any, ...]) -> None:
        if newValue is None:
            raise PySparkTypeError(
                "Argument `newValue` cannot be None.", "CANNOT_BE_NONE", {"arg_name": "newValue"}
            )
        self._slot.value = tuple(_plain(v) for v in newValue)
        self._slot.updated = True
        self._slot.removed = False

    def remove(self) -> None:
        self._slot.value = None
        self._slot.updated = False
        self._slot.removed = True

    def setTimeoutDuration(self, durationMs: Any) -> None:
        if isinstance(durationMs, str):
            raise PySparkTypeError(
                f"Argument `durationMs` should be a int, got {type(durationMs).__name__}.",
                "NOT_EXPECTED_TYPE",
            )
        if self._slot.timeout_conf != GroupStateTimeout.ProcessingTimeTimeout:
            raise PySparkRuntimeError(
                "Cannot set timeout duration without enabling processing time timeout in "
                "applyInPandasWithState.",
                "CANNOT_WITHOUT",
            )
        if durationMs <= 0:
            raise PySparkValueError(
                f"Value for `durationMs` must be positive, got '{durationMs}'.",
                "VALUE_NOT_POSITIVE",
            )
        self._slot.timeout_ms = int(durationMs) + self._slot.processing_ms

    def setTimeoutTimestamp(self, timestampMs: int | datetime.datetime) -> None:
        if self._slot.timeout_conf != GroupStateTimeout.EventTimeTimeout:
            raise PySparkRuntimeError(
                "Cannot set timeout timestamp without enabling event time timeout in "
                "applyInPandasWithState.",
                "CANNOT_WITHOUT",
            )
        if isinstance(timestampMs, datetime.datetime):
            moment = timestampMs if timestampMs.tzinfo else timestampMs.astimezone()
            timestampMs = int(moment.timestamp() * 1000)
        if timestampMs <= 0:
            raise PySparkValueError(
                f"Value for `timestampMs` must be positive, got '{timestampMs}'.",
                "VALUE_NOT_POSITIVE",
            )
        watermark = self._slot.watermark_ms
        if watermark != NO_TIMESTAMP and timestampMs < watermark:
            raise PySparkValueError(
                f"Timeout timestamp ({timestampMs}) cannot be earlier than the current "
                f"watermark ({watermark}).",
                "INVALID_TIMEOUT_TIMESTAMP",
            )
        self._slot.timeout_ms = int(timestampMs)

    def getCurrentWatermarkMs(self) -> int:
        if not self._slot.watermark_present:
            raise PySparkRuntimeError(
                "Cannot get event time watermark timestamp without setting watermark before "
                "applyInPandasWithState.",
                "CANNOT_WITHOUT",
            )
        return self._slot.watermark_ms

    def getCurrentProcessingTimeMs(self) -> int:
        return self._slot.processing_ms

    def __str__(self) -> str:
        if self.exists:
            return f"GroupState({self.get})"
        return "GroupState(<undefined>)"

    __repr__ = __str__


def _plain(value: Any) -> Any:
    """numpy and pandas scalars as the Python values Arrow stores."""
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if hasattr(value, "to_pytimedelta"):
        return value.to_pytimedelta()
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        return value.item()
    return value
