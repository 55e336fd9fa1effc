"""Spark's sketch functions: HLL and Theta distinct counts, KLL quantiles (Apache DataSketches,
byte-compatible with the sketches Spark writes), ``count_min_sketch`` and ``histogram_numeric``.

Each is a built-in Arrow UDF (``kaspar.engine.sketches``). An aggregate is called on
``list(col)``, so DuckDB hands it each group's values at once; its parameters follow as literals,
then the call's Spark name and the operand's name, which its type errors quote.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from sqlglot import exp

from kaspar.engine.plan.naming import output_name
from kaspar.engine.sketches.registered import SKETCH_FUNCTIONS
from kaspar.engine.sketches.sql_names import KLL_NAMES as _KLL_NAMES
from kaspar.errors import AnalysisException
from kaspar.sql.column import Column, literal, to_expr
from kaspar.sql.functions._invoke import ColumnOrName, names, node

_KLL_K = (8, 65535)
_MAX_DOUBLE = "1.7976931348623157E308"


def _udf(name: str, *args: exp.Expr) -> exp.Anonymous:
    return exp.Anonymous(this=SKETCH_FUNCTIONS[name], expressions=[a.copy() for a in args])


def _param(value: Column | bool | float | str | None, default: bool | float | None) -> exp.Expr:
    if isinstance(value, Column):
        return value.expr
    return literal(default if value is None else value)


def _aggregate(fn: str, col: ColumnOrName, *params: exp.Expr, name: str | None = None) -> Column:
    """``fn(list(col), params..., call, operand)``, named ``fn(col, params...)``."""
    e = to_expr(col)
    call = name or f"{fn}({names(e, *params)})"
    values = exp.Anonymous(this="list", expressions=[e.copy()])
    spark = [exp.Literal.string(call), exp.Literal.string(output_name(e))]
    return node(_udf(fn, values, *params, *spark), call)


def _merge_aggregate(fn: str, col: ColumnOrName, *params: exp.Expr) -> Column:
    e = to_expr(col)
    values = exp.Anonymous(this="list", expressions=[e.copy()])
    return node(_udf(fn, values, *params), f"{fn}({names(e, *params)})")


def _scalar(fn: str, *cols: ColumnOrName, params: tuple[exp.Expr, ...] = ()) -> Column:
    exprs = [to_expr(c) for c in cols]
    return node(_udf(fn, *exprs, *params), f"{fn}({names(*exprs, *params)})")


def hll_sketch_agg(col: ColumnOrName, lgConfigK: Column | int | None = None) -> Column:
    return _aggregate("hll_sketch_agg", col, _param(lgConfigK, 12))


def hll_union_agg(
    col: ColumnOrName, allowDifferentLgConfigK: Column | bool | None = None
) -> Column:
    return _merge_aggregate("hll_union_agg", col, _param(allowDifferentLgConfigK, False))


def hll_sketch_estimate(col: ColumnOrName) -> Column:
    return _scalar("hll_sketch_estimate", col)


def hll_union(
    col1: ColumnOrName, col2: ColumnOrName, allowDifferentLgConfigK: bool | None = None
) -> Column:
    return _scalar("hll_union", col1, col2, params=(_param(allowDifferentLgConfigK, False),))


def theta_sketch_agg(col: ColumnOrName, lgNomEntries: Column | int | None = None) -> Column:
    return _aggregate("theta_sketch_agg", col, _param(lgNomEntries, 12))


def theta_union_agg(col: ColumnOrName, lgNomEntries: Column | int | None = None) -> Column:
    return _merge_aggregate("theta_union_agg", col, _param(lgNomEntries, 12))


def theta_intersection_agg(col: ColumnOrName) -> Column:
    return _merge_aggregate("theta_intersection_agg", col)


def theta_sketch_estimate(col: ColumnOrName) -> Column:
    return _scalar("theta_sketch_estimate", col)


def theta_union(
    col1: ColumnOrName, col2: ColumnOrName, lgNomEntries: Column | int | None = None
) -> Column:
    return _scalar("theta_union", col1, col2, params=(_param(lgNomEntries, 12),))


def theta_intersection(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    return _scalar("theta_intersection", col1, col2)


def theta_difference(col1: ColumnOrName, col2: ColumnOrName) -> Column:
    return _scalar("theta_difference", col1, col2)


def _kll_k(fn: str, col: ColumnOrName, k: Column | int | None) -> list[exp.Expr]:
    """The k argument Spark shows (none when not given), checked as Spark's analyzer does."""
    if k is None:
        return []
    e = _param(k, None)
    if isinstance(e, exp.Literal) and e.is_int and not _KLL_K[0] <= int(e.this) <= _KLL_K[1]:
        call = f"{fn}({names(to_expr(col), e)})"
        raise AnalysisException(
            f'Cannot resolve "{call}" due to data type mismatch: [KLL_SKETCH_K_OUT_OF_RANGE] '
            f"For function `{fn}`, the k parameter must be between {_KLL_K[0]} and "
            f"{_KLL_K[1]} (inclusive), but got {e.this}. SQLSTATE: 22003.",
            "DATATYPE_MISMATCH.TYPE_CHECK_FAILURE_WITH_HINT",
        )
    return [e]


