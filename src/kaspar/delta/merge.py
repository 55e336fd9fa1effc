"""``DeltaMergeBuilder``: delta-spark's MERGE clauses, executed by deltalake's TableMerger.

Clauses keep their order (the first matching clause of a kind wins, as in Delta). Conditions
and assignments are Spark SQL strings or Columns, translated to DataFusion SQL with every
column qualified by the target or source alias.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from deltalake.exceptions import DeltaError

from kaspar.delta.idempotent import AlreadyCommitted, session_commit
from kaspar.engine.compile.datafusion import (
    AttributeNames,
    Scopes,
    parse_spark_expression,
    resolve_column,
    to_datafusion_sql,
)
from kaspar.errors import AnalysisException, PySparkTypeError

if TYPE_CHECKING:
    from kaspar.delta.tables import DeltaTable
    from kaspar.sql.dataframe import DataFrame

Clause = Callable[[Any], Any]  # applies one clause to a deltalake TableMerger


def expression_sql(
    value: Any, scopes: Scopes, attributes: AttributeNames, *, qualified: bool = True
) -> str:
    """A condition or assigned value (Spark SQL string or Column) as DataFusion SQL."""
    from kaspar.sql.column import Column

    if isinstance(value, str):
        expression = parse_spark_expression(value)
        return to_datafusion_sql(expression, scopes, attributes, qualified=qualified)
    if isinstance(value, Column):
        return to_datafusion_sql(value.expr, scopes, attributes, qualified=qualified)
    raise PySparkTypeError(
        f"[NOT_COLUMN_OR_STR] Argument should be a Column or str, got {type(value).__name__}.",
        "NOT_COLUMN_OR_STR",
    )


class DeltaMergeBuilder:
    """``DeltaTable.merge(source, condition)`` then ``when...`` clauses, then ``execute()``."""

    def __init__(self, table: DeltaTable, source: DataFrame, condition: Any) -> None:
        from kaspar.sql.dataframe import DataFrame

        if not isinstance(source, DataFrame):
            raise PySparkTypeError("merge source must be a DataFrame", "NOT_DATAFRAME")
        self._table = table
        self._source = source
        self._source_alias = _alias_of(source) or "source"
        self._target_alias = table._alias or "target"
        target_columns = tuple(table._delta().schema().to_arrow().names)
        self._scopes: Scopes = {
            self._target_alias: target_columns,
            self._source_alias: tuple(source.columns),
        }
        self._target_only: Scopes = {self._target_alias: target_columns}
        self._attributes: AttributeNames = {
            a.id: (self._source_alias, a.name) for a in source._attributes()
        }
        self._condition = self._sql(condition)
        self._clauses: list[Clause] = []

    def _sql(self, value: Any, scopes: Scopes | None = None) -> str:
        return expression_sql(value, scopes or self._scopes, self._attributes)

    def _predicate(self, condition: Any, scopes: Scopes | None = None) -> str | None:
        return None if condition is None else self._sql(condition, scopes)

    def _assignments(self, values: dict[str, Any], scopes: Scopes | None = None) -> dict[str, str]:
        out = {}
        for name, value in values.items():
            _, column = resolve_column(name, self._target_only)
            out[f'"{column}"'] = self._sql(value, scopes)
        return out

    def _add(self, clause: Clause) -> DeltaMergeBuilder:
        self._clauses.append(clause)
        return self

    def whenMatchedUpdate(
        self, condition: Any = None, set: dict[str, Any] | None = None
    ) -> DeltaMergeBuilder:
        updates, predicate = self._assignments(set or {}), self._predicate(condition)
        return self._add(lambda m: m.when_matched_update(updates=updates, predicate=predicate))

    def whenMatchedUpdateAll(self, condition: Any = None) -> DeltaMergeBuilder:
        predicate = self._predicate(condition)
        return self._add(lambda m: m.when_matched_update_all(predicate=predicate))

    def whenMatchedDelete(self, condition: Any = None) -> DeltaMergeBuilder:
        predicate = self._predicate(condition)
        return self._add(lambda m: m.when_matched_delete(predicate=predicate))

    def whenNotMatchedInsert(
        self, condition: Any = None, values: dict[str, Any] | None = None
    ) -> DeltaMergeBuilder:
        source_only: Scopes = {self._source_alias: self._scopes[self._source_alias]}
        updates = self._assignments(values or {}, source_only)
        predicate = self._predicate(condition, source_only)
        return self._add(lambda m: m.when_not_matched_insert(updates=updates, predicate=predicate))

    def whenNotMatchedInsertAll(self, condition: Any = None) -> DeltaMergeBuilder:
        source_only: Scopes = {self._source_alias: self._scopes[self._source_alias]}
        predicate = self._predicate(condition, source_only)
        return self._add(lambda m: m.when_not_matched_insert_all(predicate=predicate))

    def whenNotMatchedBySourceUpdate(
        self, condition: Any = None, set: dict[str, Any] | None = None
    ) -> DeltaMergeBuilder:
        updates = self._assignments(set or {}, self._target_only)
        predicate = self._predicate(condition, self._target_only)
        return self._add(
            lambda m: m.when_not_matched_by_source_update(updates=updates, predicate=predicate)
        )

    def whenNotMatchedBySourceDelete(self, condition: Any = None) -> DeltaMergeBuilder:
        predicate = self._predicate(condition, self._target_only)
        return self._add(lambda m: m.when_not_matched_by_source_delete(predicate=predicate))

    def withSchemaEvolution(self) -> DeltaMergeBuilder:
        self._merge_schema = True
        return self

    def execute(self) -> DataFrame:
        """Run the MERGE as one Delta commit; return its metrics as a one-row DataFrame.

        Under the session's ``txnAppId`` / ``txnVersion`` confs the commit carries them, and a
        version the table already holds skips the MERGE (no rows affected), as in delta-spark.
        """
        try:
            commit = session_commit(self._table._spark, self._table._path)
        except AlreadyCommitted:
            return self._table._metrics_frame({})
        merger = self._table._delta().merge(
            self._source.toArrow(),
            predicate=self._condition,
            source_alias=self._source_alias,
            target_alias=self._target_alias,
            merge_schema=getattr(self, "_merge_schema", False),
            commit_properties=commit,
        )
        for clause in self._clauses:
            merger = clause(merger)
        try:
            metrics = merger.execute()
        except DeltaError as e:
            raise AnalysisException(f"MERGE failed: {e}", "DELTA_MERGE_FAILED") from None
        return self._table._metrics_frame(
            {
                "num_affected_rows": metrics.get("num_target_rows_updated", 0)
                + metrics.get("num_target_rows_deleted", 0)
                + metrics.get("num_target_rows_inserted", 0),
                "num_updated_rows": metrics.get("num_target_rows_updated", 0),
                "num_deleted_rows": metrics.get("num_target_rows_deleted", 0),
                "num_inserted_rows": metrics.get("num_target_rows_inserted", 0),
            }
        )


def _alias_of(df: DataFrame) -> str | None:
    from kaspar.engine.plan import logical as L

    plan = df.plan
    return plan.alias if isinstance(plan, L.SubqueryAlias) else None
