"""``approx_count_distinct`` as the calls of Spark's HyperLogLog++ (``hllpp.py``):
``estimate(list(DISTINCT code(x, p)), p)``, marked so that a streaming aggregation knows it."""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.plan.naming import SPARK_NAME, output_name
from kaspar.engine.sketches.hllpp import DEFAULT_RSD, precision
from kaspar.engine.sketches.registered import SKETCH_FUNCTIONS

APPROX_DISTINCT = "kaspar_approx_distinct"  # meta key of the estimate call: its operand


def approx_count_distinct(operand: exp.Expr, rsd: float | None = None) -> exp.Expr:
    """The call, named as Spark names it (``approx_count_distinct(x)``, the rsd left out)."""
    p = exp.Literal.number(precision(DEFAULT_RSD if rsd is None else rsd))
    code = exp.Anonymous(this=SKETCH_FUNCTIONS["hllpp_code"], expressions=[operand.copy(), p])
    codes = exp.Anonymous(this="list", expressions=[exp.Distinct(expressions=[code])])
    call = exp.Anonymous(this=SKETCH_FUNCTIONS["hllpp_estimate"], expressions=[codes, p.copy()])
    call.meta[APPROX_DISTINCT] = True
    call.meta[SPARK_NAME] = f"approx_count_distinct({output_name(operand)})"
    return call


__all__ = ["APPROX_DISTINCT", "approx_count_distinct"]
