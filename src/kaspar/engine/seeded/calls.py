"""Expressions whose value depends on a row's partition: ``spark_partition_id()``,
``monotonically_increasing_id()`` and the seeded random functions.

Each is built with a placeholder for the partition id and the row's index within its partition
and tagged in ``meta[PARTITION_VALUE]``. Compiling a projection or a filter over a partitioned
plan (``kaspar.engine.compile.partitions``) puts the real columns in their place; anywhere
else they keep the placeholders: one partition, rows counted in scan order.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.seeded import sequences
from kaspar.engine.seeded.marks import PARTITION_VALUE
from kaspar.engine.seeded.unsafe_row import unsafe_row_hash
from kaspar.engine.udf import PythonUDF, register

_RETURNS: dict[str, T.DataType] = {
    "rand": T.DoubleType(),
    "randn": T.DoubleType(),
    "randstr": T.StringType(),
    "uuid": T.StringType(),
    "poisson": T.IntegerType(),
}
SEEDED: dict[str, str] = {
    kind: register(PythonUDF(sequences.FUNCTIONS[kind], rtype, name=kind, arrow=True))
    for kind, rtype in _RETURNS.items()
}

ROW_HASH = register(PythonUDF(unsafe_row_hash, T.IntegerType(), name="unsafe_row_hash", arrow=True))


def row_hash(columns: Sequence[exp.Expr]) -> exp.Expr:
    """Spark's ``UnsafeRow.hashCode`` of the row of ``columns`` (round robin sorts by it)."""
    every = exp.Literal.string("*")  # the columns hashed; compiling keeps the ones read above
    return exp.Anonymous(this=ROW_HASH, expressions=[*columns, every])


def _placeholder_pid() -> exp.Expr:
    return exp.cast(exp.Literal.number(0), "INT")


def _placeholder_row() -> exp.Expr:
    row = exp.Window(this=exp.Anonymous(this="row_number", expressions=[]))
    return exp.cast(exp.Sub(this=row, expression=exp.Literal.number(1)), "BIGINT")


def partition_id() -> exp.Expr:
    """``spark_partition_id()``."""
    value = _placeholder_pid()
    value.meta[PARTITION_VALUE] = "pid"
    return value


def monotonic_id() -> exp.Expr:
    """``monotonically_increasing_id()``: the partition id in the upper 31 bits, the row's
    index within its partition in the lower 33."""
    value = _placeholder_row()
    value.meta[PARTITION_VALUE] = "monotonic"
    return value


def row_index() -> exp.Expr:
    """The row's position over all partitions, in partition order (``zipWithIndex``)."""
    value = _placeholder_row()
    value.meta[PARTITION_VALUE] = "index"
    return value


def seeded(kind: str, seed: int, *extra: exp.Expr) -> exp.Expr:
    """A call of the seeded generator ``kind`` (``sequences.FUNCTIONS``) with ``seed``."""
    args = [exp.cast(exp.Literal.number(seed), "BIGINT"), _placeholder_pid(), _placeholder_row()]
    value = exp.Anonymous(this=SEEDED[kind], expressions=[*args, *extra])
    value.meta[PARTITION_VALUE] = "seeded"
    return value
