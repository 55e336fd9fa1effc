"""Spark's math functions where DuckDB's namesakes give other values, as DuckDB trees.

* Logarithms (``ln``, ``log``, ``log2``, ``log10``, ``log1p``, which is ``ln(1 + x)``) are NULL
  for a non-positive operand or base (Spark's ``UnaryLogExpression`` / ``Logarithm``); DuckDB
  gives ``-inf`` or NaN.
"""

from __future__ import annotations

from sqlglot import exp

_GUARDED = "kaspar_log_guarded"


def guarded_log(e: exp.Ln | exp.Log) -> exp.Expr | None:
    """``CASE WHEN operand <= 0 [OR base <= 0] THEN NULL ELSE log END``; None once done."""
    if e.meta.get(_GUARDED):
        return None
    inner = e.copy()
    inner.meta[_GUARDED] = True
    operands = [e.this, e.args.get("expression")]
    tests = [
        exp.LTE(this=o.copy(), expression=exp.Literal.number(0))
        for o in operands
        if isinstance(o, exp.Expr)
    ]
    return exp.Case(ifs=[exp.If(this=exp.or_(*tests), true=exp.Null())], default=inner)
