"""``time_bucket`` (Spark 4.2): a timestamp aligned down to the start of its bucket.

Buckets of ``bucket_size`` (a day-time or year-month interval) start at ``origin`` (default
1970-01-01 00:00:00, in the session time zone for a ``timestamp``); DuckDB's ``time_bucket``
computes it, always given Spark's origin (DuckDB's own defaults are in 2000). The interval may
be an interval literal (DuckDB's ``INTERVAL``) or kaspar's ANSI interval struct
(``make_dt_interval`` / ``make_ym_interval``); the timestamp must be a ``timestamp`` or
``timestamp_ntz``, else Spark's ``DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE``.
"""

from __future__ import annotations

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.compile.ansi_interval_carrier import carried_type
from kaspar.engine.compile.cast_templates import fill
from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.engine.type_conversion import from_duckdb
from kaspar.errors import AnalysisException
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_TIMESTAMPS = {"TIMESTAMP WITH TIME ZONE": "TIMESTAMPTZ", "TIMESTAMP": "TIMESTAMP"}
_ORIGIN = "TIMESTAMP '1970-01-01 00:00:00'"


def _duckdb_interval(size: exp.Expr, kind: DuckDBPyType) -> exp.Expr:
    dtype = carried_type(kind)
    if isinstance(dtype, T.DayTimeIntervalType):  # whole days as days (calendar days)
        micros = "struct_extract_at(_x_, 1)"
        return fill(
            f"to_days(CAST({micros} // 86400000000 AS INTEGER)) "
            f"+ to_microseconds({micros} % 86400000000)",
            size,
        )
    if isinstance(dtype, T.YearMonthIntervalType):
        return fill("to_months(struct_extract_at(_x_, 1))", size)
    return size


def _bucket(width: exp.Expr, stamp: exp.Expr, origin: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="time_bucket", expressions=[width.copy(), stamp.copy(), origin])


def time_bucket(bucket_size: Column, ts: ColumnOrName, origin: Column | None = None) -> Column:
    """The start of the ``bucket_size`` bucket (from ``origin``) that ``ts`` falls in."""
    size, stamp = to_expr(bucket_size), to_expr(ts)
    start = to_expr(origin) if origin is not None else None
    shown = start if start is not None else exp.Literal.string(_ORIGIN)
    name = f"time_bucket({names(size, stamp)}, {names(shown) if start is not None else _ORIGIN})"

    def rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
        target = _TIMESTAMPS.get(str(types[1]))
        if target is None:
            given = from_duckdb(str(types[1])).simpleString().upper()
            raise AnalysisException(
                f'Cannot resolve "{name}" due to data type mismatch: The second parameter '
                'requires the "(TIMESTAMP OR TIMESTAMP WITHOUT TIME ZONE)" type, however '
                f'"{names(stamp)}" has the type "{given}".',
                "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
            )
        anchor = operands[2] if len(operands) > 2 else fill(_ORIGIN, literal(0))
        width = _duckdb_interval(operands[0], types[0])
        naive = exp.cast(anchor.copy(), "TIMESTAMP")
        if target == "TIMESTAMP":
            return _bucket(width, operands[1], naive)
        # Days and months align in the session time zone (on local time), shorter buckets on
        # the instant line from the origin.
        local = exp.cast(_bucket(width, exp.cast(operands[1].copy(), "TIMESTAMP"), naive), target)
        instant = _bucket(width, operands[1], exp.cast(naive.copy(), target))
        calendar = fill(
            "date_part('year', _x_) <> 0 OR date_part('month', _x_) <> 0 "
            "OR date_part('day', _x_) <> 0",
            width,
        )
        return exp.Case(ifs=[exp.If(this=calendar, true=local)], default=instant)

    operands = [size, stamp] if start is None else [size, stamp, start]
    return node(typed_call(operands, rewrite), name)


__all__ = ["time_bucket"]
