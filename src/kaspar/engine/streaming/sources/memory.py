"""``MemoryStream``: a test source fed with ``add_data`` (Spark's ``MemoryStream``).

Its offset is the number of batches added so far (Spark's ``LongOffset``); batch ``i`` of
``add_data`` is the rows between offsets ``i`` and ``i + 1``.
"""

from __future__ import annotations

import threading
from typing import Any

import pyarrow as pa


class MemorySource:
    """Rows added by the test, in the order they were added."""

    def __init__(self, schema: pa.Schema, name: str = "MemoryStream") -> None:
        self.schema = schema
        self.description = name
        self._batches: list[pa.Table] = []
        self._lock = threading.Lock()

    def add_data(self, table: pa.Table) -> int:
        """Append rows; returns the offset that includes them."""
        with self._lock:
            self._batches.append(table.cast(self.schema))
            return len(self._batches)

    def for_query(self) -> MemorySource:
        """Itself: reads are slices of the added data, under a lock (no per-query state)."""
        return self

    def initial_offset(self) -> Any:
        return 0

    def latest_offset(self, start: Any, limited: bool, until: Any | None) -> Any:
        with self._lock:
            end = len(self._batches)
        return end if until is None else min(end, int(until))

    def get_batch(self, start: Any, end: Any) -> pa.Table:
        with self._lock:
            batches = self._batches[int(start) : int(end)]
        return pa.concat_tables([self.schema.empty_table(), *batches])

    def commit(self, end: Any) -> None:
        pass

    def stop(self) -> None:
        pass
