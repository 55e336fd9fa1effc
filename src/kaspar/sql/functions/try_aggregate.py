"""``try_sum`` and ``try_avg``: NULL where Spark's decimal sum or average overflows.

Spark sums a ``decimal(p, s)`` into ``decimal(min(38, p + 10), s)`` and averages it into
``decimal(min(38, p + 4), min(38, s + 4))``; a value past the type is NULL for the ``try_``
functions. DuckDB's own ``sum`` of a ``DECIMAL(38, s)`` raises on overflow (and cannot be
wrapped in ``try``), so a wide decimal is summed in parts that cannot overflow: the integer
part split at 10^19 into two ``HUGEINT`` sums, and the fraction (below 1) as a decimal. The
exact total ``J + f`` (``J`` whole, ``|f| < 1``) fits ``decimal(38, s)`` exactly when
``|J| < 10^(38 - s)``. The average is the sum over the count, cast to Spark's type with
``TRY_CAST`` (NULL when it does not fit). Other types keep DuckDB's ``sum`` / ``avg``.

The call is a typed rewrite over ``min(col)`` (an aggregate, so the plan sees one, of the
operand's type); the rewrite reads the operand back from it.
"""

from __future__ import annotations

import re

from duckdb.sqltypes import DuckDBPyType
from sqlglot import exp

from kaspar.engine.compile.cast_templates import fill
from kaspar.engine.compile.typed_rewrites import typed_call
from kaspar.sql.column import Column, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_SPLIT = 10**19
# The exact sum of _x_ (a DECIMAL(38, {s})) as {whole} + {fraction}, NULL past decimal(38, s).
_PARTS = {
    "high": "sum(CAST(trunc(_x_) AS HUGEINT) // {split})",
    "low": "sum(CAST(trunc(_x_) AS HUGEINT) % {split})",
    "fraction": "sum(CAST(_x_ - trunc(_x_) AS DECIMAL(38, {s})))",
}


def _decimal(kind: DuckDBPyType) -> tuple[int, int] | None:
    match = _DECIMAL.fullmatch(str(kind))
    return (int(match[1]), int(match[2])) if match else None


def _safe_sum(x: exp.Expr, scale: int) -> exp.Expr:
    """The sum of ``x`` as ``DECIMAL(38, scale)``, NULL where it does not fit."""
    high, low, fraction = (fill(_PARTS[k].format(split=_SPLIT, s=scale), x) for k in _PARTS)
    whole_fraction = fill("CAST(trunc(_x_) AS HUGEINT)", fraction)
    whole = exp.Add(
        this=exp.Add(
            this=exp.Mul(this=high, expression=exp.Literal.number(_SPLIT)), expression=low
        ),
        expression=whole_fraction,
    )
    rest = fill(f"CAST(_x_ - trunc(_x_) AS DECIMAL(38, {scale}))", fraction.copy())
    high_bound = 10 ** max(0, 19 - scale) + 1
    limit = 10 ** (38 - scale)
    too_high = fill(f"abs(_x_) > {high_bound}", high.copy())
    too_big = fill(f"abs(_x_) >= {limit}", exp.paren(whole.copy()))
    total = fill(f"CAST(_x_ AS DECIMAL(38, {scale}))", exp.paren(whole))
    value = exp.Add(this=total, expression=rest)
    return exp.Case(ifs=[exp.If(this=exp.or_(too_high, too_big), true=exp.Null())], default=value)


def _sum_rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
    x, decimal = operands[0].this, _decimal(types[0])
    if decimal is None:
        return exp.Anonymous(this="sum", expressions=[x.copy()])
    precision, scale = decimal
    if precision + 10 < 38:  # Spark's type decimal(p + 10, s): too wide to overflow here
        return fill(f"CAST(sum(_x_) AS DECIMAL({precision + 10}, {scale}))", x)
    return _safe_sum(x, scale)


def _avg_rewrite(operands: list[exp.Expr], types: list[DuckDBPyType]) -> exp.Expr:
    x, decimal = operands[0].this, _decimal(types[0])
    if decimal is None:
        return exp.Anonymous(this="avg", expressions=[x.copy()])
    precision, scale = decimal
    total = (
        _safe_sum(x, scale)
        if precision + 10 >= 38
        else exp.Anonymous(this="sum", expressions=[x.copy()])
    )
    count = exp.Count(this=x.copy())
    mean = fill("CAST(_x_ AS DOUBLE)", total)
    result = f"DECIMAL({min(38, precision + 4)}, {min(38, scale + 4)})"
    return fill(f"TRY_CAST(_x_ / nullif(_y_, 0) AS {result})", mean).transform(
        lambda n: count.copy() if isinstance(n, exp.Column) and n.name == "_y_" else n
    )


def _typed_aggregate(fn: str, col: ColumnOrName, rewrite_fn: object) -> Column:
    e = to_expr(col)
    probe = exp.Min(this=e.copy())
    return node(typed_call([probe], rewrite_fn), f"{fn}({names(e)})")  # type: ignore[arg-type]


def try_sum(col: ColumnOrName) -> Column:
    """Spark's sum; NULL where a decimal sum overflows its type."""
    return _typed_aggregate("try_sum", col, _sum_rewrite)


def try_avg(col: ColumnOrName) -> Column:
    """Spark's average (a decimal for a decimal); NULL where it overflows its type."""
    return _typed_aggregate("try_avg", col, _avg_rewrite)


__all__ = ["try_avg", "try_sum"]
