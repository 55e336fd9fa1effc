"""Java's ``DoubleSummary`` and ``IntegerSummary`` for the binding's Tuple sketches.

A summary is ``(value, mode)``: Java serializes each entry's value with the byte of its mode
(sum 0, min 1, max 2, alwaysone 3), and a summary copied into a union or an intersection keeps
its own mode while one combined by the operation takes the operation's (as Java's
``SummarySetOperations`` build a new summary). Integer sums wrap as Java's int does.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from typing import Any

import datasketches as ds

MODES = ("sum", "min", "max", "alwaysone")
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def _wrap32(value: int) -> int:
    return (value + 2**31) % 2**32 - 2**31


def _combiner(kind: str, mode: str) -> Callable[[Any, Any], Any]:
    if mode == "sum":
        return (lambda a, b: _wrap32(a + b)) if kind == "integer" else (lambda a, b: a + b)
    if mode == "min":
        return min
    if mode == "max":
        return max
    return lambda a, b: 1 if kind == "integer" else 1.0


def initial(kind: str, mode: str) -> float | int:
    """A new summary's value (Java's factory): 0, the type's max for min, min for max, 1."""
    if kind == "integer":
        return {"sum": 0, "min": _INT_MAX, "max": _INT_MIN, "alwaysone": 1}[mode]
    return {"sum": 0.0, "min": math.inf, "max": -math.inf, "alwaysone": 1.0}[mode]


class SummaryPolicy(ds.TuplePolicy):  # type: ignore[misc]
    """Updates (a raw value into a summary) and set operations (two summaries) in one mode."""

    def __init__(self, kind: str, mode: str) -> None:
        ds.TuplePolicy.__init__(self)
        self._kind, self._mode = kind, mode
        self._code = MODES.index(mode)
        self._combine = _combiner(kind, mode)

    def create_summary(self) -> tuple[Any, int]:
        return (initial(self._kind, self._mode), self._code)

    def update_summary(self, summary: tuple[Any, int], update: Any) -> tuple[Any, int]:
        return (self._combine(summary[0], update), summary[1])

    def __call__(self, summary: tuple[Any, int], update: tuple[Any, int]) -> tuple[Any, int]:
        return (self._combine(summary[0], update[0]), self._code)


class SummarySerDe(ds.PyObjectSerDe):  # type: ignore[misc]
    """Java's summary bytes: the value (double or int, little-endian), then the mode byte."""

    def __init__(self, kind: str) -> None:
        ds.PyObjectSerDe.__init__(self)
        self._format = "<dB" if kind == "double" else "<iB"
        self._size = struct.calcsize(self._format)

    def get_size(self, item: tuple[Any, int]) -> int:
        return self._size

    def to_bytes(self, item: tuple[Any, int]) -> bytes:
        return struct.pack(self._format, *item)

    def from_bytes(self, data: bytes, offset: int) -> tuple[tuple[Any, int], int]:
        value, mode = struct.unpack_from(self._format, data, offset)
        return (value, mode), self._size


SERDES = {"double": SummarySerDe("double"), "integer": SummarySerDe("integer")}
