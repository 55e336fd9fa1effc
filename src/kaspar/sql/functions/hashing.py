"""Hash functions DuckDB has no Spark-identical version of: ``hash`` (Murmur3) and ``crc32``.

Both run as built-in Arrow functions inside the query (``kaspar.engine.udf``); ``md5``,
``sha1`` and ``sha2`` are DuckDB's own (``string.py``).
"""

from __future__ import annotations

import zlib

import pyarrow as pa
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.spark_hash import spark_hash
from kaspar.engine.udf import PythonUDF, register
from kaspar.sql.column import Column, to_columns, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, call, names, node


def _crc32(column: pa.Array) -> pa.Array:
    values = [
        None if v is None else zlib.crc32(v.encode() if isinstance(v, str) else v)
        for v in column.to_pylist()
    ]
    return pa.array(values, type=pa.int64())


_HASH = register(PythonUDF(spark_hash, T.IntegerType(), name="hash", arrow=True))
_CRC32 = register(PythonUDF(_crc32, T.LongType(), name="crc32", arrow=True))


def hash(*cols: ColumnOrName) -> Column:
    exprs = [c.expr for c in to_columns(cols)]
    return node(exp.Anonymous(this=_HASH, expressions=exprs), f"hash({names(*exprs)})")


def crc32(col: ColumnOrName) -> Column:
    e = to_expr(col)
    return node(exp.Anonymous(this=_CRC32, expressions=[e]), f"crc32({names(e)})")


def sha(col: ColumnOrName) -> Column:
    return call("sha", col, sql_fn="sha1")


__all__ = ["crc32", "hash", "sha"]
