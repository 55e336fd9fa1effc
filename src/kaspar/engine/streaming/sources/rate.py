"""The ``rate`` source: ``rowsPerSecond`` rows a second, columns ``timestamp`` and ``value``.

Row ``n`` has ``value = n`` and ``timestamp = start + n / rowsPerSecond`` seconds, so a batch is
computed from its offsets alone and a restarted query regenerates exactly the same rows. The
offset is ``{"startMs": <start>, "rows": <rows generated>}``.
"""

from __future__ import annotations

import time
from typing import Any, Self

import numpy as np
import pyarrow as pa

from kaspar.errors import IllegalArgumentException

SCHEMA = pa.schema([("timestamp", pa.timestamp("us", tz="UTC")), ("value", pa.int64())])


class RateSource:
    description = "RateStreamV2"
    schema = SCHEMA
    first_batch_without_data = True  # batch 0 at the first trigger, as Spark's

    def __init__(self, options: dict[str, str]) -> None:
        text = options.get("rowspersecond", "1")
        try:
            self.rows_per_second = int(text)
        except ValueError:
            self.rows_per_second = 0
        if self.rows_per_second <= 0:
            raise IllegalArgumentException(
                f"Invalid value '{text}'. The option 'rowsPerSecond' must be positive"
            )
        self.description = f"RateStreamV2[rowsPerSecond={self.rows_per_second}]"

    def for_query(self) -> Self:
        """Itself: rows are computed from the offsets alone (no per-query state)."""
        return self

    def initial_offset(self) -> Any:
        return {"startMs": int(time.time() * 1000), "rows": 0}

    def latest_offset(self, start: Any, limited: bool, until: Any | None) -> Any:
        elapsed_ms = int(time.time() * 1000) - int(start["startMs"])
        rows = max(int(start["rows"]), elapsed_ms * self.rows_per_second // 1000)
        if until is not None:
            rows = min(rows, int(until["rows"]))
        return {"startMs": start["startMs"], "rows": rows}

    def get_batch(self, start: Any, end: Any) -> pa.Table:
        values = np.arange(int(start["rows"]), int(end["rows"]), dtype=np.int64)
        micros = int(start["startMs"]) * 1000 + values * 1_000_000 // self.rows_per_second
        return pa.table(
            {"timestamp": pa.array(micros, pa.timestamp("us", tz="UTC")), "value": values}
        )

    def commit(self, end: Any) -> None:
        pass

    def stop(self) -> None:
        pass


class RatePerMicroBatchSource:
    """``rate-micro-batch``: exactly ``rowsPerBatch`` rows per batch whatever the time, batch
    ``b`` stamped ``startTimestamp + b * advanceMillisPerBatch`` (Spark's
    ``RatePerMicroBatchStream``). The offset is the number of batches generated."""

    schema = SCHEMA

    def __init__(self, options: dict[str, str]) -> None:
        self.rows_per_batch = _option(options, "rowsperbatch", "rowsPerBatch", None, 1)
        self.start_ms = _option(options, "starttimestamp", "startTimestamp", 0, 0)
        self.advance_ms = _option(
            options, "advancemillisperbatch", "advanceMillisPerBatch", 1000, 0
        )
        _option(options, "numpartitions", "numPartitions", 1, 1)
        self.description = (
            f"RatePerMicroBatchStream[rowsPerBatch={self.rows_per_batch}, "
            f"startTimestamp={self.start_ms}, advanceMillisPerBatch={self.advance_ms}]"
        )

    def for_query(self) -> Self:
        """Itself: rows are computed from the offsets alone (no per-query state)."""
        return self

    def initial_offset(self) -> Any:
        return 0

    def latest_offset(self, start: Any, limited: bool, until: Any | None) -> Any:
        latest = int(start) + 1
        return latest if until is None else min(latest, int(until))

    def get_batch(self, start: Any, end: Any) -> pa.Table:
        first, last = int(start), int(end)
        values = np.arange(first * self.rows_per_batch, last * self.rows_per_batch, dtype=np.int64)
        batches = values // self.rows_per_batch
        micros = (self.start_ms + batches * self.advance_ms) * 1000
        return pa.table(
            {"timestamp": pa.array(micros, pa.timestamp("us", tz="UTC")), "value": values}
        )

    def commit(self, end: Any) -> None:
        pass

    def stop(self) -> None:
        pass


def _option(options: dict[str, str], key: str, name: str, default: int | None, least: int) -> int:
    text = options.get(key)
    if text is None:
        if default is None:
            raise IllegalArgumentException(f"Option '{name}' is required for rate-micro-batch")
        return default
    try:
        value = int(text)
    except ValueError:
        value = least - 1
    if value < least:
        raise IllegalArgumentException(
            f"Invalid value '{text}' for option '{name}', must be >= {least}"
        )
    return value
