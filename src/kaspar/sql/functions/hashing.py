"""Hash functions DuckDB has no Spark-identical version of: ``hash`` (Murmur3), ``xxhash64``
and ``crc32``.

They run as built-in Arrow functions inside the query (``kaspar.engine.builtins``); ``md5``,
``sha1`` and ``sha2`` are DuckDB's own (``string.py``).
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.builtins import BUILTINS
from kaspar.engine.compile.hash_types import refuse_maps
from kaspar.engine.plan.resolution import is_star
from kaspar.sql._projection import STAR_ARGUMENTS
from kaspar.sql.column import Column, to_columns, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, call, names, node


def _hash_of_columns(fn: str, cols: tuple[ColumnOrName, ...]) -> Column:
    exprs = [c.expr for c in to_columns(cols)]
    call = exp.Anonymous(this=BUILTINS[fn], expressions=exprs)
    if any(is_star(e) for e in exprs):
        call.meta[STAR_ARGUMENTS] = fn  # select expands it (hash('*') is hash(c1, c2, ...))
    shown = f"{fn}({names(*exprs)})"
    return node(refuse_maps(call, fn, shown), shown)


def hash(*cols: ColumnOrName) -> Column:
    return _hash_of_columns("hash", cols)


def xxhash64(*cols: ColumnOrName) -> Column:
    return _hash_of_columns("xxhash64", cols)


def crc32(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(exp.Anonymous(this=BUILTINS["crc32"], expressions=[e]), f"crc32({names(e)})")


def sha(col: ColumnOrName) -> Column:
    return call("sha", col, sql_fn="sha1")


__all__ = ["crc32", "hash", "sha", "xxhash64"]
