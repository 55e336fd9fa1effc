"""Spark's errors for the sketch functions, raised inside DuckDB and carried back unchanged.

A sketch function runs as an Arrow UDF inside a DuckDB query, where a Python exception would lose
its class; ``deferred_errors.defer`` keeps it so the caller gets Spark's exception and error class.
"""

from __future__ import annotations

from kaspar.engine.deferred_errors import DeferredError, defer
from kaspar.errors import AnalysisException, PySparkNotImplementedError, SparkRuntimeException

_KINDS = {"hll": "HLL", "theta": "Theta", "kll": "KLL", "tuple": "Tuple"}
_PRODUCERS = {
    "hll": "the `hll_sketch_agg` function",
    "theta": "the `theta_sketch_agg` function",
    "kll": "the `kll_sketch_agg` function",
    "tuple": "the corresponding `tuple_sketch_agg_*` function",
}


def invalid_buffer(family: str, function: str) -> DeferredError:
    """``<FAMILY>_INVALID_INPUT_SKETCH_BUFFER``: the bytes are not a sketch of this family."""
    return defer(
        SparkRuntimeException(
            f"Invalid call to `{function}`; only valid {_KINDS[family]} sketch buffers are "
            f"supported as inputs (such as those produced by {_PRODUCERS[family]}).",
            f"{family.upper()}_INVALID_INPUT_SKETCH_BUFFER",
            {"function": f"`{function}`"},
        )
    )


def out_of_range(
    error_class: str, function: str, name: str, bounds: tuple[int, int], value: int
) -> DeferredError:
    """A size parameter outside Spark's bounds (``HLL_INVALID_LG_K``, ...)."""
    low, high = bounds
    return defer(
        SparkRuntimeException(
            f"Invalid call to `{function}`; the `{name}` value must be between {low} and {high}, "
            f"inclusive: {value}.",
            error_class,
            {"function": f"`{function}`", "min": str(low), "max": str(high), "value": str(value)},
        )
    )


def different_lg_k(left: int, right: int, function: str) -> DeferredError:
    return defer(
        SparkRuntimeException(
            f"Sketches have different `lgConfigK` values: {left} and {right}. Set the "
            "`allowDifferentLgConfigK` parameter to true to call "
            f"`{function}` with different `lgConfigK` values.",
            "HLL_UNION_DIFFERENT_LG_K",
            {"left": str(left), "right": str(right), "function": f"`{function}`"},
        )
    )


def unexpected_input_type(call: str, expected: str, operand: str, actual: str) -> DeferredError:
    """``DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE`` for the values a sketch aggregates."""
    return defer(
        AnalysisException(
            f'Cannot resolve "{call}" due to data type mismatch: The first parameter requires '
            f'the {expected} type, however "{operand}" has the type "{actual}".',
            "DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE",
        )
    )


def quantile_range(function: str) -> DeferredError:
    return defer(
        SparkRuntimeException(
            f"For function `{function}`, the quantile value must be between 0.0 and 1.0 "
            "(inclusive).",
            "KLL_SKETCH_INVALID_QUANTILE_RANGE",
            {"functionName": f"`{function}`"},
        )
    )


def not_supported(what: str) -> DeferredError:
    return defer(
        PySparkNotImplementedError(f"{what} is not supported by kaspar.", "NOT_IMPLEMENTED")
    )
