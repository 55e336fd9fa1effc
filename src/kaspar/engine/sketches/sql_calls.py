"""The sketch functions in Spark SQL text (``spark.sql``, ``expr``): the same UDF calls the
DataFrame functions build, with Spark's defaults filled in and Spark's column names.

``SHAPES`` says how each name is called: an aggregate takes ``list(col)`` first (``agg``), also
with the call's and operand's names for its type errors (``agg+names``), or ``list({k, v})``
(``pairs``, the Tuple aggregate); a scalar takes its arguments as they are. The defaults follow
the given arguments; ``shown`` says whether Spark names the call with them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from kaspar.engine.plan.naming import SPARK_NAME, output_name
from kaspar.engine.sketches.registered import SKETCH_FUNCTIONS


@dataclass(frozen=True)
class Shape:
    kind: str  # "agg", "agg+names", "pairs" or "scalar"
    defaults: tuple[object, ...] = ()
    shown: bool = True
    operands: int = 1  # the arguments before the ones with defaults


def _shapes() -> dict[str, Shape]:
    shapes = {
        "hll_sketch_agg": Shape("agg+names", (12,)),
        "hll_union_agg": Shape("agg", (False,)),
        "hll_union": Shape("scalar", (False,), operands=2),
        "theta_sketch_agg": Shape("agg+names", (12,)),
        "theta_union_agg": Shape("agg", (12,)),
        "theta_intersection_agg": Shape("agg"),
        "theta_union": Shape("scalar", (12,), operands=2),
        "count_min_sketch": Shape("agg"),
    }
    for kind in ("bigint", "float", "double"):
        shapes[f"kll_sketch_agg_{kind}"] = Shape("agg+names", (200,), shown=False)
        shapes[f"kll_merge_agg_{kind}"] = Shape("agg", (200,), shown=False)
    for kind in ("double", "integer"):
        shapes[f"tuple_sketch_agg_{kind}"] = Shape("pairs", (12, "sum"), operands=2)
        shapes[f"tuple_union_agg_{kind}"] = Shape("agg", (12, "sum"))
        shapes[f"tuple_intersection_agg_{kind}"] = Shape("agg", ("sum",))
        shapes[f"tuple_sketch_summary_{kind}"] = Shape("scalar", ("sum",))
        for suffix in ("", "_theta"):
            shapes[f"tuple_union{suffix}_{kind}"] = Shape("scalar", (12, "sum"), operands=2)
            shapes[f"tuple_intersection{suffix}_{kind}"] = Shape("scalar", ("sum",), operands=2)
    return shapes


SHAPES = _shapes()


def _literal(value: object) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def _udf_name(name: str, args: list[exp.Expr]) -> str:
    """The registered function: the array variant of a KLL query given an ``array(...)``."""
    many = name.startswith(("kll_sketch_get_quantile", "kll_sketch_get_rank"))
    return f"{name}_array" if many and isinstance(args[1], exp.Array) else name


def sql_call(name: str, args: list[exp.Expr]) -> exp.Expr:
    """``name(args)`` of Spark SQL text as the sketch UDF call, named as Spark names it."""
    shape = SHAPES.get(name, Shape("scalar"))
    given = len(args) - shape.operands
    filled = list(args) + [_literal(v) for v in shape.defaults[max(given, 0) :]]
    shown = filled if shape.shown else args
    spark_name = f"{name}({', '.join(output_name(a) for a in shown)})"
    if shape.kind == "pairs":
        key, value = filled[0], filled[1]
        pairs = exp.Struct(
            expressions=[
                exp.PropertyEQ(this=exp.to_identifier("k"), expression=key.copy()),
                exp.PropertyEQ(this=exp.to_identifier("v"), expression=value.copy()),
            ]
        )
        filled = [exp.Anonymous(this="list", expressions=[pairs]), *filled[2:]]
    elif shape.kind != "scalar":
        names = [exp.Literal.string(spark_name), exp.Literal.string(output_name(filled[0]))]
        filled = [exp.Anonymous(this="list", expressions=[filled[0].copy()]), *filled[1:]]
        if shape.kind == "agg+names":
            filled += names
    call = exp.Anonymous(this=SKETCH_FUNCTIONS[_udf_name(name, args)], expressions=filled)
    call.meta[SPARK_NAME] = spark_name
    return call