def _kll_agg(fn: str, col: ColumnOrName, k: Column | int | None) -> Column:
    shown = _kll_k(fn, col, k)
    params = shown or [literal(200)]
    e = to_expr(col)
    return _aggregate(fn, col, *params, name=f"{fn}({names(e, *shown)})")


def _kll_merge_agg(fn: str, col: ColumnOrName, k: Column | int | None) -> Column:
    shown = _kll_k(fn, col, k)
    e = to_expr(col)
    values = exp.Anonymous(this="list", expressions=[e.copy()])
    call = _udf(fn, values, *(shown or [literal(200)]))
    return node(call, f"{fn}({names(e, *shown)})")


def _kll_query(fn: str, sketch: ColumnOrName, arg: ColumnOrName) -> Column:
    """A quantile or rank query: the array variant for an array of ranks or values."""
    s, a = to_expr(sketch), to_expr(arg)
    many = isinstance(a, exp.Array)
    return node(_udf(f"{fn}_array" if many else fn, s, a), f"{fn}({names(s, a)})")


def _kll(kind: str) -> tuple[Callable[..., Column], ...]:
    def sketch_agg(col: ColumnOrName, k: Column | int | None = None) -> Column:
        return _kll_agg(f"kll_sketch_agg_{kind}", col, k)

    def merge_agg(col: ColumnOrName, k: Column | int | None = None) -> Column:
        return _kll_merge_agg(f"kll_merge_agg_{kind}", col, k)

    def to_string(col: ColumnOrName) -> Column:
        return _scalar(f"kll_sketch_to_string_{kind}", col)

    def get_n(col: ColumnOrName) -> Column:
        return _scalar(f"kll_sketch_get_n_{kind}", col)

    def merge(left: ColumnOrName, right: ColumnOrName) -> Column:
        return _scalar(f"kll_sketch_merge_{kind}", left, right)

    def get_quantile(sketch: ColumnOrName, rank: ColumnOrName) -> Column:
        return _kll_query(f"kll_sketch_get_quantile_{kind}", sketch, rank)

    def get_rank(sketch: ColumnOrName, quantile: ColumnOrName) -> Column:
        return _kll_query(f"kll_sketch_get_rank_{kind}", sketch, quantile)

    functions = (sketch_agg, merge_agg, to_string, get_n, merge, get_quantile, get_rank)
    for f, name in zip(functions, _KLL_NAMES, strict=True):
        f.__name__ = f.__qualname__ = f"{name}_{kind}"
    return functions


(
    kll_sketch_agg_bigint,
    kll_merge_agg_bigint,
    kll_sketch_to_string_bigint,
    kll_sketch_get_n_bigint,
    kll_sketch_merge_bigint,
    kll_sketch_get_quantile_bigint,
    kll_sketch_get_rank_bigint,
) = _kll("bigint")
(
    kll_sketch_agg_float,
    kll_merge_agg_float,
    kll_sketch_to_string_float,
    kll_sketch_get_n_float,
    kll_sketch_merge_float,
    kll_sketch_get_quantile_float,
    kll_sketch_get_rank_float,
) = _kll("float")
(
    kll_sketch_agg_double,
    kll_merge_agg_double,
    kll_sketch_to_string_double,
    kll_sketch_get_n_double,
    kll_sketch_merge_double,
    kll_sketch_get_quantile_double,
    kll_sketch_get_rank_double,
) = _kll("double")


