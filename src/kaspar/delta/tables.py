"""``DeltaTable``: delta-spark's ``delta.tables.DeltaTable`` over deltalake (delta-rs).

Reads go through ``spark.read.format("delta")``; MERGE, UPDATE, DELETE, history, VACUUM,
OPTIMIZE and RESTORE run in deltalake, each as one Delta commit. Tables stay readable by Spark,
DuckDB, Polars and deltalake.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from deltalake import DeltaTable as DeltaLakeTable
from deltalake.exceptions import DeltaError

from kaspar.delta.idempotent import AlreadyCommitted, session_commit
from kaspar.delta.merge import DeltaMergeBuilder, expression_sql
from kaspar.engine.compile.datafusion import Scopes, resolve_column
from kaspar.engine.sources.delta import is_delta_table, open_delta_table, parse_timestamp
from kaspar.errors import AnalysisException, IllegalArgumentException

if TYPE_CHECKING:
    from kaspar.sql.dataframe import DataFrame
    from kaspar.sql.session import SparkSession

__all__ = ["DeltaMergeBuilder", "DeltaOptimizeBuilder", "DeltaTable"]

_HISTORY_SCHEMA = (
    "version bigint, timestamp timestamp, userId string, userName string, operation string, "
    "operationParameters map<string,string>, readVersion bigint, isolationLevel string, "
    "isBlindAppend boolean, operationMetrics map<string,string>, userMetadata string, "
    "engineInfo string"
)
_DEFAULT_RETENTION_HOURS = 168
_RETENTION_CHECK = "spark.databricks.delta.retentionDurationCheck.enabled"


class DeltaTable:
    """A Delta table at a path (or a warehouse table name)."""

    def __init__(self, spark: SparkSession, path: str, alias: str | None = None) -> None:
        self._spark = spark
        self._path = path
        self._alias = alias

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def forPath(
        cls, sparkSession: SparkSession, path: str, hadoopConf: dict[str, str] | None = None
    ) -> DeltaTable:
        open_delta_table(path)
        return cls(sparkSession, path)

    @classmethod
    def forName(cls, sparkSession: SparkSession, tableOrViewName: str) -> DeltaTable:
        location = str(sparkSession.catalog._warehouse.location(tableOrViewName))
        if not is_delta_table(location):
            raise AnalysisException(
                f"`{tableOrViewName}` is not a Delta table.", "DELTA_MISSING_DELTA_TABLE"
            )
        return cls(sparkSession, location)

    @classmethod
    def isDeltaTable(cls, sparkSession: SparkSession, identifier: str) -> bool:
        return is_delta_table(identifier)

    def _delta(self) -> DeltaLakeTable:
        return open_delta_table(self._path)

    def toDF(self) -> DataFrame:
        df = self._spark.read.format("delta").load(self._path)
        return df.alias(self._alias) if self._alias else df

    def alias(self, aliasName: str) -> DeltaTable:
        return DeltaTable(self._spark, self._path, aliasName)

    # -- changes -----------------------------------------------------------------------------
    def merge(self, source: DataFrame, condition: Any) -> DeltaMergeBuilder:
        return DeltaMergeBuilder(self, source, condition)

    def _scopes(self) -> Scopes:
        columns = tuple(self._delta().schema().to_arrow().names)
        return {self._alias or "target": columns}

    def update(self, condition: Any = None, set: dict[str, Any] | None = None) -> None:
        if not set:
            raise IllegalArgumentException("update requires a non-empty 'set' mapping")
        scopes = self._scopes()
        updates = {
            f'"{resolve_column(k, scopes)[1]}"': expression_sql(v, scopes, {}, qualified=False)
            for k, v in set.items()
        }
        predicate = _bare_predicate(condition, scopes)
        self._run_idempotent(
            "UPDATE",
            lambda t, c: t.update(updates=updates, predicate=predicate, commit_properties=c),
        )

    def updateExpr(self, condition: Any = None, set: dict[str, str] | None = None) -> None:
        self.update(condition, set)

    def delete(self, condition: Any = None) -> None:
        predicate = _bare_predicate(condition, self._scopes())
        self._run_idempotent(
            "DELETE", lambda t, c: t.delete(predicate=predicate, commit_properties=c)
        )

    def _run(self, operation: str, action: Any) -> Any:
        try:
            return action(self._delta())
        except DeltaError as e:
            raise AnalysisException(f"{operation} failed: {e}", "DELTA_OPERATION_FAILED") from None

    def _run_idempotent(self, operation: str, action: Any) -> None:
        """A DML under the session's txnAppId / txnVersion (skipped if already committed)."""
        try:
            commit = session_commit(self._spark, self._path)
        except AlreadyCommitted:
            return
        self._run(operation, lambda t: action(t, commit))

    # -- maintenance -------------------------------------------------------------------------
    def history(self, limit: int | None = None) -> DataFrame:
        commits = self._delta().history(limit)
        rows = [_history_row(c) for c in commits]
        return self._spark.createDataFrame(rows, _HISTORY_SCHEMA)

    def vacuum(self, retentionHours: float | None = None) -> DataFrame:
        hours = _DEFAULT_RETENTION_HOURS if retentionHours is None else retentionHours
        check = str(self._spark.conf.get(_RETENTION_CHECK, "true")).lower() != "false"
        if check and hours < _DEFAULT_RETENTION_HOURS:
            raise IllegalArgumentException(
                "requirement failed: Are you sure you would like to vacuum files with such a low "
                "retention period? If you have writers that are currently writing to this table, "
                "there is a risk that you may corrupt the state of your Delta table. If you are "
                f"certain, turn off this check by setting {_RETENTION_CHECK} = false."
            )
        self._run(
            "VACUUM",
            lambda t: t.vacuum(int(hours), dry_run=False, enforce_retention_duration=False),
        )
        return self._spark.createDataFrame([(self._path,)], "path string")

    def optimize(self) -> DeltaOptimizeBuilder:
        return DeltaOptimizeBuilder(self)

    def restoreToVersion(self, version: int) -> DataFrame:
        metrics = self._run("RESTORE", lambda t: t.restore(version))
        return self._metrics_frame(metrics)

    def restoreToTimestamp(self, timestamp: str) -> DataFrame:
        time_zone = str(self._spark.conf.get("spark.sql.session.timeZone"))
        when = parse_timestamp(timestamp, time_zone)
        metrics = self._run("RESTORE", lambda t: t.restore(when))
        return self._metrics_frame(metrics)

    def detail(self) -> DataFrame:
        table = self._delta()
        metadata = table.metadata()
        row = {
            "format": "delta",
            "id": metadata.id,
            "name": metadata.name,
            "location": table.table_uri,
            "partitionColumns": list(metadata.partition_columns),
            "numFiles": len(table.file_uris()),
            "minReaderVersion": table.protocol().min_reader_version,
            "minWriterVersion": table.protocol().min_writer_version,
        }
        return self._spark.createDataFrame([row])

    def _metrics_frame(self, metrics: dict[str, Any]) -> DataFrame:
        if not metrics:
            return self._spark.createDataFrame([], "num_affected_rows bigint")
        table = pa.table({k: [int(v) if isinstance(v, int) else v] for k, v in metrics.items()})
        return self._spark.createDataFrame(table)


