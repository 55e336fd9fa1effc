"""Spark's Tuple sketch functions (``tuple_*_double`` / ``tuple_*_integer``): distinct keys with a
summary each, combined in a mode (sum, min, max, alwaysone). Built-in Arrow UDFs over
``kaspar.engine.sketches``; the aggregate takes ``list({k: key, v: summary})`` so keys and
summaries stay paired. Parameters are shown in the column's name with their defaults, as Spark
shows them, and checked as Spark's analyzer checks literals.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from kaspar.engine.sketches.registered import SKETCH_FUNCTIONS
from kaspar.engine.sketches.sql_names import TUPLE_NAMES as _NAMES
from kaspar.engine.sketches.tuple_summaries import MODES
from kaspar.errors import AnalysisException
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_LG_NOM = (4, 26)


def _mismatch(call: str, inner: str, state: str) -> AnalysisException:
    return AnalysisException(
        f'Cannot resolve "{call}" due to data type mismatch: {inner} SQLSTATE: {state}.',
        "DATATYPE_MISMATCH.TYPE_CHECK_FAILURE_WITH_HINT",
    )


def _params(
    fn: str,
    operands: list[exp.Expr],
    lg: Column | int | bool | None,
    mode: Column | str | None,
) -> list[exp.Expr]:
    """The lgNomEntries (unless ``lg`` is ``False``) and mode arguments, checked."""
    out: list[exp.Expr] = []
    if lg is not False:
        lg_e = lg.expr if isinstance(lg, Column) else literal(12 if lg is None else lg)
        out.append(lg_e)
    mode_e = mode.expr if isinstance(mode, Column) else literal("sum" if mode is None else mode)
    out.append(mode_e)
    call = f"{fn}({names(*operands, *out)})"
    if isinstance(mode_e, exp.Literal) and mode_e.is_string and mode_e.this not in MODES:
        raise _mismatch(
            call,
            f"[TUPLE_INVALID_SKETCH_MODE] Invalid call to `{fn}`: mode '{mode_e.this}' is not "
            f"supported. Valid modes are: {', '.join(MODES)}.",
            "22023",
        )
    first = out[0]
    if lg is not False and isinstance(first, exp.Literal) and first.is_int:
        value = int(first.this)
        if not _LG_NOM[0] <= value <= _LG_NOM[1]:
            raise _mismatch(
                call,
                f"[SKETCH_INVALID_LG_NOM_ENTRIES] Invalid call to `{fn}`; the `lgNomEntries` "
                f"value must be between {_LG_NOM[0]} and {_LG_NOM[1]}, inclusive: {value}.",
                "22003",
            )
    return out


def _call(fn: str, args: list[exp.Expr], shown: list[exp.Expr]) -> Column:
    udf = exp.Anonymous(this=SKETCH_FUNCTIONS[fn], expressions=[a.copy() for a in args])
    return node(udf, f"{fn}({names(*shown)})")


def _list(e: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this="list", expressions=[e])


def _union_of(name: str, kind: str) -> Callable[..., Column]:
    def union(
        col1: ColumnOrName,
        col2: ColumnOrName,
        lgNomEntries: Column | int | None = None,
        mode: Column | str | None = None,
    ) -> Column:
        fn, a, b = f"{name}_{kind}", to_expr(col1), to_expr(col2)
        params = _params(fn, [a, b], lgNomEntries, mode)
        return _call(fn, [a, b, *params], [a, b, *params])

    return union


def _intersection_of(name: str, kind: str) -> Callable[..., Column]:
    def intersection(
        col1: ColumnOrName, col2: ColumnOrName, mode: Column | str | None = None
    ) -> Column:
        fn, a, b = f"{name}_{kind}", to_expr(col1), to_expr(col2)
        params = _params(fn, [a, b], False, mode)
        return _call(fn, [a, b, *params], [a, b, *params])

    return intersection


def _difference_of(name: str, kind: str) -> Callable[..., Column]:
    def difference(col1: ColumnOrName, col2: ColumnOrName) -> Column:
        a, b = to_expr(col1), to_expr(col2)
        return _call(f"{name}_{kind}", [a, b], [a, b])

    return difference


def _tuple(kind: str) -> tuple[Callable[..., Column], ...]:
    def sketch_agg(
        key: ColumnOrName,
        summary: ColumnOrName,
        lgNomEntries: Column | int | None = None,
        mode: Column | str | None = None,
    ) -> Column:
        fn, k, v = f"tuple_sketch_agg_{kind}", to_expr(key), to_expr(summary)
        params = _params(fn, [k, v], lgNomEntries, mode)
        pairs = exp.Struct(
            expressions=[
                exp.PropertyEQ(this=exp.to_identifier("k"), expression=k.copy()),
                exp.PropertyEQ(this=exp.to_identifier("v"), expression=v.copy()),
            ]
        )
        return _call(fn, [_list(pairs), *params], [k, v, *params])

    def union_agg(
        col: ColumnOrName,
        lgNomEntries: Column | int | None = None,
        mode: Column | str | None = None,
    ) -> Column:
        fn, e = f"tuple_union_agg_{kind}", to_expr(col)
        params = _params(fn, [e], lgNomEntries, mode)
        return _call(fn, [_list(e.copy()), *params], [e, *params])

    def intersection_agg(col: ColumnOrName, mode: Column | str | None = None) -> Column:
        fn, e = f"tuple_intersection_agg_{kind}", to_expr(col)
        params = _params(fn, [e], False, mode)
        return _call(fn, [_list(e.copy()), *params], [e, *params])

    def estimate(col: ColumnOrName) -> Column:
        e = to_expr(col)
        return _call(f"tuple_sketch_estimate_{kind}", [e], [e])

    def summary(col: ColumnOrName, mode: Column | str | None = None) -> Column:
        fn, e = f"tuple_sketch_summary_{kind}", to_expr(col)
        params = _params(fn, [e], False, mode)
        return _call(fn, [e, *params], [e, *params])

    def theta(col: ColumnOrName) -> Column:
        e = to_expr(col)
        return _call(f"tuple_sketch_theta_{kind}", [e], [e])

    functions = (
        sketch_agg, union_agg, intersection_agg, estimate, summary, theta,
        _union_of("tuple_union", kind), _intersection_of("tuple_intersection", kind),
        _difference_of("tuple_difference", kind), _union_of("tuple_union_theta", kind),
        _intersection_of("tuple_intersection_theta", kind),
        _difference_of("tuple_difference_theta", kind),
    )  # fmt: skip
    for f, name in zip(functions, _NAMES, strict=True):
        f.__name__ = f.__qualname__ = f"{name}_{kind}"
    return functions


(
    tuple_sketch_agg_double,
    tuple_union_agg_double,
    tuple_intersection_agg_double,
    tuple_sketch_estimate_double,
    tuple_sketch_summary_double,
    tuple_sketch_theta_double,
    tuple_union_double,
    tuple_intersection_double,
    tuple_difference_double,
    tuple_union_theta_double,
    tuple_intersection_theta_double,
    tuple_difference_theta_double,
) = _tuple("double")
(
    tuple_sketch_agg_integer,
    tuple_union_agg_integer,
    tuple_intersection_agg_integer,
    tuple_sketch_estimate_integer,
    tuple_sketch_summary_integer,
    tuple_sketch_theta_integer,
    tuple_union_integer,
    tuple_intersection_integer,
    tuple_difference_integer,
    tuple_union_theta_integer,
    tuple_intersection_theta_integer,
    tuple_difference_theta_integer,
) = _tuple("integer")

__all__ = [
    "tuple_difference_double",
    "tuple_difference_integer",
    "tuple_difference_theta_double",
    "tuple_difference_theta_integer",
    "tuple_intersection_agg_double",
    "tuple_intersection_agg_integer",
    "tuple_intersection_double",
    "tuple_intersection_integer",
    "tuple_intersection_theta_double",
    "tuple_intersection_theta_integer",
    "tuple_sketch_agg_double",
    "tuple_sketch_agg_integer",
    "tuple_sketch_estimate_double",
    "tuple_sketch_estimate_integer",
    "tuple_sketch_summary_double",
    "tuple_sketch_summary_integer",
    "tuple_sketch_theta_double",
    "tuple_sketch_theta_integer",
    "tuple_union_agg_double",
    "tuple_union_agg_integer",
    "tuple_union_double",
    "tuple_union_integer",
    "tuple_union_theta_double",
    "tuple_union_theta_integer",
]