def _out_of_range(call: str, name: str, bounds: str, current: str) -> AnalysisException:
    return AnalysisException(
        f'Cannot resolve "{call}" due to data type mismatch: The {name} must be between '
        f"{bounds} (current value = {current}).",
        "DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE",
    )


def _literal_value(e: exp.Expr) -> float | None:
    """The number a literal parameter holds (``lit(0.5)`` is a cast of a string)."""
    while isinstance(e, exp.Cast):
        e = e.this
    if isinstance(e, exp.Neg) and isinstance(e.this, exp.Literal):
        return -float(e.this.this)
    return float(e.this) if isinstance(e, exp.Literal) else None


def count_min_sketch(
    col: ColumnOrName,
    eps: Column | float,
    confidence: Column | float,
    seed: Column | int | None = None,
) -> Column:
    """Spark's count-min sketch of a column (integers, strings or binary); a random seed when
    none is given, shown in the column's name as Spark shows it."""
    e, epsilon, conf = to_expr(col), _param(eps, None), _param(confidence, None)
    chosen = _param(seed, random.randint(0, 2**31 - 1))  # noqa: S311 (a sketch seed)
    call = f"count_min_sketch({names(e, epsilon, conf, chosen)})"
    eps_value, conf_value = _literal_value(epsilon), _literal_value(conf)
    if eps_value is not None and eps_value <= 0.0:
        raise _out_of_range(call, "eps", f"(0.0, {_MAX_DOUBLE}]", f"{eps_value}D")
    if conf_value is not None and not 0.0 < conf_value < 1.0:
        raise _out_of_range(call, "confidence", "(0.0, 1.0]", f"{conf_value}D")
    values = exp.Anonymous(this="list", expressions=[e.copy()])
    return node(_udf("count_min_sketch", values, epsilon, conf, chosen), call)


def histogram_numeric(col: ColumnOrName, nBins: Column | int) -> Column:
    """Hive's streaming numeric histogram: ``[{x, y}, ...]`` with x of the input's type."""
    e, bins = to_expr(col), _param(nBins, None)
    call = f"histogram_numeric({names(e, bins)})"
    count = _literal_value(bins)
    if count is not None and count < 2:
        raise _out_of_range(call, "nb", "[2, 2147483647]", str(int(count)))
    values = exp.Anonymous(this="list", expressions=[e.copy()])
    histogram = _udf("histogram_numeric", values, bins)
    h = exp.to_identifier("h")
    x = exp.Anonymous(this="struct_extract", expressions=[exp.column("h"), exp.Literal.string("x")])
    typed_x = exp.Anonymous(this="cast_to_type", expressions=[x, exp.AnyValue(this=e.copy())])
    y = exp.Anonymous(this="struct_extract", expressions=[exp.column("h"), exp.Literal.string("y")])
    entry = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier("x"), expression=typed_x),
            exp.PropertyEQ(this=exp.to_identifier("y"), expression=y),
        ]
    )
    body = exp.Anonymous(
        this="list_transform", expressions=[histogram, exp.Lambda(this=entry, expressions=[h])]
    )
    return node(body, call)


__all__ = [
    "count_min_sketch",
    "histogram_numeric",
    "hll_sketch_agg",
    "hll_sketch_estimate",
    "hll_union",
    "hll_union_agg",
    "kll_merge_agg_bigint",
    "kll_merge_agg_double",
    "kll_merge_agg_float",
    "kll_sketch_agg_bigint",
    "kll_sketch_agg_double",
    "kll_sketch_agg_float",
    "kll_sketch_get_n_bigint",
    "kll_sketch_get_n_double",
    "kll_sketch_get_n_float",
    "kll_sketch_get_quantile_bigint",
    "kll_sketch_get_quantile_double",
    "kll_sketch_get_quantile_float",
    "kll_sketch_get_rank_bigint",
    "kll_sketch_get_rank_double",
    "kll_sketch_get_rank_float",
    "kll_sketch_merge_bigint",
    "kll_sketch_merge_double",
    "kll_sketch_merge_float",
    "kll_sketch_to_string_bigint",
    "kll_sketch_to_string_double",
    "kll_sketch_to_string_float",
    "theta_difference",
    "theta_intersection",
    "theta_intersection_agg",
    "theta_sketch_agg",
    "theta_sketch_estimate",
    "theta_union",
    "theta_union_agg",
]
