"""Streaming sources, shaped like Spark's ``Source`` contract.

Offsets are JSON values (written to the checkpoint as they are). A source gives its initial
offset once (persisted under ``sources/<i>/0``), the latest offset available (optionally limited
by a read limit such as ``maxOffsetsPerTrigger`` and capped at an ``until`` offset for
``availableNow``), and the rows between two offsets as an Arrow table with its ``schema``.

Optional hooks, found with ``getattr``: ``for_query()`` (a fresh instance per query, for a source
with per-query state), ``attach(folder)`` (its own log in ``<checkpoint>/sources/<i>``, which
then holds no initial-offset file) and ``prepare_for_trigger_available_now()`` (an
``availableNow`` query lets the source fix what is available instead of capping its offsets).
"""

from __future__ import annotations

from typing import Any, Protocol

import pyarrow as pa


class StreamSource(Protocol):
    description: str
    schema: pa.Schema

    def initial_offset(self) -> Any: ...

    def latest_offset(self, start: Any, limited: bool, until: Any | None) -> Any: ...

    def get_batch(self, start: Any, end: Any) -> pa.Table: ...

    def commit(self, end: Any) -> None: ...

    def stop(self) -> None: ...
