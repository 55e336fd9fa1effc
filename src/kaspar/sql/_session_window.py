"""``groupBy(session_window(ts, gap), ...)``: Spark's session windows, on batches and streams.

Every row is first a session of its own, ``[ts, ts + gap)``; the gap is a constant or, per
row, a column (a string such as ``'30 seconds'`` or an interval). As in Spark, rows whose time
is NULL, or whose gap is NULL or not positive, belong to no session and are dropped. Sessions of
a group whose spans meet (a start at or before the latest end so far) merge into one: the
window ``struct<start, end>`` of the earliest start and the latest end.

* On a stream, the per-row session is a column the streaming session operator groups by
  (``engine/streaming/session_window_operator.py`` merges sessions across batches).
* On a batch, the merge is computed here with window functions, ordered by start per group:
  a row opens a session when its start is after every earlier end; the running count of
  openings numbers the sessions, and the window is the min start and max end of each.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from kaspar.engine.streaming.session_window_operator import SESSION_CHANGES_COLUMN, SESSION_COLUMN
from kaspar.sql.column import Column, named

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame

SESSION_WINDOW = "session_window"  # meta key: (time column, gap in microseconds or a column)
CHANGELOG = "session_changelog"  # meta key: the stream's sessions as a changelog (update mode)


def session_changelog_window(time: Column, gap_us: int) -> Column:
    """``session_window(time, gap)`` whose streaming aggregation runs in update mode as a
    changelog: the sessions a merge replaced are emitted too, their aggregates NULL (for
    kaspar.ksql's tombstones). Not part of PySpark's API."""
    placeholder = exp.Column(this=exp.to_identifier(SESSION_WINDOW))
    placeholder.meta[SESSION_WINDOW] = (time.expr, gap_us)
    placeholder.meta[CHANGELOG] = True
    return Column(named(placeholder, SESSION_WINDOW))


def session_keys(df: DataFrame, keys: list[Column]) -> tuple[DataFrame, list[Column]]:
    """The DataFrame to group and its keys, with a ``session_window`` key computed."""
    from kaspar.sql import functions as F

    found = [c for c in keys if SESSION_WINDOW in c.expr.meta]
    if not found:
        return df, keys
    time, gap = found[0].expr.meta[SESSION_WINDOW]
    start = _as_timestamp(df, Column(time.copy()))
    if isinstance(gap, int):
        end = F.timestamp_micros(F.unix_micros(start) + gap)
    else:
        end = start + Column(exp.Cast(this=gap.copy(), to=exp.DataType.build("INTERVAL")))
    source = df.filter(start.isNotNull() & end.isNotNull() & (end > start))
    if df.isStreaming:
        window = F.struct(start.alias("start"), end.alias("end"))
        column = SESSION_CHANGES_COLUMN if found[0].expr.meta.get(CHANGELOG) else SESSION_COLUMN
        source = source.withColumn(column, window)
        key = F.col(column).alias(SESSION_WINDOW)
        return source, [key if c is found[0] else c for c in keys]
    return _batch_sessions(source, keys, found[0], start, end)


def _as_timestamp(df: DataFrame, time: Column) -> Column:
    """The time column as Spark's analyzer coerces it: text becomes a timestamp; timestamps
    (with or without time zone) stay as they are."""
    from kaspar.engine import types as T

    if isinstance(df.select(time).schema.fields[0].dataType, T.TimestampType | T.TimestampNTZType):
        return time
    return time.cast("timestamp")


def _batch_sessions(
    source: DataFrame, keys: list[Column], key: Column, start: Column, end: Column
) -> tuple[DataFrame, list[Column]]:
    from kaspar.sql import functions as F
    from kaspar.sql.window import Window

    others = [c for c in keys if c is not key]
    source = source.withColumn("__kaspar_us", F.unix_micros(start))
    source = source.withColumn("__kaspar_end", F.unix_micros(end))
    ordered = Window.partitionBy(*others).orderBy("__kaspar_us")
    earlier = ordered.rowsBetween(Window.unboundedPreceding, -1)
    previous_end = F.max("__kaspar_end").over(earlier)
    starts = F.when(previous_end.isNull() | (F.col("__kaspar_us") > previous_end), 1).otherwise(0)
    source = source.withColumn("__kaspar_start", starts)
    running = ordered.rowsBetween(Window.unboundedPreceding, Window.currentRow)
    source = source.withColumn("__kaspar_session", F.sum("__kaspar_start").over(running))
    session = Window.partitionBy(*others, "__kaspar_session")
    window = F.struct(
        F.timestamp_micros(F.min("__kaspar_us").over(session)).alias("start"),
        F.timestamp_micros(F.max("__kaspar_end").over(session)).alias("end"),
    )
    source = source.withColumn(SESSION_WINDOW, window)
    source = source.drop("__kaspar_us", "__kaspar_end", "__kaspar_start", "__kaspar_session")
    named_keys = [source[SESSION_WINDOW] if c is key else c for c in keys]
    return source, named_keys
