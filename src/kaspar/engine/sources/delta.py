"""Delta tables as a batch source, read with deltalake (delta-rs), with time travel.

``versionAsOf`` and ``timestampAsOf`` follow Delta Lake's rules: not both, the version must
exist, and the timestamp must lie between the first and the latest commit. A timestamp without
a zone is in the session time zone (``spark.sql.session.timeZone``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError, TableNotFoundError

from kaspar.engine.plan import logical as L
from kaspar.errors import AnalysisException


def delta_path(path: str) -> str:
    """A local path without ``file:`` (deltalake takes plain paths and object-store URIs)."""
    return path.removeprefix("file://").removeprefix("file:")


def open_delta_table(path: str) -> DeltaTable:
    """The latest version of the table at ``path``; AnalysisException if there is none."""
    try:
        return DeltaTable(delta_path(path))
    except (TableNotFoundError, DeltaError):
        raise AnalysisException(
            f"`{path}` is not a Delta table.", "DELTA_MISSING_DELTA_TABLE", {"tableName": path}
        ) from None


def is_delta_table(path: str) -> bool:
    local = Path(delta_path(path))
    return (local / "_delta_log").is_dir() or (
        "://" in path and DeltaTable.is_deltatable(delta_path(path))
    )


def delta_relation(path: str, options: dict[str, str], time_zone: str) -> L.LocalRelation:
    """The plan leaf for ``spark.read.format("delta").load(path)`` (options lower-cased): the
    snapshot is chosen here (time travel resolved, as Spark resolves it at analysis), its rows
    are read when a query needs them (a deferred relation). With ``readChangeFeed``, the
    table's change data feed between the given versions or timestamps."""
    table = open_delta_table(path)
    if options.get("readchangefeed", "false").lower() == "true":
        return _change_feed(table, options, time_zone)
    version, timestamp = options.get("versionasof"), options.get("timestampasof")
    if version is not None and timestamp is not None:
        raise AnalysisException(
            "Cannot specify both version and timestamp when time travelling the table.",
            "INVALID_TIME_TRAVEL_SPEC",
        )
    if version is not None:
        _load_version(table, path, version)
    elif timestamp is not None:
        _load_timestamp(table, timestamp, time_zone)
    schema = pa.schema(table.schema().to_arrow())
    names = tuple(schema.names)
    return L.DeferredRelation(
        _spark_compatible(schema.empty_table(), names),
        names,
        compute=lambda: _spark_compatible(table.to_pyarrow_table(), names),
    )


def _change_feed(table: DeltaTable, options: dict[str, str], time_zone: str) -> L.LocalRelation:
    """Delta's change data feed: the rows each commit inserted, deleted or updated
    (``_change_type``, ``_commit_version``, ``_commit_timestamp``), as delta-spark reads it."""
    start_version, end_version = options.get("startingversion"), options.get("endingversion")
    start_time, end_time = options.get("startingtimestamp"), options.get("endingtimestamp")
    if start_version is None and start_time is None:
        raise AnalysisException(
            "No startingVersion or startingTimestamp provided for CDC read.",
            "DELTA_NO_START_FOR_CDC_READ",
        )
    kwargs: dict[str, object] = {}
    if start_version is not None:
        kwargs["starting_version"] = int(start_version)
    if end_version is not None:
        kwargs["ending_version"] = int(end_version)
    if start_time is not None:
        kwargs["starting_timestamp"] = parse_timestamp(start_time, time_zone).isoformat()
    if end_time is not None:
        kwargs["ending_timestamp"] = parse_timestamp(end_time, time_zone).isoformat()

    def read() -> pa.Table:
        try:
            changes = pa.table(table.load_cdf(**kwargs))  # type: ignore[arg-type]
        except DeltaError as e:
            raise AnalysisException(
                f"Cannot read the change data feed: {e}", "DELTA_CHANGE_DATA_FEED_ERROR"
            ) from None
        kinds = {"_commit_version": pa.int64(), "_commit_timestamp": pa.timestamp("us", "UTC")}
        for name, kind in kinds.items():
            i = changes.schema.get_field_index(name)
            changes = changes.set_column(i, name, changes.column(i).cast(kind))
        i = changes.schema.get_field_index("_change_type")
        return changes.set_column(i, "_change_type", changes.column(i).cast(pa.string()))

    data_schema = pa.schema(table.schema().to_arrow())
    schema = pa.schema(
        [
            *data_schema,
            pa.field("_change_type", pa.string()),
            pa.field("_commit_version", pa.int64()),
            pa.field("_commit_timestamp", pa.timestamp("us", "UTC")),
        ]
    )
    names = tuple(schema.names)

    def compute() -> pa.Table:
        return _spark_compatible(read().select(list(names)), names)

    return L.DeferredRelation(
        _spark_compatible(schema.empty_table(), names), names, compute=compute
    )


def _load_version(table: DeltaTable, path: str, text: str) -> None:
    try:
        version = int(text)
    except ValueError:
        raise AnalysisException(
            f"Option 'versionAsOf' must be a version number, got '{text}'.",
            "INVALID_TIME_TRAVEL_SPEC",
        ) from None
    latest = table.version()
    if not 0 <= version <= latest:
        raise AnalysisException(
            f"Cannot time travel Delta table to version {version}. "
            f"Available versions: [0, {latest}].",
            "DELTA_VERSION_NOT_FOUND",
        )
    try:
        table.load_as_version(version)
    except DeltaError as e:
        raise AnalysisException(
            f"Cannot time travel Delta table {path} to version {version}: {e}",
            "DELTA_VERSION_NOT_FOUND",
        ) from None


def _load_timestamp(table: DeltaTable, text: str, time_zone: str) -> None:
    when = parse_timestamp(text, time_zone)
    commits = [c["timestamp"] for c in table.history() if "timestamp" in c]
    millis = int(when.timestamp() * 1000)
    if commits and millis > max(commits):
        raise AnalysisException(
            f"The provided timestamp ({text}) is after the latest version available to this "
            f"table ({_iso(max(commits))}). Please use a timestamp before or at "
            f"{_iso(max(commits))}.",
            "DELTA_TIMESTAMP_GREATER_THAN_COMMIT",
        )
    if commits and millis < min(commits):
        raise AnalysisException(
            f"The provided timestamp ({text}) is before the earliest version available to this "
            f"table ({_iso(min(commits))}). Please use a timestamp after {_iso(min(commits))}.",
            "DELTA_TIMESTAMP_EARLIER_THAN_COMMIT_RETENTION",
        )
    table.load_as_version(when)


def parse_timestamp(text: str, time_zone: str) -> dt.datetime:
    """Spark's timestamp strings (``2024-01-31``, ``2024-01-31 10:00:00.123``), zone-aware."""
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise AnalysisException(
            f"The provided timestamp ({text}) cannot be converted to a valid timestamp.",
            "DELTA_TIMESTAMP_INVALID",
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=ZoneInfo(time_zone))


def _iso(millis: int) -> str:
    return dt.datetime.fromtimestamp(millis / 1000, dt.UTC).isoformat(sep=" ")


def _spark_compatible(data: pa.Table, names: tuple[str, ...]) -> pa.Table:
    """Columns renamed ``c0, c1, ...`` (LocalRelation's layout), large types made plain."""
    plain = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
    columns = [c.cast(plain[c.type]) if c.type in plain else c for c in data.columns]
    return pa.table(columns, names=[f"c{i}" for i in range(len(names))])
