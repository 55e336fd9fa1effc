"""``DataFrame``: an immutable ``(session, plan)``; every transformation adds one plan node."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import pyarrow as pa
import sqlglot
from sqlglot import exp

from kaspar.engine import types as T
from kaspar.engine.plan import logical as L
from kaspar.engine.plan.analyzer import analyze
from kaspar.engine.plan.attributes import Attribute
from kaspar.engine.plan.naming import SPARK_NAME
from kaspar.engine.plan.resolution import find_attribute
from kaspar.engine.plan.subquery import subquery_expression
from kaspar.engine.variant.arrow import spark_variants
from kaspar.errors import (
    AnalysisException,
    IllegalArgumentException,
    PySparkAttributeError,
    PySparkTypeError,
    PySparkValueError,
    unresolved_column,
)
from kaspar.sql import _partitions, _persistence, _semantics
from kaspar.sql._conversion import to_rows
from kaspar.sql._show import show_string
from kaspar.sql.column import Column, aliased, named, to_columns, to_expr
from kaspar.sql.functions.conditional import parse_expression
from kaspar.sql.not_applicable import NotApplicable, refuse_if_not_applicable
from kaspar.sql.row import Row
from kaspar.sql.types import StructType

if TYPE_CHECKING:
    import pandas as pd

    from kaspar.sql.group import GroupedData
    from kaspar.sql.merge import MergeIntoWriter
    from kaspar.sql.na import DataFrameNaFunctions
    from kaspar.sql.observation import Observation
    from kaspar.sql.readwriter import DataFrameWriter
    from kaspar.sql.session import SparkSession
    from kaspar.sql.stat import DataFrameStatFunctions
    from kaspar.sql.streaming.readwriter import DataStreamWriter
    from kaspar.sql.table_arg import TableArg
    from kaspar.sql.writer_v2 import DataFrameWriterV2


def attribute_column(attr: Attribute) -> Column:
    """A Column bound to one attribute (``df["x"]``), named after it."""
    ref = attr.reference()
    ref.meta[SPARK_NAME] = attr.name
    return Column(ref)


_P = TypeVar("_P", bound=L.LogicalPlan)


def _leaves(plan: L.LogicalPlan, kind: type[_P]) -> list[_P]:
    found: list[_P] = [plan] if isinstance(plan, kind) else []
    for child in plan.children:
        found.extend(_leaves(child, kind))
    return found


class DataFrame:
    """A distributed-collection API over a logical plan (PySpark ``pyspark.sql.DataFrame``)."""

    rdd = NotApplicable("DataFrame.rdd")
    pandas_api = NotApplicable("DataFrame.pandas_api")

    @property
    def executionInfo(self) -> Any:
        """Spark Connect's: a classic session refuses it, as PySpark's does."""
        raise PySparkValueError(
            "Calling property or member 'queryExecution' is not supported in PySpark Classic, "
            "please use Spark Connect instead.",
            "CLASSIC_OPERATION_NOT_SUPPORTED_ON_DF",
            {"member": "queryExecution"},
        )

    plot = NotApplicable("DataFrame.plot")

    def __init__(self, session: SparkSession, plan: L.LogicalPlan) -> None:
        self._session = session
        self._plan = plan

    @property
    def sparkSession(self) -> SparkSession:
        return self._session

    @property
    def plan(self) -> L.LogicalPlan:
        return self._plan

    def _with(self, plan: L.LogicalPlan) -> DataFrame:
        return DataFrame(self._session, plan)

    def _attributes(self) -> tuple[Attribute, ...]:
        return analyze(self._plan).output

    # -- schema -----------------------------------------------------------------------------
    @property
    def schema(self) -> StructType:
        return self._session._executor.schema(self._plan)

    @property
    def columns(self) -> list[str]:
        return [a.name for a in self._attributes()]

    @property
    def dtypes(self) -> list[tuple[str, str]]:
        return [(f.name, f.dataType.simpleString()) for f in self.schema.fields]

    @property
    def isStreaming(self) -> bool:
        return self._plan.is_streaming

    def printSchema(self, level: int | None = None) -> None:
        print(self.schema.treeString(level))  # noqa: T201

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}: {t}" for n, t in self.dtypes)
        return f"DataFrame[{fields}]"

    # -- column access ----------------------------------------------------------------------
    def __getitem__(self, item: Any) -> Any:
        if isinstance(item, str):
            if item == "*":
                return Column(exp.Star())
            attributes = self._attributes()
            if not any(a.name.lower() == item.split(".")[0].lower() for a in attributes):
                from kaspar.sql._metadata_column import named_metadata

                hidden = named_metadata(self._plan, item)  # a file read's ``_metadata``
                if hidden is not None:
                    return hidden
            return attribute_column(find_attribute(item, attributes))
        if isinstance(item, int):
            return attribute_column(self._attributes()[item])
        if isinstance(item, Column):
            return self.filter(item)
        if isinstance(item, list | tuple):
            return self.select(*item)
        raise PySparkTypeError(f"unexpected item type: {type(item).__name__}")

    def __getattr__(self, name: str) -> Column:
        if name.startswith("_"):
            raise AttributeError(name)
        refuse_if_not_applicable("DataFrame", name)
        names = {a.name.lower() for a in self._attributes()}
        if name.lower() not in names:
            raise PySparkAttributeError(
                f"Attribute `{name}` is not supported.",
                "ATTRIBUTE_NOT_SUPPORTED",
            )
        column: Column = self[name]
        return column

    def metadataColumn(self, colName: str) -> Column:
        """A metadata column of the source (``_metadata`` of a file read), even where a data
        column has the same name."""
        from kaspar.sql._metadata_column import metadata_column

        return metadata_column(self._plan, colName)

    def colRegex(self, colName: str) -> Column:
        """A backquoted Java regex (```(a|b)```) selects the columns whose names match it
        (case-insensitively, as Spark's default resolver); any other name is one column."""
        from kaspar.sql._projection import column_regex

        return column_regex(self, colName)

    # -- projection -------------------------------------------------------------------------
    def select(self, *cols: Any) -> DataFrame:
        from kaspar.sql._projection import expand_projection, select_generators_in_turn

        columns = to_columns(cols)
        in_turn = select_generators_in_turn(self, columns)
        if in_turn is not None:
            return in_turn
        exprs = tuple(expand_projection(self, columns))
        return self._with(L.Project(self._plan, exprs))

    def selectExpr(self, *expr: str | list[str]) -> DataFrame:
        first = expr[0] if len(expr) == 1 else None
        items = first if isinstance(first, list) else [str(e) for e in expr]
        parsed = [parse_expression(e) for e in items]
        from kaspar.sql._sql_generators import (
            check_not_nested,
            is_generator_item,
            select_expr_column,
        )

        for p in parsed:
            check_not_nested(p)
        if any(is_generator_item(p) for p in parsed):  # expanded as select expands them
            return self.select(*(select_expr_column(p) for p in parsed))
        return self._with(L.Project(self._plan, tuple(parsed)))

    def withColumns(self, *colsMap: dict[str, Column]) -> DataFrame:
        from kaspar.sql._projection import expand_star_arguments

        mapping = dict(colsMap[0]) if colsMap else {}
        pending = {k.lower(): (k, v) for k, v in mapping.items()}
        exprs: list[exp.Expr] = []
        for attr in self._attributes():
            hit = pending.pop(attr.name.lower(), None)
            if hit is None:
                exprs.append(attribute_column(attr).expr)
            else:
                exprs.append(aliased(expand_star_arguments(self, hit[1].expr), hit[0]))
        exprs.extend(
            aliased(expand_star_arguments(self, c.expr), name) for name, c in pending.values()
        )
        return self._with(L.Project(self._plan, tuple(exprs)))

    def withColumn(self, colName: str, col: Column) -> DataFrame:
        if not isinstance(col, Column):
            raise PySparkTypeError(
                f"[NOT_COLUMN] Argument `col` should be a Column, got {type(col).__name__}.",
                "NOT_COLUMN",
            )
        return self.withColumns({colName: col})

    def withColumnsRenamed(self, colsMap: dict[str, str]) -> DataFrame:
        renames = {k.lower(): v for k, v in colsMap.items()}
        exprs: list[exp.Expr] = []
        for attr in self._attributes():
            ref = attribute_column(attr).expr
            new = renames.get(attr.name.lower())
            exprs.append(ref if new is None else aliased(ref, new))
        return self._with(L.Project(self._plan, tuple(exprs)))

    def lateralJoin(
        self, other: DataFrame, on: Column | None = None, how: str | None = None
    ) -> DataFrame:
        """Join each row with ``other`` evaluated for it (``other``'s ``outer()`` columns are
        this DataFrame's); ``how`` is inner (default), left or cross."""
        kinds = {"inner": "inner", "left": "left", "leftouter": "left", "cross": "cross"}
        kind = kinds.get((how or "inner").lower().replace("_", ""))
        if kind is None:
            raise AnalysisException(
                f"Unsupported join type '{how}'. Supported join types include: 'inner', "
                "'left', 'left_outer', 'cross'.",
                "UNSUPPORTED_JOIN_TYPE",
            )
        from kaspar.sql._projection import expand_deferred_stars
        from kaspar.sql.udtf import is_udtf_call, resolve_lateral

        other = resolve_lateral(other, self)
        if is_udtf_call(other.plan):
            kind = "inner" if kind == "left" else kind
        condition = to_expr(on) if on is not None else None
        right = expand_deferred_stars(self, other.plan)
        return self._with(L.LateralJoin(self._plan, right, kind, condition))

    def nearestByJoin(
        self,
        other: DataFrame,
        rankingExpression: Column,
        numResults: int,
        mode: str,
        direction: str,
        *,
        joinType: str = "inner",
    ) -> DataFrame:
        """Each row with the ``numResults`` rows of ``other`` ranked first by
        ``rankingExpression`` (largest first for "similarity", smallest for "distance")."""
        from kaspar.sql._nearest_join import nearest_by_join

        return nearest_by_join(
            self,
            other,
            rankingExpression,
            num_results=numResults,
            mode=mode,
            direction=direction,
            join_type=joinType,
        )

    def zip(self, other: DataFrame) -> DataFrame:
        """This DataFrame's columns, then ``other``'s, row by row: both must be projections
        (select, withColumn, ...) of one DataFrame, so their rows are aligned."""

        def base(plan: L.LogicalPlan) -> L.LogicalPlan:
            while isinstance(plan, L.Project):
                plan = plan.child
            return plan

        if base(self._plan) is not base(other._plan):
            raise AnalysisException(
                "The two DataFrames in zip() cannot be merged. They must produce the same "
                "canonicalized plan after stripping outer Project chains, and must not contain "
                "non-scalar Python UDFs.",
                "ZIP_PLANS_NOT_MERGEABLE",
            )
        return self._with(L.Join(self._plan, other._plan, "positional"))

    def scalar(self) -> Column:
        """This one-column, at most one-row DataFrame as a scalar subquery value."""
        if len(self.columns) != 1:
            raise AnalysisException(
                f"Scalar subquery must return only one column, but got {len(self.columns)}.",
                "INVALID_SUBQUERY_EXPRESSION.SCALAR_SUBQUERY_RETURN_MORE_THAN_ONE_OUTPUT_COLUMN",
            )
        return Column(named(subquery_expression(self._plan), "scalarsubquery()"))

    def exists(self) -> Column:
        """True when this DataFrame has a row (an EXISTS subquery)."""
        return Column(named(exp.Exists(this=subquery_expression(self._plan)), "exists()"))

    def withMetadata(self, columnName: str, metadata: dict[str, Any]) -> DataFrame:
        """The column ``columnName`` with ``metadata`` in its schema field."""
        target = self[columnName]
        return self.select(
            *(
                target.alias(name, metadata=metadata) if name == columnName else self[name]
                for name in self.columns
            )
        )

    def withColumnRenamed(self, existing: str, new: str) -> DataFrame:
        return self.withColumnsRenamed({existing: new})

    def toDF(self, *cols: str) -> DataFrame:
        attrs = self._attributes()
        if len(cols) != len(attrs):
            raise IllegalArgumentException(
                f"Number of column names ({len(cols)}) does not match the number of columns "
                f"({len(attrs)})."
            )
        exprs = [aliased(attribute_column(a).expr, n) for a, n in zip(attrs, cols, strict=True)]
        return self._with(L.Project(self._plan, tuple(exprs)))

    def drop(self, *cols: Any) -> DataFrame:
        names = {c.lower() for c in cols if isinstance(c, str)}
        ids = set()
        for c in cols:
            if isinstance(c, Column):
                try:
                    ids.add(analyze(L.Project(self._plan, (c.expr,))).output[0].id)
                except AnalysisException as e:  # Spark ignores a column it cannot resolve
                    if not (e.getCondition() or "").startswith("UNRESOLVED_COLUMN"):
                        raise
        keep = [a for a in self._attributes() if a.name.lower() not in names and a.id not in ids]
        return self._with(L.Project(self._plan, tuple(attribute_column(a).expr for a in keep)))

    def to(self, schema: StructType) -> DataFrame:
        from kaspar.sql._reconcile import reconcile

        return reconcile(self, schema)

    def alias(self, alias: str) -> DataFrame:
        return self._with(L.SubqueryAlias(self._plan, alias))

    # -- filtering, ordering, limits ---------------------------------------------------------
    def filter(self, condition: Column | str) -> DataFrame:
        cond = parse_expression(condition) if isinstance(condition, str) else to_expr(condition)
        return self._with(L.Filter(self._plan, cond))

    where = filter

    def _ordinals(self, cols: tuple[Any, ...], signed: bool = False) -> tuple[Any, ...]:
        """Integers as 1-based column positions (Spark 4); ``signed``: a negative one sorts
        that column descending. A single list holds the columns (``orderBy([1, "name"])``)."""
        if len(cols) == 1 and isinstance(cols[0], list | tuple):
            cols = tuple(cols[0])
        out: list[Any] = []
        for c in cols:
            if isinstance(c, int) and not isinstance(c, bool):
                column = self[abs(c) - 1]
                out.append(column.desc() if signed and c < 0 else column)
            else:
                out.append(c)
        return tuple(out)

    def orderBy(self, *cols: Any, ascending: bool | list[bool] | None = None) -> DataFrame:
        columns = to_columns(self._ordinals(cols, signed=True))
        flags = ascending if isinstance(ascending, list) else [ascending] * len(columns)
        orders = []
        for c, asc in zip(columns, flags, strict=False):
            e = c.expr
            if not isinstance(e, exp.Ordered):
                desc = asc is False
                e = exp.Ordered(this=e, desc=desc, nulls_first=not desc)
            orders.append(e)
        return self._with(L.Sort(self._plan, tuple(orders)))

    sort = orderBy

    def sortWithinPartitions(self, *cols: Any, **kwargs: Any) -> DataFrame:
        return _partitions.sort_within_partitions(self, *cols, **kwargs)

    def limit(self, num: int) -> DataFrame:
        return self._with(L.Limit(self._plan, num))

    def offset(self, num: int) -> DataFrame:
        return self._with(L.Limit(self._plan, None, num))

    def distinct(self) -> DataFrame:
        return self._with(L.Distinct(self._plan))

    def writeTo(self, table: str) -> DataFrameWriterV2:
        """A writer of this DataFrame to the table ``table`` (``kaspar.sql.writer_v2``)."""
        from kaspar.sql.writer_v2 import DataFrameWriterV2

        return DataFrameWriterV2(self, table)

    def mergeInto(self, table: str, condition: Any) -> MergeIntoWriter:
        """MERGE this DataFrame into the Delta table ``table`` (``kaspar.sql.merge``)."""
        from kaspar.sql.merge import MergeIntoWriter

        return MergeIntoWriter(self, table, condition)

    def observe(self, observation: Observation | str, *exprs: Column) -> DataFrame:
        """Named metrics (aggregates) computed by the first action on the returned DataFrame
        (``kaspar.sql.observation``)."""
        from kaspar.sql.observation import observe

        return observe(self, observation, *exprs)

    def withWatermark(self, eventTime: str, delayThreshold: str) -> DataFrame:
        """Spark's event-time watermark: ignored by batch queries; in a streaming query, state
        for event times older than ``max(eventTime) - delayThreshold`` is dropped and later
        rows for it are ignored."""
        from kaspar.sql.functions.time_window import duration_us

        if not isinstance(eventTime, str) or not eventTime:
            raise IllegalArgumentException("eventTime should be provided as a string")
        if not isinstance(delayThreshold, str) or not delayThreshold:
            raise IllegalArgumentException("delayThreshold should be provided as a string")
        fields = {f.name.lower(): f for f in self.schema.fields}
        field = fields.get(eventTime.lower())
        if field is None:
            raise unresolved_column(eventTime, [f.name for f in self.schema.fields])
        if not isinstance(field.dataType, T.TimestampType | T.TimestampNTZType):
            raise AnalysisException(
                f"Event time must be defined on a window or a timestamp, but {field.name} is of "
                f"type {field.dataType.simpleString()}.",
                "EVENT_TIME_IS_NOT_ON_TIMESTAMP_TYPE",
            )
        text = delayThreshold.strip()
        negative = text.lower().removeprefix("interval").strip().startswith("-")
        delay_us = duration_us(text.replace("-", "", 1) if negative else text, "delayThreshold")
        if negative:
            raise AnalysisException(
                f"The delay threshold ({delayThreshold}) should not be negative.",
                "INVALID_WATERMARK_DELAY",
            )
        return self._with(L.EventTimeWatermark(self._plan, field.name, delay_us // 1000))

    def dropDuplicates(self, subset: list[str] | None = None) -> DataFrame:
        if not subset:
            return self.distinct()
        return self._with(L.Deduplicate(self._plan, tuple(subset)))

    drop_duplicates = dropDuplicates

    def dropDuplicatesWithinWatermark(self, subset: list[str] | None = None) -> DataFrame:
        """On a stream with a watermark: drop a row whose ``subset`` was seen within the
        watermark delay of it. On a batch DataFrame: ``dropDuplicates``."""
        columns = tuple(subset) if subset else tuple(self.columns)
        return self._with(L.Deduplicate(self._plan, columns, within_watermark=True))

    # -- combining --------------------------------------------------------------------------
    def join(self, other: DataFrame, on: Any = None, how: str | None = None) -> DataFrame:
        from kaspar.sql._join import join_plan

        return self._with(join_plan(self._plan, other._plan, on, how))

    def crossJoin(self, other: DataFrame) -> DataFrame:
        return self._with(L.Join(self._plan, other._plan, "cross"))

    def _set(self, other: DataFrame, kind: str, **flags: bool) -> DataFrame:
        return self._with(L.SetOperation(self._plan, other._plan, kind, **flags))

    def union(self, other: DataFrame) -> DataFrame:
        return self._set(other, "union")

    unionAll = union

    def unionByName(self, other: DataFrame, allowMissingColumns: bool = False) -> DataFrame:
        return self._set(other, "union", by_name=True, allow_missing=allowMissingColumns)

    def intersect(self, other: DataFrame) -> DataFrame:
        return self._set(other, "intersect", distinct=True)

    def intersectAll(self, other: DataFrame) -> DataFrame:
        return self._set(other, "intersect")

    def subtract(self, other: DataFrame) -> DataFrame:
        return self._set(other, "except", distinct=True)

    def exceptAll(self, other: DataFrame) -> DataFrame:
        return self._set(other, "except")

    # -- aggregation ------------------------------------------------------------------------
    def groupBy(self, *cols: Any) -> GroupedData:
        from kaspar.sql._projection import generate_keys, session_keys
        from kaspar.sql.group import GroupedData

        sessions, with_sessions = session_keys(self, to_columns(self._ordinals(cols)))
        source, keys = generate_keys(sessions, with_sessions)
        return GroupedData(source, tuple(k.expr for k in keys))

    groupby = groupBy

    def rollup(self, *cols: Any) -> GroupedData:
        from kaspar.sql.group import GroupedData

        keys = tuple(c.expr for c in to_columns(self._ordinals(cols)))
        return GroupedData(self, keys, "ROLLUP")

    def cube(self, *cols: Any) -> GroupedData:
        from kaspar.sql.group import GroupedData

        keys = tuple(c.expr for c in to_columns(self._ordinals(cols)))
        return GroupedData(self, keys, "CUBE")

    def groupingSets(self, groupingSets: Any, *cols: Any) -> GroupedData:
        from kaspar.sql.group import GroupedData

        sets = tuple(tuple(c.expr for c in to_columns([list(s)])) for s in groupingSets)
        keys = tuple(c.expr for c in to_columns(cols))
        return GroupedData(self, keys, "GROUPING SETS", sets=sets)

    def agg(self, *exprs: Any) -> DataFrame:
        return self.groupBy().agg(*exprs)

    def describe(self, *cols: Any) -> DataFrame:
        from kaspar.sql._describe import describe

        return describe(self, list(to_columns(cols)) if cols else None)

    def unpivot(
        self,
        ids: Any,
        values: Any,
        variableColumnName: str,
        valueColumnName: str,
    ) -> DataFrame:
        from kaspar.sql._unpivot import unpivot

        return unpivot(self, ids, values, variableColumnName, valueColumnName)

    melt = unpivot

    def asTable(self) -> TableArg:
        """This DataFrame as a table function's TABLE argument."""
        from kaspar.sql.table_arg import TableArg

        return TableArg(self)

    def transpose(self, indexColumn: Column | str | None = None) -> DataFrame:
        """The index column's values (ascending, NULL left out) become the columns; each other
        column becomes a row named in ``key`` (Spark 4.0)."""
        from kaspar.sql._transpose import transpose

        return transpose(self, indexColumn)

    # -- missing values ---------------------------------------------------------------------
    @property
    def na(self) -> DataFrameNaFunctions:
        from kaspar.sql.na import DataFrameNaFunctions

        return DataFrameNaFunctions(self)

    def fillna(self, value: Any, subset: Any = None) -> DataFrame:
        return self.na.fill(value, subset)

    def replace(self, *args: Any, **kwargs: Any) -> DataFrame:
        return self.na.replace(*args, **kwargs)

    def summary(self, *statistics: str) -> DataFrame:
        from kaspar.sql.stat import summary

        return summary(self, statistics)

    def sample(self, *args: Any, **kwargs: Any) -> DataFrame:
        from kaspar.sql.stat import sample

        return sample(self, *args, **kwargs)

    @property
    def stat(self) -> DataFrameStatFunctions:
        from kaspar.sql.stat import DataFrameStatFunctions

        return DataFrameStatFunctions(self)

    def corr(self, *args: Any) -> float | None:
        return self.stat.corr(*args)

    def cov(self, *args: Any) -> float | None:
        return self.stat.cov(*args)

    def crosstab(self, *args: Any) -> DataFrame:
        return self.stat.crosstab(*args)

    def approxQuantile(self, *args: Any) -> Any:
        return self.stat.approxQuantile(*args)

    def sampleBy(self, col: Any, fractions: Any, seed: int | None = None) -> DataFrame:
        return self.stat.sampleBy(col, fractions, seed)

    def freqItems(self, cols: Any, support: float | None = None) -> DataFrame:
        return self.stat.freqItems(cols, support)

    def dropna(self, how: str = "any", thresh: int | None = None, subset: Any = None) -> DataFrame:
        return self.na.drop(how, thresh, subset)

    # -- no-ops on one machine --------------------------------------------------------------
    def _same(self, *args: Any, **kwargs: Any) -> DataFrame:
        return self

    localCheckpoint = checkpoint = _same
    cache = _persistence.cache
    persist = _persistence.persist
    unpersist = _persistence.unpersist
    storageLevel = property(_persistence.storage_level)
    sameSemantics = _semantics.sameSemantics
    semanticHash = _semantics.semanticHash
    hint = _same
    repartition = _partitions.repartition
    coalesce = _partitions.coalesce
    repartitionByRange = _partitions.repartition_by_range

    def repartitionById(self, numPartitions: int, partitionIdCol: Column | str) -> DataFrame:
        """The rows moved to the partition ``partitionIdCol`` names (docs/partitions.md)."""
        from kaspar.sql._dataframe_extras import check_partitions

        check_partitions(numPartitions)
        return _partitions.repartition_by_id(self, numPartitions, partitionIdCol)

    def zipWithIndex(self, indexColName: str = "index") -> DataFrame:
        """The rows with their position (0, 1, ...) in a last ``long`` column (Spark 4.2)."""
        from kaspar.engine.seeded.calls import row_index

        return self.withColumn(indexColName, Column(row_index()))

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object:
        """The rows as an Arrow C stream (the PyCapsule interface PySpark 4.3 exports)."""
        return self.toArrow().__arrow_c_stream__(requested_schema)

    def transform(self, func: Callable[..., DataFrame], *args: Any, **kwargs: Any) -> DataFrame:
        return func(self, *args, **kwargs)

    def createOrReplaceTempView(self, name: str) -> None:
        self._session.catalog._register(name, self._plan, replace=True)

    def createTempView(self, name: str) -> None:
        self._session.catalog._register(name, self._plan, replace=False)

    def registerTempTable(self, name: str) -> None:
        import warnings

        warnings.warn(
            "Deprecated in 2.0, use createOrReplaceTempView instead.", FutureWarning, stacklevel=2
        )
        self.createOrReplaceTempView(name)

    def createGlobalTempView(self, name: str) -> None:
        self._session.catalog._register(name, self._plan, replace=False, is_global=True)

    def createOrReplaceGlobalTempView(self, name: str) -> None:
        self._session.catalog._register(name, self._plan, replace=True, is_global=True)

    def mapInPandas(
        self, func: Callable[..., Any], schema: Any, barrier: bool = False
    ) -> DataFrame:
        from kaspar.sql._map_batches import map_in_pandas

        return map_in_pandas(self, func, schema)

    def mapInArrow(self, func: Callable[..., Any], schema: Any, barrier: bool = False) -> DataFrame:
        from kaspar.sql._map_batches import map_in_arrow

        return map_in_arrow(self, func, schema)

    def isLocal(self) -> bool:
        """Spark's rule: the plan is a local relation itself. ``createDataFrame`` gives one (as
        in Spark Connect; classic PySpark turns the rows into an RDD and says False)."""
        plan = self._plan
        return isinstance(plan, L.LocalRelation) and not isinstance(
            plan, L.StreamingRelation | L.DeferredRelation
        )

    def inputFiles(self) -> list[str]:
        """The files the plan's file scans read, as ``file://`` URIs."""
        from pathlib import Path

        files: dict[str, None] = {}
        for scan in _leaves(self._plan, L.Scan):
            # the scan itself, and DuckDB SQL it embeds as text (CSV, JSON and text reads)
            texts = [t for _, t in scan.tables if isinstance(t, str)]
            texts += [v.this for v in scan.source.find_all(exp.Var) if " FROM " in v.this]
            trees = [scan.source, *(sqlglot.parse_one(t, dialect="duckdb") for t in texts)]
            for tree in trees:
                for literal in tree.find_all(exp.Literal):
                    if literal.is_string and Path(literal.this).is_file():
                        files[Path(literal.this).resolve().as_uri()] = None
        return list(files)

    # -- actions ----------------------------------------------------------------------------
    def toArrow(self) -> pa.Table:
        table = self._session._executor.execute(self._plan)
        for i, field in enumerate(table.schema):
            if pa.types.is_time(field.type):  # Spark's TIME is nanoseconds in Arrow
                table = table.set_column(i, field.name, table.column(i).cast(pa.time64("ns")))
        return spark_variants(table).rename_columns(self.schema.names)

    def collect(self) -> list[Row]:
        table = self._session._executor.execute(self._plan)
        return to_rows(table, self.schema)

    def toLocalIterator(self, prefetchPartitions: bool = False) -> Iterator[Row]:
        return iter(self.collect())

    def toPandas(self) -> pd.DataFrame:
        from kaspar.sql._pandas import to_pandas

        return to_pandas(self.toArrow())

    def foreach(self, f: Callable[[Row], None]) -> None:
        for row in self.collect():
            f(row)

    def foreachPartition(self, f: Callable[[Iterator[Row]], None]) -> None:
        """``f`` is called once, with the rows of the single partition."""
        f(iter(self.collect()))

    def toJSON(self, use_unicode: bool = True) -> DataFrame:
        """Spark's JSON text of each row as the string column ``value`` (PySpark returns an RDD
        of these strings; kaspar has no RDDs)."""
        from kaspar.sql import functions as F

        record = F.struct(*(attribute_column(a) for a in self._attributes()))
        return self.select(F.to_json(record).alias("value"))

    def randomSplit(self, weights: list[float], seed: int | None = None) -> list[DataFrame]:
        from kaspar.sql._split import random_split

        return random_split(self, weights, seed)

    def count(self) -> int:
        return self._session._executor.count(self._plan)

    def take(self, num: int) -> list[Row]:
        return self.limit(num).collect()

    def head(self, n: int | None = None) -> Any:
        if n is None:
            rows = self.take(1)
            return rows[0] if rows else None
        return self.take(n)

    def first(self) -> Row | None:
        return next(iter(self.take(1)), None)

    def tail(self, num: int) -> list[Row]:
        return self.collect()[-num:] if num else []

    def isEmpty(self) -> bool:
        return len(self.take(1)) == 0

    def show(self, n: int = 20, truncate: bool | int = True, vertical: bool = False) -> None:
        print(self._show_string(n, truncate, vertical))  # noqa: T201

    def _show_string(self, n: int = 20, truncate: bool | int = True, vertical: bool = False) -> str:
        width = 20 if truncate is True else int(truncate)
        rows = self.limit(n + 1).collect() if n >= 0 else self.collect()
        zone = str(self._session.conf.get("spark.sql.session.timeZone"))
        return show_string(rows, self.schema, max(n, 0), width, vertical, time_zone=zone)

    def explain(self, extended: bool | str | None = None, mode: str | None = None) -> None:
        print(_persistence.explain_string(self, extended, mode))  # noqa: T201

    @property
    def write(self) -> DataFrameWriter:
        from kaspar.sql.readwriter import DataFrameWriter

        return DataFrameWriter(self)

    @property
    def writeStream(self) -> DataStreamWriter:
        from kaspar.sql.streaming.readwriter import DataStreamWriter

        return DataStreamWriter(self)


def __getattr__(name: str) -> Any:
    """``DataFrameNaFunctions`` and ``DataFrameStatFunctions`` live in pyspark.sql.dataframe
    in PySpark; their modules import this one, so they are re-exported lazily."""
    if name == "DataFrameNaFunctions":
        from kaspar.sql.na import DataFrameNaFunctions

        return DataFrameNaFunctions
    if name == "DataFrameStatFunctions":
        from kaspar.sql.stat import DataFrameStatFunctions

        return DataFrameStatFunctions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
