"""The ``rate`` source: ``rowsPerSecond`` rows a second, columns ``timestamp`` and ``value``.

Row ``n`` has ``value = n`` and ``timestamp = start + n / rowsPerSecond`` seconds, so a batch is
computed from its offsets alone and a restarted query regenerates exactly the same rows. The
offset is ``{"startMs": <start>, "rows": <rows generated>}``.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pyarrow as pa

from kaspar.errors import IllegalArgumentException

SCHEMA = pa.schema([("timestamp", pa.timestamp("us", tz="UTC")), ("value", pa.int64())])


class RateSource:
    description = "RateStreamV2"
    schema = SCHEMA

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
