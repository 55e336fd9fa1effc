"""``timestamp_nanos`` and ``unix_nanos`` (Spark 4.1's nanosecond timestamps).

Spark types ``timestamp_nanos(n)`` as ``timestamp_ltz(9)``; kaspar's timestamps hold
microseconds (DuckDB's ``TIMESTAMPTZ``), so the value is cut down to its microsecond (toward
the past) and typed ``timestamp``. ``unix_nanos`` takes only nanosecond timestamps in Spark
(``TIMESTAMP_LTZ(P)``/``TIMESTAMP_NTZ(P)`` with P in 7..9), which kaspar has none of: every
argument is refused as Spark refuses a microsecond timestamp.
"""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.cast_templates import fill
from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.engine.type_conversion import from_duckdb
from kaspar.errors import AnalysisException
from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_INTEGRAL = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"})
_FROM_NANOS = (
    "timezone('UTC', make_timestamp(CAST((CAST(floor(_x_) AS HUGEINT) "
    "- (CAST(floor(_x_) AS HUGEINT) % 1000 + 1000) % 1000) // 1000 AS BIGINT)))"
)


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
        if kind not in _INTEGRAL and not kind.startswith("DECIMAL"):
            raise _mismatch(name, names(e), types[0], '("INTEGRAL" or "DECIMAL")')
        return fill(_FROM_NANOS, operands[0])

    return node(typed_call([e], rewrite), name)


def unix_nanos(col: ColumnOrName) -> Column:
    """Refused as Spark refuses a timestamp of microseconds (kaspar has no other)."""
    e = to_expr(col)
    name = f"unix_nanos({names(e)})"
    required = '"(TIMESTAMP_LTZ(P) OR TIMESTAMP_NTZ(P) WITH P IN [7, 9])"'

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        raise _mismatch(name, names(e), types[0], required)

    return node(typed_call([e], rewrite), name)


__all__ = ["timestamp_nanos", "unix_nanos"]
