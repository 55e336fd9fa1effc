"""Hash functions DuckDB has no Spark-identical version of: ``hash`` (Murmur3), ``xxhash64``
and ``crc32``.

They run as built-in Arrow functions inside the query (``kaspar.engine.builtins``); ``md5``,
``sha1`` and ``sha2`` are DuckDB's own (``string.py``).
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.builtins import BUILTINS
from kaspar.sql.column import Column, to_columns, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, call, names, node


def hash(*cols: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns(cols)]
    return node(exp.Anonymous(this=BUILTINS["hash"], expressions=exprs), f"hash({names(*exprs)})")


def xxhash64(*cols: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns(cols)]
    value = exp.Anonymous(this=BUILTINS["xxhash64"], expressions=exprs)
    return node(value, f"xxhash64({names(*exprs)})")


def crc32(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(exp.Anonymous(this=BUILTINS["crc32"], expressions=[e]), f"crc32({names(e)})")


def sha(col: ColumnOrName) -> Column:
    return call("sha", col, sql_fn="sha1")


__all__ = ["crc32", "hash", "sha", "xxhash64"]
