"""How long a stream-stream join keeps its rows: Spark's state watermark predicates.

A row may leave one side's state once no row the other side can still send can match it. Spark
(``StreamingSymmetricHashJoinHelper``) finds that bound two ways, and so does this module:

* **Key watermark**: an equi-join key is the watermarked column of either side (or a time
  window over it). Rows of both sides whose key is at or behind the watermark are evicted.
* **Value watermark**: a range condition between the two sides' event times, such as
  ``rt >= lt AND rt <= lt + interval 1 hour``. Each conjunct ``a < b`` (``<=``, ``>``, ``>=``)
  is rewritten as a sum of terms ``a - b < 0``; when it holds exactly one event-time column of
  this side, negated, and one watermarked column of the other side, the other side's future
  rows (event time after the watermark ``W``) bound this side's column from below: rows of
  this side at or before ``W + constants`` (``- 1`` ms for ``<=``/``>=``) can be evicted. The
  smallest bound over all conjuncts wins.

``state_value_watermark`` follows Spark's ``getStateValueWatermark`` term by term, so the same
query evicts the same rows on both engines (and gets the same ``AnalysisException`` when
neither bound exists for an outer join).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.compile.ansi_interval_arithmetic import INTERVAL_SOURCE
from kaspar.engine.compile.ansi_interval_carrier import LITERAL_VALUE
from kaspar.engine.plan.attributes import ATTR_ID
from kaspar.engine.streaming.trigger import parse_interval_ms
from kaspar.errors import IllegalArgumentException

# comparison -> (sides swapped to read as ``a < b``, inclusive)
_COMPARISONS: dict[type[exp.Expr], tuple[bool, bool]] = {
    exp.LT: (False, False),
    exp.LTE: (False, True),
    exp.GT: (True, False),
    exp.GTE: (True, True),
}
_PRECISE_UNITS = ("microsecond", "millisecond", "second", "minute", "hour", "day", "week")


@dataclass(frozen=True)
class _Term:
    """One summand of a canonical ``sum < 0``: an attribute (``attr``) or a constant in µs."""

    negated: bool
    attr: int | None = None
    micros: float = 0.0


def conjuncts(condition: exp.Expr | None) -> Iterator[exp.Expr]:
    """The parts of an ``AND`` chain (``BETWEEN`` as its two comparisons, like Spark's
    analyzer)."""
    if condition is None:
        return
    if isinstance(condition, exp.Paren):
        yield from conjuncts(condition.this)
    elif isinstance(condition, exp.And):
        yield from conjuncts(condition.this)
        yield from conjuncts(condition.expression)
    elif isinstance(condition, exp.Between):
        value = condition.this
        yield exp.GTE(this=value, expression=condition.args["low"])
        yield exp.LTE(this=value, expression=condition.args["high"])
    else:
        yield condition


def attribute_id(e: exp.Expr) -> int | None:
    """The attribute a resolved column reference names."""
    if isinstance(e, exp.Column):
        value = e.meta.get(ATTR_ID)
        return int(value) if value is not None else None
    return None


def equi_pairs(condition: exp.Expr | None) -> list[tuple[int, int]]:
    """``(attr, attr)`` for each ``a = b`` conjunct between two column references."""
    pairs = []
    for part in conjuncts(condition):
        if isinstance(part, exp.EQ):
            a, b = attribute_id(part.this), attribute_id(part.expression)
            if a is not None and b is not None:
                pairs.append((a, b))
    return pairs


def state_value_watermark(
    condition: exp.Expr | None,
    this_side: set[int],
    other_watermarked: set[int],
    watermark_ms: int,
) -> int | None:
    """The state value watermark (ms) of the side whose timestamp attributes are
    ``this_side``, given the watermarked timestamp attributes of the other side; None when the
    condition gives no bound. Rows of this side at or before it can be evicted."""
    if not other_watermarked:
        return None
    bounds = []
    for part in conjuncts(condition):
        shape = _COMPARISONS.get(type(part))
        if shape is None:
            continue
        swap, inclusive = shape
        low, high = (part.expression, part.this) if swap else (part.this, part.expression)
        found = _less_than(low, high, this_side, other_watermarked, watermark_ms)
        if found is not None:
            # The eviction predicate is ``<= bound``: for an inclusive comparison the bound
            # itself may still match, hence Spark's ``- 1``.
            bounds.append(found - 1 if inclusive else found)
    return min(bounds) if bounds else None


def _less_than(
    left: exp.Expr, right: exp.Expr, this_side: set[int], others: set[int], watermark_ms: int
) -> int | None:
    """Spark's ``getStateWatermarkFromLessThenPredicate``: ``left - right < 0`` solved for the
    one attribute of this side, with the other side's watermarked attribute set to ``W``."""
    terms = _collect(exp.Sub(this=left, expression=right))
    if terms is None:
        return None
    attrs = {t.attr for t in terms if t.attr is not None}
    if len(attrs & this_side) != 1 or len(attrs & others) > 1:
        return None
    mine = [t for t in terms if t.attr in this_side]
    if len(mine) != 1 or not mine[0].negated:
        return None  # ``this + ... < 0`` bounds this side from above: no eviction
    total = 0.0
    for term in terms:
        if term is mine[0]:
            continue
        value = watermark_ms * 1000.0 if term.attr in others else term.micros
        if term.attr is not None and term.attr not in others:
            return None  # an attribute that is neither: not solvable
        total += -value if term.negated else value
    return int(total / 1000.0)


def _collect(e: exp.Expr, negate: bool = False) -> list[_Term] | None:
    """Spark's ``collectTerms``: the summands of ``e``, or None if it is not such a sum."""
    if isinstance(e, exp.Paren):
        return _collect(e.this, negate)
    if INTERVAL_SOURCE in e.meta:  # interval arithmetic: its operands and operator
        a, b = e.expressions
        op = exp.Sub if e.meta[INTERVAL_SOURCE] == "-" else exp.Add
        return _collect(op(this=a, expression=b), negate)
    if isinstance(e, exp.Add | exp.Sub):
        left = _collect(e.this, negate)
        right = _collect(e.expression, negate != isinstance(e, exp.Sub))
        return None if left is None or right is None else [*left, *right]
    if isinstance(e, exp.Neg):
        return _collect(e.this, not negate)
    if isinstance(e, exp.Cast):
        return _collect(e.this, negate)
    attr = attribute_id(e)
    if attr is not None:
        return [_Term(negate, attr=attr)]
    micros = _constant_micros(e)
    return None if micros is None else [_Term(negate, micros=micros)]


def _constant_micros(e: exp.Expr) -> float | None:
    """An interval literal in µs (months and years are imprecise: None), or a number of
    seconds."""
    literal = e.meta.get(LITERAL_VALUE)
    if literal is not None:  # an ANSI interval literal (months are imprecise: None)
        dtype, value = literal
        return float(value) if isinstance(dtype, T.DayTimeIntervalType) else None
    if isinstance(e, exp.Interval):
        unit = e.args.get("unit")
        text = f"{e.this.name} {unit.name if unit is not None else ''}".strip()
        if not any(u in text.lower() for u in _PRECISE_UNITS):
            return None
        try:
            return float(parse_interval_ms(text)) * 1000.0
        except IllegalArgumentException:
            return None
    if isinstance(e, exp.Literal) and not e.is_string:
        return float(e.this) * 1_000_000.0
    return None
