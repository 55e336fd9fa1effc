"""The sketch functions as built-in Arrow UDFs: ``SKETCH_FUNCTIONS`` maps a Spark name to the SQL
function name its calls use (``kaspar.engine.udf``). Aggregates take ``list(col)`` first."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.sketches import (
    count_min,
    histogram,
    hll,
    hllpp,
    kll,
    kll_queries,
    theta,
    tuple_sketch,
)
from kaspar.engine.udf import PythonUDF, register

_BINARY, _LONG, _DOUBLE = T.BinaryType(), T.LongType(), T.DoubleType()
_KLL_TYPES: dict[str, T.DataType] = {
    "bigint": T.LongType(),
    "float": T.FloatType(),
    "double": T.DoubleType(),
}


def _kll_functions() -> Iterator[tuple[str, Callable[..., pa.Array], T.DataType]]:
    for suffix, kind in kll.KINDS.items():
        value = _KLL_TYPES[suffix]
        yield f"kll_sketch_agg_{suffix}", kll.sketch_agg(kind), _BINARY
        yield f"kll_merge_agg_{suffix}", kll.merge_agg(kind), _BINARY
        yield f"kll_sketch_merge_{suffix}", kll.sketch_merge(kind), _BINARY
        yield f"kll_sketch_get_n_{suffix}", kll.get_n(kind), _LONG
        yield f"kll_sketch_to_string_{suffix}", kll_queries.to_string(kind), T.StringType()
        quantile = f"kll_sketch_get_quantile_{suffix}"
        yield quantile, kll_queries.get_quantile(kind, False), value
        yield f"{quantile}_array", kll_queries.get_quantile(kind, True), T.ArrayType(value)
        rank = f"kll_sketch_get_rank_{suffix}"
        yield rank, kll_queries.get_rank(kind, False), _DOUBLE
        yield f"{rank}_array", kll_queries.get_rank(kind, True), T.ArrayType(_DOUBLE)


def _tuple_functions() -> Iterator[tuple[str, Callable[..., pa.Array], T.DataType]]:
    for kind in ("double", "integer"):
        summary_type = _DOUBLE if kind == "double" else _LONG
        yield f"tuple_sketch_agg_{kind}", tuple_sketch.sketch_agg(kind), _BINARY
        yield f"tuple_union_agg_{kind}", tuple_sketch.union_agg(kind), _BINARY
        yield f"tuple_intersection_agg_{kind}", tuple_sketch.intersection_agg(kind), _BINARY
        yield f"tuple_sketch_estimate_{kind}", tuple_sketch.estimate(kind), _DOUBLE
        yield f"tuple_sketch_theta_{kind}", tuple_sketch.theta(kind), _DOUBLE
        yield f"tuple_sketch_summary_{kind}", tuple_sketch.summary(kind), summary_type
        for suffix, theta_right in (("", False), ("_theta", True)):
            yield f"tuple_union{suffix}_{kind}", tuple_sketch.union(kind, theta_right), _BINARY
            yield (
                f"tuple_intersection{suffix}_{kind}",
                tuple_sketch.intersection(kind, theta_right),
                _BINARY,
            )
            yield (
                f"tuple_difference{suffix}_{kind}",
                tuple_sketch.difference(kind, theta_right),
                _BINARY,
            )


_FUNCTIONS: tuple[tuple[str, Callable[..., pa.Array], T.DataType], ...] = (
    ("hll_sketch_agg", hll.hll_sketch_agg, _BINARY),
    ("hll_union_agg", hll.hll_union_agg, _BINARY),
    ("hll_union", hll.hll_union, _BINARY),
    ("hll_sketch_estimate", hll.hll_sketch_estimate, _LONG),
    ("theta_sketch_agg", theta.theta_sketch_agg, _BINARY),
    ("theta_union_agg", theta.theta_union_agg, _BINARY),
    ("theta_intersection_agg", theta.theta_intersection_agg, _BINARY),
    ("theta_union", theta.theta_union, _BINARY),
    ("theta_intersection", theta.theta_intersection, _BINARY),
    ("theta_difference", theta.theta_difference, _BINARY),
    ("theta_sketch_estimate", theta.theta_sketch_estimate, _LONG),
    ("count_min_sketch", count_min.count_min_sketch, _BINARY),
    ("histogram_numeric", histogram.histogram_numeric, histogram.RESULT_TYPE),
    ("hllpp_code", hllpp.code, T.IntegerType()),
    ("hllpp_estimate", hllpp.estimate, _LONG),
)

SKETCH_FUNCTIONS: dict[str, str] = {
    name: register(PythonUDF(func, rtype, name=name, arrow=True))
    for name, func, rtype in (*_FUNCTIONS, *_kll_functions(), *_tuple_functions())
}
