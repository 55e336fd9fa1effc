"""``timestamp_nanos`` and ``unix_nanos`` (Spark 4.3's nanosecond timestamps).

``timestamp_nanos(n)`` is the ``timestamp_ltz(9)`` ``n`` nanoseconds after the epoch (a
fraction of a nanosecond is cut toward the past); ``unix_nanos`` takes only a nanosecond
timestamp (``timestamp_ltz(p)`` / ``timestamp_ntz(p)``, p in 7..9) and gives its nanoseconds as
``decimal(21,0)`` (a ``timestamp_ntz`` read as UTC). Spark refuses a nanosecond type in a
query's output without ``spark.sql.timestampNanosTypes.enabled``; kaspar refuses only the casts
to one (``kaspar.engine.compile.nanos_timestamps``).
"""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.cast_templates import fill
from kaspar.engine.compile.nanos_timestamps import (
    LTZ_NANOS,
    ltz_nanos,
)
from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.engine.type_conversion import from_duckdb
from kaspar.errors import AnalysisException
from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_INTEGRAL = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"})


def _mismatch(name: str, operand: str, kind: DuckDBPyType, required: str) -> AnalysisException:
    given = from_duckdb(str(kind)).simpleString().upper()
    return AnalysisException(
        f'Cannot resolve "{name}" due to data type mismatch: The first parameter requires the '
        f'{required} type, however "{operand}" has the type "{given}".',
        "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
    )


def timestamp_nanos(col: ColumnOrName) -> Column:
    """The timestamp ``col`` nanoseconds after the epoch (an integral or decimal number)."""
    e = to_expr(col)
    name = f"timestamp_nanos({names(e)})"

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        kind = str(types[0])
        if kind not in _INTEGRAL and not kind.startswith("DECIMAL") and kind != '"NULL"':
            raise _mismatch(name, names(e), types[0], '("INTEGRAL" or "DECIMAL")')
        whole = "CAST(floor(_x_) AS HUGEINT)" if kind.startswith("DECIMAL") else "_x_"
        return ltz_nanos(fill(whole, operands[0]))

    return node(typed_call([e], rewrite), name)


def unix_nanos(col: ColumnOrName) -> Column:
    """The nanoseconds since the epoch of a nanosecond timestamp, as ``decimal(21,0)``."""
    e = to_expr(col)
    name = f"unix_nanos({names(e)})"
    required = '"(TIMESTAMP_LTZ(P) OR TIMESTAMP_NTZ(P) WITH P IN [7, 9])"'

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        kind = str(types[0])
        if kind == "TIMESTAMP_NS":
            return fill("CAST(epoch_ns(_x_) AS DECIMAL(21, 0))", operands[0])
        if kind == LTZ_NANOS:
            return fill("CAST(epoch_ns(struct_extract_at(_x_, 1)) AS DECIMAL(21, 0))", operands[0])
        raise _mismatch(name, names(e), types[0], required)

    return node(typed_call([e], rewrite), name)


__all__ = ["timestamp_nanos", "unix_nanos"]
