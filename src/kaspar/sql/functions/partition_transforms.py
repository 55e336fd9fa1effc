"""The partition transforms ``years``, ``months``, ``days``, ``hours`` and ``bucket``.

Spark accepts them only inside ``DataFrameWriterV2.partitionedBy``; anywhere else they type as
``int`` and the query fails when it runs, with the SparkException
``PARTITION_TRANSFORM_EXPRESSION_NOT_IN_PARTITIONED_BY``: so do these columns.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.compile.cast_templates import error_message
from kaspar.errors import PySparkTypeError
from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node


def _transform(function: str, col: ColumnOrName) -> Column:
    e = to_expr(col)
    name = f"{function}({names(e)})"
    error = error_message(
        "PARTITION_TRANSFORM_EXPRESSION_NOT_IN_PARTITIONED_BY",
        f"The expression \"{name}\" must be inside 'partitionedBy'.",
    )
    return node(exp.cast(error, "INTEGER"), name)


def years(col: ColumnOrName) -> Column:
    return _transform("years", col)


def months(col: ColumnOrName) -> Column:
    return _transform("months", col)


def days(col: ColumnOrName) -> Column:
    return _transform("days", col)


def hours(col: ColumnOrName) -> Column:
    return _transform("hours", col)


def bucket(numBuckets: Column | int, col: ColumnOrName) -> Column:
    if not isinstance(numBuckets, Column | int) or isinstance(numBuckets, bool):
        raise PySparkTypeError(
            f"Argument `numBuckets` should be Column or int, got {type(numBuckets).__name__}.",
            "NOT_EXPECTED_TYPE",
        )
    return _transform("bucket", col)


__all__ = ["bucket", "days", "hours", "months", "years"]