class DeltaOptimizeBuilder:
    """``DeltaTable.optimize()``: optional ``where(partitionFilter)``, then compaction."""

    def __init__(self, table: DeltaTable) -> None:
        self._table = table
        self._filters: list[tuple[str, str, Any]] | None = None

    def where(self, partitionFilter: str) -> DeltaOptimizeBuilder:
        self._filters = _partition_filters(partitionFilter)
        return self

    def executeCompaction(self) -> DataFrame:
        metrics = self._table._run(
            "OPTIMIZE", lambda t: t.optimize.compact(partition_filters=self._filters)
        )
        return self._result(metrics)

    def executeZOrderBy(self, *cols: str | list[str]) -> DataFrame:
        names = [c for group in cols for c in ([group] if isinstance(group, str) else group)]
        metrics = self._table._run(
            "OPTIMIZE", lambda t: t.optimize.z_order(names, partition_filters=self._filters)
        )
        return self._result(metrics)

    def _result(self, metrics: dict[str, Any]) -> DataFrame:
        fields = ("numFilesAdded", "numFilesRemoved", "partitionsOptimized", "numBatches")
        values = {f: int(metrics.get(f, 0)) for f in fields}
        schema = "path string, metrics struct<" + ",".join(f"{f}:bigint" for f in fields) + ">"
        return self._table._spark.createDataFrame([(self._table._path, values)], schema)


def _bare_predicate(condition: Any, scopes: Scopes) -> str | None:
    if condition is None:
        return None
    return expression_sql(condition, scopes, {}, qualified=False)


def _history_row(commit: dict[str, Any]) -> tuple[Any, ...]:
    import datetime as dt

    millis = commit.get("timestamp")
    when = dt.datetime.fromtimestamp(millis / 1000, dt.UTC) if millis is not None else None
    return (
        commit.get("version"),
        when,
        None,
        None,
        commit.get("operation"),
        _string_map(commit.get("operationParameters")),
        commit.get("readVersion"),
        commit.get("isolationLevel"),
        commit.get("isBlindAppend"),
        _string_map(commit.get("operationMetrics")),
        commit.get("userMetadata"),
        commit.get("engineInfo"),
    )


def _string_map(values: Any) -> dict[str, str] | None:
    if values is None:
        return None
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in dict(values).items()}


def _partition_filters(text: str) -> list[tuple[str, str, Any]]:
    """``"date = '2024-01-01' AND region != 'eu'"`` as deltalake partition filters."""
    from sqlglot import exp

    from kaspar.engine.compile.datafusion import parse_spark_expression

    comparisons: dict[type[exp.Expr], str] = {
        exp.EQ: "=",
        exp.NEQ: "!=",
        exp.GT: ">",
        exp.GTE: ">=",
        exp.LT: "<",
        exp.LTE: "<=",
    }
    filters = []
    for part in parse_spark_expression(text).flatten() if text else []:
        op = comparisons.get(type(part))
        column, value = part.args.get("this"), part.args.get("expression")
        if op is None or not isinstance(column, exp.Column) or not isinstance(value, exp.Literal):
            raise IllegalArgumentException(
                f"optimize().where() supports partition predicates of the form "
                f"`column <op> literal` joined by AND; got '{text}'"
            )
        filters.append((column.name, op, value.this))
    return filters
