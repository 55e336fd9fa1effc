"""A plan leaf over DuckDB SQL text, run as written (not through kaspar's Spark dialect).

The reads that build their own DuckDB SQL (CSV, text) use DuckDB's semantics on purpose
(``TRY_CAST`` is DuckDB's, not Spark's cast): the text becomes a temporary view the executor
creates when a query first reads the leaf (binding it reads no file) and drops with the plan.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from kaspar.engine.plan import logical as L


def view_scan(
    sql: str,
    names: tuple[str, ...],
    description: str,
    *,
    files: tuple[str, ...] = (),
    with_file: Callable[[], L.Scan] | None = None,
) -> L.Scan:
    """A ``Scan`` of the query ``sql`` whose columns are ``names`` (``files`` and
    ``with_file`` as ``Scan``'s)."""
    name = L.next_relation_name()
    return L.Scan(
        exp.to_table(f'"{name}"'),
        names,
        description,
        tables=((name, sql),),
        files=files,
        with_file=with_file,
    )
