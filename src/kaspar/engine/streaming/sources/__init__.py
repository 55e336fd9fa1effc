"""Streaming sources, shaped like Spark's ``Source`` contract.

Offsets are JSON values (written to the checkpoint as they are). A source gives its initial
offset once (persisted under ``sources/<i>/0``), the latest offset available (optionally limited
by a read limit such as ``maxOffsetsPerTrigger`` and capped at an ``until`` offset for
``availableNow``), and the rows between two offsets as an Arrow table with its ``schema``.

Every source gives each query its own instance (``for_query()``): a DataFrame from
``spark.readStream`` can start many queries, in one session and across threads, and the
instance in its plan is only a description. A source that keeps reading state (consumers and
their positions, caches, a connection, a log) returns a new instance; one whose reads are pure
functions of the offsets may return itself. ``stop()`` then closes only that query's reader.

Optional hooks, found with ``getattr``: ``attach(folder)`` (its own log in
``<checkpoint>/sources/<i>``, which then holds no initial-offset file) and
``prepare_for_trigger_available_now()`` (an ``availableNow`` query lets the source fix what is
available instead of capping its offsets); and the attribute ``first_batch_without_data``
(the source always has an offset, as Spark's Kafka and rate sources do, so batch 0 runs at the
first trigger even with no rows).
"""

from __future__ import annotations

from typing import Any, Protocol

import pyarrow as pa


class StreamSource(Protocol):
    description: str
    schema: pa.Schema

    def for_query(self) -> StreamSource: ...

    def initial_offset(self) -> Any: ...

    def latest_offset(self, start: Any, limited: bool, until: Any | None) -> Any: ...

    def get_batch(self, start: Any, end: Any) -> pa.Table: ...

    def commit(self, end: Any) -> None: ...

    def stop(self) -> None: ...
