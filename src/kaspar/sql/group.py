"""``GroupedData``: the result of ``df.groupBy(...)`` (PySpark ``pyspark.sql.GroupedData``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from kaspar.engine.plan import logical as L
from kaspar.engine.plan.naming import output_name
from kaspar.engine.types import NumericType
from kaspar.sql import functions as F
from kaspar.sql.column import Column, aliased, literal, named, to_columns
from kaspar.sql.functions.grouping import expand_grouping_id

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame

_DICT_AGGREGATES = {
    "count": F.count,
    "sum": F.sum,
    "avg": F.avg,
    "mean": F.avg,
    "min": F.min,
    "max": F.max,
    "first": F.first,
    "last": F.last,
    "stddev": F.stddev,
    "variance": F.variance,
    "collect_list": F.collect_list,
    "collect_set": F.collect_set,
}


_GROUPING_TYPES = {"ROLLUP": "Rollup", "CUBE": "Cube", "GROUPING SETS": "GroupingSets"}


def pivot_label(value: Any) -> str:
    """A pivot value as Spark names its column (``null``, ``true``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class GroupedData:
    """Grouping keys waiting for aggregate functions."""

    def __init__(
        self,
        df: DataFrame,
        grouping: tuple[exp.Expr, ...],
        grouping_sets: str = "",
        pivot: tuple[exp.Expr, list[Any]] | None = None,
        sets: tuple[tuple[exp.Expr, ...], ...] = (),
    ) -> None:
        self._sets = sets
        self._df = df
        self._grouping = grouping
        self._grouping_sets = grouping_sets
        self._pivot = pivot

    def __repr__(self) -> str:
        """As PySpark prints it: the keys, the first two input columns and the grouping type."""
        keys = ", ".join(output_name(g) for g in self._grouping)
        fields = [f"{n}: {t}" for n, t in self._df.dtypes]
        shown = ", ".join(fields[:2]) + (
            f" ... {len(fields) - 2} more fields" if len(fields) > 2 else ""
        )
        kind = (
            "Pivot"
            if self._pivot is not None
            else _GROUPING_TYPES.get(self._grouping_sets, "GroupBy")
        )
        return f"GroupedData[grouping expressions: [{keys}], value: [{shown}], type: {kind}]"

    def agg(self, *exprs: Any) -> DataFrame:
        if len(exprs) == 1 and isinstance(exprs[0], dict):
            columns = [_DICT_AGGREGATES[fn.lower()](name) for name, fn in exprs[0].items()]
        else:
            columns = to_columns(exprs)
        aggs = [expand_grouping_id(c.expr.copy(), self._grouping) for c in columns]
        if self._pivot is not None:
            aggs = self._pivoted(aggs)
        plan = L.Aggregate(
            self._df.plan,
            self._grouping,
            (*self._grouping, *aggs),
            self._grouping_sets,
            self._sets,
        )
        return self._df._with(plan)

    def _pivoted(self, aggs: list[exp.Expr]) -> list[exp.Expr]:
        assert self._pivot is not None
        column, values = self._pivot
        out: list[exp.Expr] = []
        for value in values:
            # NULL is a pivot value too; a group without the value's rows gives NULL
            condition = exp.NullSafeEQ(this=column.copy(), expression=literal(value))
            rows = exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=condition))
            for agg in aggs:
                inner = agg.this if isinstance(agg, exp.Alias) else agg
                filtered = exp.Filter(this=inner, expression=exp.Where(this=condition.copy()))
                present = exp.GT(this=rows.copy(), expression=exp.Literal.number(0))
                value_of = exp.Case(ifs=[exp.If(this=present, true=filtered)])
                text = pivot_label(value)
                label = text if len(aggs) == 1 else f"{text}_{output_name(agg)}"
                out.append(aliased(value_of, label))
        return out

    def _numeric(self, cols: tuple[str, ...]) -> list[str]:
        if cols:
            return list(cols)
        return [f.name for f in self._df.schema.fields if isinstance(f.dataType, NumericType)]

    def count(self) -> DataFrame:
        return self.agg(Column(named(exp.Count(this=exp.Star()), "count")).alias("count"))

    def sum(self, *cols: str) -> DataFrame:
        return self.agg(*(F.sum(c) for c in self._numeric(cols)))

    def avg(self, *cols: str) -> DataFrame:
        return self.agg(*(F.avg(c) for c in self._numeric(cols)))

    mean = avg

    def min(self, *cols: str) -> DataFrame:
        return self.agg(*(F.min(c) for c in self._numeric(cols)))

    def max(self, *cols: str) -> DataFrame:
        return self.agg(*(F.max(c) for c in self._numeric(cols)))

    def apply(self, udf: Any) -> DataFrame:
        """PySpark 2's form of ``applyInPandas``: a ``pandas_udf`` of the GROUPED_MAP kind."""
        return self.applyInPandas(udf.func, udf.returnType)

    def applyInPandas(self, func: Callable[..., Any], schema: Any) -> DataFrame:
        """``func(pdf)`` or ``func(key, pdf)`` per group, results concatenated (``schema``);
        runs when an action reads the result."""
        from kaspar.sql.group_map import apply_in_pandas

        return apply_in_pandas(self._df, self._grouping, func, schema)

    def applyInArrow(self, func: Callable[..., Any], schema: Any) -> DataFrame:
        """``func(table)`` or ``func(key, table)`` per group with ``pyarrow`` tables (or, when
        annotated so, iterators of record batches), results concatenated (``schema``)."""
        from kaspar.sql.group_map import apply_in_arrow

        return apply_in_arrow(self._df, self._grouping, func, schema)

    def applyInPandasWithState(
        self,
        func: Callable[..., Any],
        outputStructType: Any,
        stateStructType: Any,
        outputMode: str,
        timeoutConf: str,
    ) -> DataFrame:
        """``func(key, pdf_iterator, state)`` per group, with a ``GroupState`` kept per key
        across micro-batches (and timeouts), yielding pandas DataFrames (``outputStructType``)."""
        from kaspar.sql.group_map import apply_in_pandas_with_state

        return apply_in_pandas_with_state(
            self._df,
            self._grouping,
            func,
            outputStructType,
            stateStructType,
            outputMode,
            timeoutConf,
        )

    def transformWithStateInPandas(  # noqa: PLR0917 - PySpark's signature
        self,
        statefulProcessor: Any,
        outputStructType: Any,
        outputMode: str,
        timeMode: str,
        initialState: Any = None,
        eventTimeColumnName: str = "",
    ) -> DataFrame:
        """Spark 4's arbitrary state API with pandas DataFrames: a ``StatefulProcessor`` per
        key, with value, list and map states and timers kept across micro-batches."""
        args = (statefulProcessor, outputStructType, outputMode, timeMode, initialState)
        return self._transform_with_state(args, rows_api=False)

    def transformWithState(  # noqa: PLR0917 - PySpark's signature
        self,
        statefulProcessor: Any,
        outputStructType: Any,
        outputMode: str,
        timeMode: str,
        initialState: Any = None,
        eventTimeColumnName: str = "",
    ) -> DataFrame:
        """``transformWithStateInPandas`` with Rows in and out (Spark 4.1)."""
        args = (statefulProcessor, outputStructType, outputMode, timeMode, initialState)
        return self._transform_with_state(args, rows_api=True)

    def _transform_with_state(
        self, args: tuple[Any, Any, str, str, Any], rows_api: bool
    ) -> DataFrame:
        from kaspar.sql.group_map import transform_with_state

        return transform_with_state(self._df, self._grouping, *args, rows_api=rows_api)

    def cogroup(self, other: GroupedData) -> Any:
        """This grouping and ``other``'s, a key's rows of both sides handed over together."""
        from kaspar.sql.group_map import PandasCogroupedOps

        return PandasCogroupedOps(self, other)

    def pivot(self, pivot_col: str, values: list[Any] | None = None) -> GroupedData:
        pivot = to_columns([pivot_col])[0]
        column = pivot.expr
        if values is None:  # a nested field ("sales.course") is named by its last part
            distinct = self._df.select(pivot.alias("value")).distinct().orderBy("value")
            values = [r[0] for r in distinct.collect()]
        return GroupedData(
            self._df, self._grouping, self._grouping_sets, (column, values), self._sets
        )
