"""The engine benchmark's input: N JSON-lines events, generated once by DuckDB and cached.

Each line looks like

    {"ts":"2026-01-01T00:00:00.086","user":"u19","action":"view","amount":487.09,
     "text":"gamma5 alpha8 beta8 beta2 alpha2"}

* ``ts``: evenly spread over one day (1,440 one-minute buckets), millisecond precision, no zone;
* ``user``: 1,000 distinct; ``action``: one of five; ``amount``: 0.00 to 999.99, uniform;
* ``text``: 4 to 12 words from a 1,050-word vocabulary (42 stems x 25 suffixes).

Values come from ``hash(i, k)``, so a file is the same on every run with the same DuckDB.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

FORMAT_VERSION = 1
SCHEMA_DDL = "ts TIMESTAMP, user STRING, action STRING, amount DOUBLE, text STRING"
ACTIONS = ("view", "click", "purchase", "search", "share")
STEMS = (
    "alpha",
    "beta",
    "gamma",
    "delta",
    "kafka",
    "spark",
    "duck",
    "arrow",
    "stream",
    "batch",
    "topic",
    "record",
    "offset",
    "window",
    "state",
    "query",
    "table",
    "frame",
    "column",
    "schema",
    "event",
    "click",
    "user",
    "order",
    "price",
    "cart",
    "search",
    "share",
    "view",
    "page",
    "login",
    "logout",
    "error",
    "retry",
    "commit",
    "fetch",
    "produce",
    "consume",
    "merge",
    "ocean",
    "lake",
    "river",
)
SUFFIXES = 25

GENERATE_SQL = """
COPY (
    SELECT
        strftime(
            TIMESTAMP '2026-01-01' + to_milliseconds(((i * 86400000) // {n})::BIGINT),
            '%Y-%m-%dT%H:%M:%S.%g'
        ) AS ts,
        'u' || (hash(i, 1) % 1000) AS user,
        ({actions})[1 + (hash(i, 2) % 5)::BIGINT] AS action,
        ((hash(i, 3) % 100000) / 100.0)::DOUBLE AS amount,
        array_to_string(
            list_transform(
                range((4 + hash(i, 4) % 9)::BIGINT),
                lambda k: ({stems})[1 + (hash(i, k, 5) % {n_stems})::BIGINT]
                    || (hash(i, k, 6) % {suffixes})
            ),
            ' '
        ) AS text
    FROM range({n}) AS t(i)
) TO '{path}' (FORMAT json)
"""


def default_data_dir() -> Path:
    return Path(tempfile.gettempdir()) / "kaspar-bench-engine"


def _list_literal(words: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(f"'{w}'" for w in words) + "]"


def events_file(n: int, data_dir: Path) -> Path:
    """The path of the N-event file, generating it first unless it is cached."""
    path = data_dir / f"events-v{FORMAT_VERSION}-{n}.jsonl"
    if path.exists():
        return path
    data_dir.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    sql = GENERATE_SQL.format(
        n=n,
        actions=_list_literal(ACTIONS),
        stems=_list_literal(STEMS),
        n_stems=len(STEMS),
        suffixes=SUFFIXES,
        path=partial,
    )
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute(sql)
    finally:
        con.close()
    partial.replace(path)
    return path
