"""Delta tables as a batch sink, written with deltalake (delta-rs).

Spark's writer options map to deltalake's: save mode -> ``mode``, ``partitionBy`` ->
``partition_by``, ``mergeSchema`` / ``overwriteSchema`` -> ``schema_mode``, ``replaceWhere``
-> ``predicate``, ``userMetadata`` -> commit metadata, and ``txnAppId`` + ``txnVersion`` ->
an idempotent write (a ``txn`` action; a version already committed for the app is skipped).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from deltalake import CommitProperties, Transaction, write_deltalake
from deltalake.exceptions import DeltaError, SchemaMismatchError

from kaspar.engine.sources.delta import delta_path, is_delta_table, open_delta_table
from kaspar.errors import AnalysisException, IllegalArgumentException

_MODES = {
    "append": "append",
    "overwrite": "overwrite",
    "error": "error",
    "errorifexists": "error",
    "ignore": "ignore",
}


# Delta's table properties by their lower-cased name (writer options are lower-cased): a
# ``delta.*`` option of the write that creates a table becomes its property, as in delta-spark.
_PROPERTIES = {
    name.lower(): name
    for name in (
        "delta.appendOnly",
        "delta.autoOptimize.autoCompact",
        "delta.autoOptimize.optimizeWrite",
        "delta.checkpointInterval",
        "delta.checkpoint.writeStatsAsJson",
        "delta.checkpoint.writeStatsAsStruct",
        "delta.columnMapping.mode",
        "delta.dataSkippingNumIndexedCols",
        "delta.dataSkippingStatsColumns",
        "delta.deletedFileRetentionDuration",
        "delta.enableChangeDataFeed",
        "delta.enableDeletionVectors",
        "delta.isolationLevel",
        "delta.logRetentionDuration",
        "delta.minReaderVersion",
        "delta.minWriterVersion",
        "delta.setTransactionRetentionDuration",
        "delta.targetFileSize",
        "delta.tuneFileSizesForRewrites",
    )
}


def table_properties(options: dict[str, str]) -> dict[str, str | None]:
    """The ``delta.*`` writer options as table properties (Delta's own spelling)."""
    return {_PROPERTIES.get(k, k): v for k, v in options.items() if k.startswith("delta.")}


def write_delta(
    data: pa.Table,
    path: str,
    mode: str,
    partition_by: list[str],
    options: dict[str, str],
) -> None:
    """Write ``data`` to the Delta table at ``path`` (created if missing); options lower-cased."""
    if mode in ("error", "errorifexists") and is_delta_table(path):
        raise AnalysisException(
            f"[DELTA_PATH_EXISTS] Cannot write to already existent path {path} without "
            "setting OVERWRITE = 'true'.",
            "DELTA_PATH_EXISTS",
        )
    commit = _commit_properties(path, options)
    if commit is None:
        return  # this txnAppId/txnVersion was committed before: the write is a no-op
    arguments: dict[str, Any] = {
        "mode": _MODES[mode],
        "partition_by": partition_by or None,
        "schema_mode": _schema_mode(options, mode),
        "commit_properties": commit,
    }
    if "replacewhere" in options:
        arguments["predicate"] = options["replacewhere"]
    properties = table_properties(options)
    if properties and not is_delta_table(path):
        arguments["configuration"] = properties
    try:
        write_deltalake(delta_path(path), delta_compatible(data), **arguments)
    except SchemaMismatchError as e:
        raise AnalysisException(
            "A schema mismatch detected when writing to the Delta table. To enable schema "
            "migration, set the option 'mergeSchema' to 'true' (or 'overwriteSchema' with mode "
            f"overwrite). {e}",
            "DELTA_FAILED_TO_MERGE_FIELDS",
        ) from None
    except DeltaError as e:
        raise AnalysisException(
            f"Delta write to {path} failed: {e}", "DELTA_WRITE_FAILED"
        ) from None


def _schema_mode(options: dict[str, str], mode: str) -> str | None:
    if options.get("overwriteschema", "false").lower() == "true" and mode == "overwrite":
        return "overwrite"
    if options.get("mergeschema", "false").lower() == "true":
        return "merge"
    return None


def _commit_properties(path: str, options: dict[str, str]) -> CommitProperties | None:
    """Commit metadata; None when the idempotent transaction was already committed."""
    metadata = {"userMetadata": options["usermetadata"]} if "usermetadata" in options else None
    app_id, version_text = options.get("txnappid"), options.get("txnversion")
    if (app_id is None) != (version_text is None):
        raise IllegalArgumentException(
            "Options 'txnAppId' and 'txnVersion' must be given together for an idempotent write."
        )
    if app_id is None or version_text is None:
        return CommitProperties(custom_metadata=metadata)
    return idempotent_commit(path, app_id, int(version_text), metadata)


def idempotent_commit(
    path: str, app_id: str, version: int, metadata: dict[str, str] | None = None
) -> CommitProperties | None:
    """A commit carrying the ``txn`` action (app_id, version); None when the table already
    holds that version (or a later one) for the app: the write must then be skipped."""
    if is_delta_table(path):
        committed = open_delta_table(path).transaction_version(app_id)
        if committed is not None and committed >= version:
            return None
    return CommitProperties(
        custom_metadata=metadata, app_transactions=[Transaction(app_id, version)]
    )


def delta_compatible(data: pa.Table) -> pa.Table:
    """Timestamps as Delta stores them: microseconds, UTC (or no zone for timestamp_ntz)."""
    columns = []
    for column in data.columns:
        if pa.types.is_timestamp(column.type):
            tz = "UTC" if column.type.tz else None
            columns.append(column.cast(pa.timestamp("us", tz=tz)))
        else:
            columns.append(column)
    return pa.table(columns, names=data.column_names)
