"""ksqlDB's windowed aggregations on the engine: ``WINDOW TUMBLING | HOPPING | SESSION``.

Every window kind watermarks the event time by the ``GRACE PERIOD`` (24 hours by default):
a record whose window closed that long ago is late, and ``EMIT FINAL`` emits a window once
the watermark passes its end (Spark's append mode).

* ``TUMBLING`` / ``HOPPING``: Spark's ``window(ts, size, advance)``; ``WINDOWEND`` is the
  window's end.
* ``SESSION (gap)``: Kafka Streams' sessions per key. A session holds records no more than
  ``gap`` apart; a record within ``gap`` of two sessions merges them. Its window runs from its
  first record to its last, both included: ``WINDOWEND`` is the last record's time, where
  Spark's ``session_window`` ends ``gap`` later, so the bounds are Spark's less the gap at the
  end. With ``EMIT CHANGES`` the engine's session operator runs as a changelog: a batch
  emits each session it changed, and for each stored session it merged away (or extended, as
  the end is part of the window's key) a row whose aggregates and ``ROWTIME`` are NULL,
  which the sink writes as a tombstone, as ksqlDB does. A session-windowed key is the key's
  bytes, then the window's end and start (8 big-endian bytes each), as Kafka Streams'
  session-windowed serde writes it.
"""

from __future__ import annotations

from kaspar.ksql import formats
from kaspar.ksql.statements import WindowSpec
from kaspar.sql import functions as F
from kaspar.sql._session_window import session_changelog_window
from kaspar.sql.column import Column
from kaspar.sql.dataframe import DataFrame

DEFAULT_GRACE_MS = 24 * 3600 * 1000
WINDOW = "__W"  # the window column of a TUMBLING / HOPPING aggregation


def windowed(frame: DataFrame, window: WindowSpec, emit_final: bool) -> tuple[DataFrame, Column]:
    """The frame watermarked by the grace period, and the window grouping key."""
    grace = DEFAULT_GRACE_MS if window.grace_ms is None else window.grace_ms
    frame = frame.withWatermark(formats.TS, f"{grace} milliseconds")
    if window.kind == "SESSION":
        gap_us = window.size_ms * 1000
        if emit_final:
            return frame, F.session_window(F.col(formats.TS), f"{gap_us} microseconds")
        return frame, session_changelog_window(F.col(formats.TS), gap_us)
    size = f"{window.size_ms} milliseconds"
    slide = size if window.advance_ms is None else f"{window.advance_ms} milliseconds"
    return frame, F.window(F.col(formats.TS), size, slide).alias(WINDOW)


def window_bounds(grouped: DataFrame, window: WindowSpec) -> DataFrame:
    """``WINDOWSTART`` / ``WINDOWEND`` (ms) of an aggregation grouped by ``windowed``'s key;
    Kafka Streams makes no window that starts before 0."""
    column = "session_window" if window.kind == "SESSION" else WINDOW
    start = F.unix_millis(F.col(f"{column}.start"))
    end = F.unix_millis(F.col(f"{column}.end"))
    if window.kind == "SESSION":
        end = end - F.lit(window.size_ms)
    grouped = grouped.withColumn("WINDOWSTART", start).withColumn("WINDOWEND", end)
    return grouped.filter(F.col("WINDOWSTART") >= 0)


def key_window_columns(window: WindowSpec | None) -> list[Column]:
    """The hidden window bounds the sink's windowed key is made of (``windowed_key``)."""
    columns = [F.col("WINDOWSTART").alias("__WINDOWSTART")]
    if window is not None and window.kind == "SESSION":
        columns.append(F.col("WINDOWEND").alias("__WINDOWEND"))
    return columns


def windowed_sink(
    key: Column | None, value: Column, window: WindowSpec, rowtime: str
) -> tuple[Column, Column, Column]:
    """A windowed sink record's key (the key's bytes and the window start, or a session's
    end and start), value and time (ms). A merged-away session's record is a tombstone at
    the time of its last record, its ``WINDOWEND``, as Kafka Streams stamps it."""
    if window.kind != "SESSION":
        return formats.windowed_key(key, "__WINDOWSTART"), value, F.col(rowtime)
    key = formats.windowed_key(key, "__WINDOWEND", "__WINDOWSTART")
    live = F.col(rowtime).isNotNull()
    return key, F.when(live, value), F.coalesce(F.col(rowtime), F.col("__WINDOWEND"))
