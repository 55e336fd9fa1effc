"""Streaming sinks: ``add_batch(batch_id, table)`` must be idempotent per batch id, because a
restarted query re-runs the last batch that has an ``offsets`` entry and no ``commits`` entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import pyarrow as pa


class StreamSink(Protocol):
    description: str

    def add_batch(self, batch_id: int, table: pa.Table) -> None: ...

    def stop(self) -> None: ...


class ForeachBatchSink:
    """``foreachBatch(func)`` and the console sink: a callback per batch (at least once)."""

    description = "ForeachBatchSink"

    def __init__(self, func: Callable[[pa.Table, int], None], description: str = "") -> None:
        self._func = func
        self.description = description or self.description

    def add_batch(self, batch_id: int, table: pa.Table) -> None:
        self._func(table, batch_id)

    def stop(self) -> None:
        pass


class MemorySink:
    """The ``memory`` sink: every batch's rows kept in memory; ``on_update`` gets all of them
    (the facade exposes them as the temp view ``queryName``). A batch id seen before is skipped.
    In complete mode (``replace``) each batch replaces the rows."""

    description = "MemorySink"

    def __init__(
        self, schema: pa.Schema, on_update: Callable[[pa.Table], None], replace: bool = False
    ) -> None:
        self._tables: list[pa.Table] = [schema.empty_table()]
        self._on_update = on_update
        self._last_batch_id = -1
        self._replace = replace
        on_update(self._tables[0])

    def add_batch(self, batch_id: int, table: pa.Table) -> None:
        if batch_id <= self._last_batch_id:
            return
        if self._replace:
            del self._tables[1:]
        self._tables.append(table.cast(self._tables[0].schema))
        self._last_batch_id = batch_id
        self._on_update(pa.concat_tables(self._tables))

    def stop(self) -> None:
        pass
