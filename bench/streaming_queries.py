"""The four streaming-benchmark queries, as Structured Streaming code run by kaspar and PySpark.

They are the batch engine bench's queries (`bench/engine_queries.py`) written for a stream:

1. filter+project: parse, ``action = 'purchase' AND amount > 990``, four columns (append);
2. groupBy sum/count: ``groupBy("user").agg(sum(amount), count(*))`` (complete);
3. 1-minute windows: ``withWatermark("ts", "10 minutes")``, ``groupBy(window(ts, "1 minute"))``
   with count and sum (update: append would keep the last window open when the input ends);
   the delay covers the event-time skew between the topic's partitions within a batch, so no
   record is late and every engine's result is exact;
4. word count: ``explode(split(text, " "))``, ``groupBy(word).count()`` (complete).

Each function takes ``(F, events)``, a streaming DataFrame of parsed events, and returns the
result to write. kaspar gets ``events`` from its Kafka source through ``from_json``; PySpark
reads the same events from JSON files (it has no Kafka source here without jars). The sink is a
``foreachBatch`` that keeps the rows the output mode says are current (``ResultCollector``), so
the result can be checked against the other engines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.checksums import checksums_agree as _agree

SCHEMA_DDL = "ts TIMESTAMP, user STRING, action STRING, amount DOUBLE, text STRING"
WATERMARK = "10 minutes"


def filter_project(F: Any, events: Any) -> Any:
    purchases = events.filter((F.col("action") == "purchase") & (F.col("amount") > 990))
    return purchases.select(
        "ts", "user", F.upper("action").alias("action"), (F.col("amount") * 1.1).alias("gross")
    )


def group_by_user(F: Any, events: Any) -> Any:
    return events.groupBy("user").agg(F.sum("amount").alias("total"), F.count("*").alias("n"))


def minute_windows(F: Any, events: Any) -> Any:
    windows = events.withWatermark("ts", WATERMARK).groupBy(F.window("ts", "1 minute"))
    counted = windows.agg(F.count("*").alias("n"), F.sum("amount").alias("total"))
    return counted.select(
        F.col("window.start").alias("start"), F.col("window.end").alias("end"), "n", "total"
    )


def word_count(F: Any, events: Any) -> Any:
    words = events.select(F.explode(F.split(F.col("text"), " ")).alias("word"))
    return words.groupBy("word").count()


@dataclass(frozen=True)
class StreamQuery:
    name: str
    dataframe: Callable[[Any, Any], Any]
    output_mode: str
    keys: int  # leading result columns that identify a row (update mode keeps the last per key)


QUERIES = (
    StreamQuery("filter+project", filter_project, "append", 0),
    StreamQuery("groupBy sum/count", group_by_user, "complete", 1),
    StreamQuery("1-minute windows", minute_windows, "update", 2),
    StreamQuery("word count", word_count, "complete", 1),
)
STATELESS = ("filter+project",)


def query_named(name: str) -> StreamQuery:
    return next(q for q in QUERIES if q.name == name)


class ResultCollector:
    """The ``foreachBatch`` sink: the rows the output mode makes current, as tuples."""

    def __init__(self, query: StreamQuery) -> None:
        self.query = query
        self.rows: list[tuple[Any, ...]] = []
        self.by_key: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self.batches = 0

    def add(self, rows: list[tuple[Any, ...]]) -> None:
        self.batches += 1
        if self.query.output_mode == "append":
            self.rows.extend(rows)
        elif self.query.output_mode == "complete":
            self.rows = rows
        else:
            self.by_key.update((row[: self.query.keys], row) for row in rows)

    def result(self) -> list[tuple[Any, ...]]:
        return list(self.by_key.values()) if self.query.output_mode == "update" else self.rows


def checksums_agree(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Streaming results are summed in another order: a looser absolute tolerance."""
    return _agree(a, b, abs_tol=1e-3)
