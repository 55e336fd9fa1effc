"""Spark's ``counter_diff`` window function (4.3), written as DuckDB window calls.

``counter_diff(value[, start]) OVER (PARTITION BY ... ORDER BY ...)`` turns a cumulative
counter into deltas, row by row in the window's order:

1. A row whose value is NULL gives NULL and is skipped: the next row compares with the last
   row that had a value (and that row's start time, NULL or not).
2. A negative value raises ``COUNTER_DIFF_NEGATIVE_COUNTER_VALUE``.
3. The first row with a value gives NULL.
4. A start time earlier than the previous row's raises ``COUNTER_DIFF_START_TIME_DECREASED``; a
   later one is a counter reset: NULL. A NULL start time on either row is no reset.
5. A value below the previous one is a reset too (NULL); otherwise the result is the
   difference, of the value's type.

The previous row is one ``lag(... IGNORE NULLS)`` over a struct of (value, start) built only for
rows with a value, so steps 1-5 are one pass of DuckDB's window operator.
"""

from __future__ import annotations

from sqlglot import exp

from kaspar.engine.compile.cast_templates import error_message, raw_cast
from kaspar.errors import AnalysisException

NAME = "counter_diff"
VALUE_TYPE = "kaspar_counter_value_type"  # the value's DuckDB type, set when it was probed


def expand(window: exp.Window) -> exp.Expr:
    """The CASE expression that computes ``counter_diff`` over ``window``."""
    _check_window(window)
    args = window.this.expressions
    value = args[0]
    start = args[1] if len(args) > 1 else exp.null()
    pair = exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier("v"), expression=value.copy()),
            exp.PropertyEQ(this=exp.to_identifier("s"), expression=start.copy()),
        ]
    )
    kept = exp.Case(ifs=[exp.If(this=exp.Not(this=value.copy().is_(exp.null())), true=pair)])
    lag = exp.Lag(this=kept)
    previous = exp.Window(
        this=exp.IgnoreNulls(this=lag),
        partition_by=[p.copy() for p in window.args.get("partition_by") or []],
        order=window.args["order"].copy(),
    )
    before = exp.Dot(this=exp.paren(previous.copy()), expression=exp.to_identifier("v"))
    before_start = exp.Dot(this=exp.paren(previous), expression=exp.to_identifier("s"))
    difference = exp.Sub(this=value.copy(), expression=before.copy())
    kind = value.meta.get(VALUE_TYPE)
    steps = [
        (value.copy().is_(exp.null()), exp.null()),
        (value.copy() < 0, _negative(value)),
        (before.copy().is_(exp.null()), exp.null()),
        (start.copy() < before_start.copy(), _decreased(before_start, start)),
        (start.copy() > before_start.copy(), exp.null()),
        (value.copy() < before.copy(), exp.null()),
    ]
    return exp.Case(
        ifs=[exp.If(this=when, true=then) for when, then in steps],
        default=raw_cast(difference, kind) if kind else difference,
    )


def _negative(value: exp.Expr) -> exp.Expr:
    return error_message(
        "COUNTER_DIFF_NEGATIVE_COUNTER_VALUE",
        "A negative counter value ",
        raw_cast(value, "VARCHAR"),
        " was provided to function `counter_diff`. Negative counter values are not allowed.",
    )


def _decreased(before: exp.Expr, start: exp.Expr) -> exp.Expr:
    def shown(t: exp.Expr) -> exp.Expr:
        return exp.Anonymous(
            this="strftime", expressions=[t.copy(), exp.Literal.string("%Y-%m-%d %H:%M:%S")]
        )

    return error_message(
        "COUNTER_DIFF_START_TIME_DECREASED",
        "Start time provided to function `counter_diff` decreased from ",
        shown(before),
        " to ",
        shown(start),
        ". Start time is required to be non-decreasing.",
    )


def _check_window(window: exp.Window) -> None:
    """Spark's rules: an ordered window, with no frame but rows from the start to this row."""
    if window.args.get("order") is None:
        raise AnalysisException(
            "Window function counter_diff requires the window to be ordered. You need to add an "
            "ORDER BY clause.",
            "WINDOW_FUNCTION_FRAME_NOT_ORDERED",
        )
    spec = window.args.get("spec")
    if spec is None:
        return
    rows = str(spec.args.get("kind", "")).upper() == "ROWS"
    start = f"{spec.args.get('start')} {spec.args.get('start_side') or ''}".strip().upper()
    end = str(spec.args.get("end", "")).upper()
    if not (rows and start == "UNBOUNDED PRECEDING" and end == "CURRENT ROW"):
        raise AnalysisException(
            "Window Frame must match the required frame ROWS BETWEEN UNBOUNDED PRECEDING AND "
            "CURRENT ROW.",
            "_LEGACY_ERROR_TEMP_1036",
        )


def without_over(args: list[exp.Expr]) -> exp.Expr:
    """``counter_diff`` outside a window: Spark's analysis error."""
    del args
    raise AnalysisException(
        'Window function "counter_diff" requires an OVER clause.',
        "WINDOW_FUNCTION_WITHOUT_OVER_CLAUSE",
    )


__all__ = ["NAME", "VALUE_TYPE", "expand", "without_over"]
