"""Streaming aggregation: aggregate functions split into partial, merge and final steps.

A streaming ``groupBy().agg()`` keeps, per group, *partial* aggregation buffers in the state
store instead of rows. Each batch:

1. the engine computes the partials of the batch's rows per group (``partial`` expressions, in
   Spark's vocabulary, so they compile through the batch engine with Spark semantics);
2. the state store merges them with the stored partials of the same groups (``merge``: DuckDB
   aggregates over the stored and the new partial, in that order, ``__o`` = 0 then 1);
3. the output rows are computed from partials (``final`` expressions, Spark SQL over the
   partial columns ``__p0, __p1, ...``), cast to the type the aggregate has in a batch query.

``sum``/``count`` merge by summing, ``avg`` keeps a sum and a count, variance-like aggregates
keep count, sum and sum of squares, ``first``/``last`` keep the value of the earliest/latest
batch, ``collect_list``/``collect_set`` concatenate, ``approx_count_distinct`` keeps the set of
its HyperLogLog++ codes (register and rank: at most ``m * 64`` per group) and estimates from
them as a batch query does (SQL's ``approx_count_distinct`` parsed as DuckDB's keeps the set of
distinct values). Distinct aggregates are refused, as in Spark; other
aggregates that cannot be merged are refused with their name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp

from kaspar.engine.compile.dialect import KasparSpark
from kaspar.engine.sketches.hllpp_calls import APPROX_DISTINCT
from kaspar.errors import AnalysisException


@dataclass
class AggregateLayout:
    """How one Aggregate node is computed incrementally."""

    partials: list[exp.Expr] = field(default_factory=list)  # over the operator's input
    merges: list[str] = field(default_factory=list)  # DuckDB SQL over state columns
    outputs: list[exp.Expr] = field(default_factory=list)  # over __k*/__p* columns


def partial_name(i: int) -> str:
    return f"__p{i}"


def key_name(i: int) -> str:
    return f"__k{i}"


# merge templates: {0}, {1}, ... are this aggregate's partial columns
_SUM = "SUM({0})"
_FIRST = "FIRST({0} ORDER BY __o)"
_LAST = "LAST({0} ORDER BY __o)"
_FIRST_NON_NULL = "FIRST({0} ORDER BY __o) FILTER (WHERE {0} IS NOT NULL)"
_LAST_NON_NULL = "LAST({0} ORDER BY __o) FILTER (WHERE {0} IS NOT NULL)"
_CONCAT = "FLATTEN(LIST(COALESCE({0}, []) ORDER BY __o))"
_UNION = "LIST_DISTINCT(FLATTEN(LIST(COALESCE({0}, []) ORDER BY __o)))"

# final expressions over n = {0}, s = {1}, q = {2} (count, sum, sum of squares)
_SAMPLE = "CASE WHEN {0} <= 1 THEN NULL ELSE greatest(({2} - {1} * {1} / {0}) / ({0} - 1), 0D) END"
_POPULATION = "CASE WHEN {0} = 0 THEN NULL ELSE greatest(({2} - {1} * {1} / {0}) / {0}, 0D) END"
_VARIANCE = {
    exp.Variance: _SAMPLE,
    exp.VariancePop: _POPULATION,
    exp.StddevSamp: f"sqrt({_SAMPLE})",
    exp.Stddev: f"sqrt({_SAMPLE})",
    exp.StddevPop: f"sqrt({_POPULATION})",
}


class _Builder:
    def __init__(self, is_aggregate_name: Callable[[str], bool]) -> None:
        self.layout = AggregateLayout()
        self.is_aggregate_name = is_aggregate_name

    def add(self, partial: exp.Expr, merge: str) -> exp.Column:
        """Register a partial; ``{0}`` in ``merge`` stands for its state column."""
        index = len(self.layout.partials)
        self.layout.partials.append(partial)
        self.layout.merges.append(merge.format(f'"{partial_name(index)}"'))
        return exp.column(partial_name(index), quoted=True)

    def final(self, template: str, columns: Sequence[exp.Column]) -> exp.Expr:
        text = template.format(*(c.sql(dialect=KasparSpark) for c in columns))
        return sqlglot.parse_one(text, dialect=KasparSpark)

    # -- the rewrite of one output expression -----------------------------------------------
    def rewrite(self, e: exp.Expr, keys: Sequence[exp.Expr]) -> exp.Expr:
        for i, key in enumerate(keys):
            if e == key:
                return exp.column(key_name(i), quoted=True)
        decomposed = self.aggregate(e)
        if decomposed is not None:
            return decomposed
        if isinstance(e, exp.Window):
            raise AnalysisException(
                "Window functions over a streaming aggregation are not supported "
                "(Non-time-based windows are not supported on streaming DataFrames/Datasets)",
                "NON_TIME_WINDOW_NOT_SUPPORTED_IN_STREAMING",
            )
        copy = e.copy()
        for name, value in list(copy.args.items()):
            if isinstance(value, exp.Expr):
                copy.set(name, self.rewrite(value, keys))
            elif isinstance(value, list):
                copy.set(
                    name,
                    [self.rewrite(v, keys) if isinstance(v, exp.Expr) else v for v in value],
                )
        return copy

    def _distinct_count(self, counted: exp.Expr) -> exp.Expr:
        """``approx_count_distinct``: the set of distinct values (exact)."""
        kept = self.add(_template("coalesce(collect_set({0}), array())", counted), _UNION)
        return self.final("CAST(size({0}) AS BIGINT)", [kept])

    def aggregate(self, e: exp.Expr) -> exp.Expr | None:  # noqa: C901, PLR0912
        """The final expression of aggregate call ``e`` (partials registered), or None."""
        if e.meta.get(APPROX_DISTINCT):  # approx_count_distinct: Spark's HyperLogLog++
            codes, precision = e.expressions  # list(DISTINCT code(x)), p
            code = codes.expressions[0].expressions[0]
            kept = self.add(_template("coalesce(collect_set({0}), array())", code), _UNION)
            return exp.Anonymous(this=e.name, expressions=[kept, precision.copy()])
        if isinstance(e, exp.Filter) and isinstance(e.expression, exp.Where):
            return self._filtered(e)
        if isinstance(e, exp.Coalesce) and isinstance(e.this, exp.ArrayAgg | exp.ArrayUniqueAgg):
            merge = _CONCAT if isinstance(e.this, exp.ArrayAgg) else _UNION
            return self.add(e.copy(), merge)
        if isinstance(e, exp.Anonymous) and e.name.lower() in ("first", "last", "any_value"):
            picks = {"first": _FIRST, "last": _LAST, "any_value": _FIRST_NON_NULL}
            return self.add(e.copy(), picks[e.name.lower()])
        if isinstance(e, exp.Anonymous) and self.is_aggregate_name(e.name):
            raise _unsupported(e.name)
        if not isinstance(e, exp.AggFunc):
            return None
        if e.find(exp.Distinct) is not None:
            raise AnalysisException(
                "Distinct aggregations are not supported on streaming DataFrames/Datasets. "
                "Consider using approx_count_distinct() instead.",
                "STREAMING_DISTINCT_AGGREGATION_NOT_SUPPORTED",
            )
        if isinstance(e, exp.Sum | exp.Count | exp.CountIf):
            return self.add(e.copy(), _SUM)
        if isinstance(e, exp.Min) and not e.expressions:
            return self.add(e.copy(), "MIN({0})")
        if isinstance(e, exp.Max) and not e.expressions:
            return self.add(e.copy(), "MAX({0})")
        if isinstance(e, exp.LogicalAnd):
            return self.add(e.copy(), "BOOL_AND({0})")
        if isinstance(e, exp.LogicalOr):
            return self.add(e.copy(), "BOOL_OR({0})")
        if isinstance(e, exp.AnyValue):
            return self.add(e.copy(), _FIRST_NON_NULL)
        if isinstance(e, exp.ArrayAgg | exp.ArrayUniqueAgg):
            return self.add(e.copy(), _CONCAT if isinstance(e, exp.ArrayAgg) else _UNION)
        if isinstance(e, exp.Avg):
            total = self.add(exp.Sum(this=e.this.copy()), _SUM)
            count = self.add(exp.Count(this=e.this.copy()), _SUM)
            return self.final("CASE WHEN {1} = 0 THEN NULL ELSE {0} / {1} END", [total, count])
        if isinstance(e, exp.ApproxDistinct):
            return self._distinct_count(e.this)
        variance = _VARIANCE.get(type(e))
        if variance is not None:
            n = self.add(exp.Count(this=e.this.copy()), _SUM)
            s = self.add(_template("sum(CAST({0} AS DOUBLE))", e.this), _SUM)
            q = self.add(_template("sum(CAST({0} AS DOUBLE) * CAST({0} AS DOUBLE))", e.this), _SUM)
            return self.final(variance, [n, s, q])
        if isinstance(e, exp.ArgMax | exp.ArgMin):
            largest = isinstance(e, exp.ArgMax)
            order = exp.Max if largest else exp.Min
            value = self.add(e.copy(), "")
            ordering = self.add(
                order(this=e.expression.copy()), "MAX({0})" if largest else "MIN({0})"
            )
            pick = "ARG_MAX_NULL" if largest else "ARG_MIN_NULL"
            self.layout.merges[-2] = f'{pick}("{value.name}", "{ordering.name}")'
            return value
        raise _unsupported(e.sql_name() if hasattr(e, "sql_name") else type(e).__name__)

    def _filtered(self, e: exp.Filter) -> exp.Expr:
        inner = e.this
        where = e.expression
        first = len(self.layout.partials)
        result = self.aggregate(inner)
        if result is None:
            raise _unsupported("FILTER")
        for i in range(first, len(self.layout.partials)):
            self.layout.partials[i] = exp.Filter(
                this=self.layout.partials[i], expression=where.copy()
            )
            column = f'"{partial_name(i)}"'
            merge = self.layout.merges[i]
            if merge in (_FIRST.format(column), _LAST.format(column)):
                # a batch with no qualifying row must not win
                fallback = _FIRST_NON_NULL if merge.startswith("FIRST") else _LAST_NON_NULL
                self.layout.merges[i] = fallback.format(column)
        return result


def _template(text: str, argument: exp.Expr) -> exp.Expr:
    tree = sqlglot.parse_one(text.format("__arg"), dialect=KasparSpark)

    def put(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and node.name == "__arg":
            return argument.copy()
        return node

    return tree.transform(put)


def _unsupported(name: str) -> AnalysisException:
    return AnalysisException(
        f"The aggregate function {name} is not supported in streaming aggregations by kaspar "
        "(supported: count, sum, avg, min, max, first, last, any_value, collect_list, "
        "collect_set, approx_count_distinct, stddev/variance, bool_and/bool_or, count_if, "
        "max_by/min_by).",
        "STREAMING_AGGREGATE_NOT_SUPPORTED",
    )


def layout_aggregate(
    aggregates: Sequence[exp.Expr],
    grouping: Sequence[exp.Expr],
    output_names: Sequence[str],
    is_aggregate_name: Callable[[str], bool],
) -> AggregateLayout:
    """Decompose an Aggregate node's output expressions (unresolved, as the user wrote them)."""
    builder = _Builder(is_aggregate_name)
    keys = [g.this if isinstance(g, exp.Alias) else g for g in grouping]
    for expression, name in zip(aggregates, output_names, strict=True):
        body = expression.this if isinstance(expression, exp.Alias) else expression
        rewritten = builder.rewrite(body, keys)
        builder.layout.outputs.append(
            exp.Alias(this=rewritten, alias=exp.to_identifier(name, quoted=True))
        )
    return builder.layout
