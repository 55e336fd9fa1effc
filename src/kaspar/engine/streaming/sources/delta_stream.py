"""A Delta table's appends as a stream: ``spark.readStream.format("delta").load(path)``.

Delta's ``DeltaSource``, over deltalake (snapshots) and the table's JSON commit files. Its offset
is Delta's ``DeltaSourceOffset``::

    {"sourceVersion":1,"reservoirId":"<table id>","reservoirVersion":v,"index":i,
     "isStartingVersion":b}

meaning: the files of version ``v`` up to index ``i`` have been read (``-1``: none of them yet).
With ``isStartingVersion`` the files of ``v`` are the table's snapshot at ``v`` (every live file,
ordered by modification time then path), otherwise the files commit ``v`` added (in log order).
After the last file of a version the offset moves to ``(v + 1, -1, false)``.

* Start: by default the snapshot of the latest version when the query first starts, then every
  later commit; ``startingVersion`` N (or ``latest``) and ``startingTimestamp`` skip the
  snapshot and read the commits from N (or after the latest, or from the first commit at or
  after the timestamp). The start is resolved once and kept in the checkpoint.
* A batch reads at most ``maxFilesPerTrigger`` files (Delta's default: 1000) or about
  ``maxBytesPerTrigger`` bytes, unless the trigger is ``once``.
* A commit that removes data (``dataChange``) fails the query, as Delta does
  (``DELTA_SOURCE_IGNORE_DELETE`` for deletes, ``DELTA_SOURCE_TABLE_IGNORE_CHANGES`` for
  rewrites), unless ``ignoreDeletes`` (deletes only), ``ignoreChanges`` (the rewritten files are
  read again) or ``skipChangeCommits`` (the whole commit is skipped) is set. Commits without
  ``dataChange`` (OPTIMIZE) are skipped.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
from deltalake import DeltaTable
from pyarrow import parquet as pq

from kaspar.engine import types as T
from kaspar.engine.sources.delta import delta_path, open_delta_table, parse_timestamp
from kaspar.engine.streaming.compactible_log import local_path
from kaspar.engine.streaming.sources.file_listing import partition_column
from kaspar.engine.type_conversion import from_arrow, to_arrow
from kaspar.errors import (
    AnalysisException,
    IllegalArgumentException,
    SparkRuntimeException,
    UnsupportedOperationException,
)

DEFAULT_MAX_FILES = 1000
_UNSUPPORTED_READER_FEATURES = ("deletionVectors", "columnMapping")
_IGNORE_CHANGES = (
    "Detected a data update (for example {removed}) in the source table at version {version}. "
    "This is currently not supported. If you'd like to ignore updates, set the option "
    "'skipChangeCommits' to 'true'. If you would like the data update to be reflected, please "
    "restart this query with a fresh checkpoint directory. The source table can be found at "
    "path {where}."
)


@dataclass(frozen=True)
class DeltaSourceOptions:
    """Delta's streaming read options (``DeltaOptions``), validated with Delta's messages."""

    starting_version: str | None = None  # "latest" or a version number
    starting_timestamp: str | None = None
    max_files: int = DEFAULT_MAX_FILES
    max_bytes: int | None = None
    ignore_deletes: bool = False
    ignore_changes: bool = False
    skip_change_commits: bool = False

    @staticmethod
    def parse(options: dict[str, str]) -> DeltaSourceOptions:
        version, timestamp = options.get("startingversion"), options.get("startingtimestamp")
        if version is not None and timestamp is not None:
            raise IllegalArgumentException(
                "Please either provide 'startingVersion' or 'startingTimestamp'",
                "DELTA_STARTING_VERSION_AND_TIMESTAMP_BOTH_SET",
            )
        if version is not None and version != "latest" and not version.strip().isdigit():
            raise _illegal_option("startingVersion", version, "must be greater than or equal to 0")
        return DeltaSourceOptions(
            starting_version=version,
            starting_timestamp=timestamp,
            max_files=_positive(options, "maxFilesPerTrigger") or DEFAULT_MAX_FILES,
            max_bytes=_positive(options, "maxBytesPerTrigger"),
            ignore_deletes=_flag(options, "ignoreDeletes"),
            ignore_changes=_flag(options, "ignoreChanges"),
            skip_change_commits=_flag(options, "skipChangeCommits"),
        )


def _illegal_option(name: str, value: str, explain: str) -> IllegalArgumentException:
    return IllegalArgumentException(
        f"Invalid value '{value}' for option '{name}', {explain}", "DELTA_ILLEGAL_OPTION"
    )


def _positive(options: dict[str, str], name: str) -> int | None:
    text = options.get(name.lower())
    if text is None:
        return None
    if not text.strip().isdigit() or int(text) <= 0:
        raise _illegal_option(name, text, "must be a positive integer")
    return int(text)


def _flag(options: dict[str, str], name: str) -> bool:
    text = options.get(name.lower(), "false").lower()
    if text not in ("true", "false"):
        raise _illegal_option(name, text, "must be 'true' or 'false'")
    return text == "true"


@dataclass(frozen=True)
class IndexedFile:
    """One data file at its place in the stream."""

    version: int
    index: int
    snapshot: bool
    last: bool  # the last file of its version
    add: dict[str, Any]

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.version, int(self.snapshot), self.index)


def _key(offset: dict[str, Any]) -> tuple[int, int, int]:
    """Stream order: commit v's files < snapshot v's files < commit v + 1's files."""
    return (int(offset["reservoirVersion"]), int(offset["isStartingVersion"]), int(offset["index"]))


class DeltaStreamSource:
    """The stream of one Delta table (local paths)."""

    def __init__(self, path: str, options: dict[str, str], time_zone: str) -> None:
        self.path = path
        self.options = DeltaSourceOptions.parse(options)
        table = open_delta_table(path)
        features = set(table.protocol().reader_features or ()) & set(_UNSUPPORTED_READER_FEATURES)
        if features:
            raise UnsupportedOperationException(
                f"Streaming reads of Delta tables with {', '.join(sorted(features))} are not "
                "supported by kaspar yet."
            )
        self._root = Path(delta_path(path)).absolute()
        self._table_id = table.metadata().id
        self._time_zone = time_zone
        arrow = pa.schema(table.schema().to_arrow())
        self._fields = T.StructType(
            [T.StructField(f.name, from_arrow(f.type), True) for f in arrow]
        )
        self._schema_json = _fields_of(table.schema().to_json())
        self._partitions = set(table.metadata().partition_columns)
        self.schema = pa.schema([pa.field(f.name, to_arrow(f.dataType)) for f in self._fields])
        self.description = f"DeltaSource[file:{self._root}]"
        self._snapshots: dict[int, list[dict[str, Any]]] = {}

    def for_query(self) -> DeltaStreamSource:
        """A copy with its own snapshot cache (the table's description is shared)."""
        fresh = copy.copy(self)
        fresh._snapshots = {}
        return fresh

    def _offset(self, version: int, index: int, snapshot: bool) -> dict[str, Any]:
        return {
            "sourceVersion": 1,
            "reservoirId": self._table_id,
            "reservoirVersion": version,
            "index": index,
            "isStartingVersion": snapshot,
        }

    def initial_offset(self) -> Any:
        """Where the stream starts, resolved now (the loop keeps it in the checkpoint)."""
        latest = self._latest_version()
        version, timestamp = self.options.starting_version, self.options.starting_timestamp
        if version == "latest":
            return self._offset(latest + 1, -1, False)
        if version is not None:
            return self._offset(int(version), -1, False)
        if timestamp is not None:
            return self._offset(self._version_at(timestamp), -1, False)
        return self._offset(latest, -1, True)

    def _version_at(self, text: str) -> int:
        """The first version committed at or after ``text`` (Delta's
        ``getStartingVersionFromTimestamp``)."""
        millis = int(parse_timestamp(text, self._time_zone).timestamp() * 1000)
        commits = sorted((int(h["version"]), int(h["timestamp"])) for h in self._history())
        after = [version for version, at in commits if at >= millis]
        if not after:
            last = max((at for _, at in commits), default=0)
            raise AnalysisException(
                f"The provided timestamp ({text}) is after the latest version available to this "
                f"table ({_iso(last)}). Please use a timestamp before or at {_iso(last)}.",
                "DELTA_TIMESTAMP_GREATER_THAN_COMMIT",
            )
        return min(after)

    def _history(self) -> list[dict[str, Any]]:
        return [h for h in DeltaTable(str(self._root)).history() if "timestamp" in h]

    def latest_offset(self, start: Any, limited: bool, until: Any | None) -> Any:
        """The offset after the next files: at most ``maxFilesPerTrigger`` (or about
        ``maxBytesPerTrigger``) when ``limited``, never past ``until``."""
        cap = _key(until) if until is not None else None
        taken: IndexedFile | None = None
        count = size = 0
        for file in self._files_after(start):
            if cap is not None and file.key > cap:
                break
            file_size = int(file.add.get("size", 0))
            if limited and (
                count >= self.options.max_files
                or (self.options.max_bytes and count and size + file_size > self.options.max_bytes)
            ):
                break
            taken, count, size = file, count + 1, size + file_size
        if taken is None:
            return start
        if taken.last:
            return self._offset(taken.version + 1, -1, False)
        return self._offset(taken.version, taken.index, taken.snapshot)

    def get_batch(self, start: Any, end: Any) -> pa.Table:
        cap = _key(end)
        tables = [self.schema.empty_table()]
        for file in self._files_after(start):
            if file.key > cap:
                break
            tables.append(self._read(file.add))
        return pa.concat_tables(tables)

    def _files_after(self, offset: dict[str, Any]) -> Iterator[IndexedFile]:
        """Every file after ``offset``, in stream order, up to the latest commit."""
        if offset["reservoirId"] != self._table_id:
            raise SparkRuntimeException(
                f"The table id of the Delta table at {self.path} is {self._table_id}, but the "
                f"query's checkpoint read table {offset['reservoirId']}. Use a new checkpoint "
                "location for a different table.",
                "DIFFERENT_DELTA_TABLE_READ_BY_STREAMING_SOURCE",
            )
        version, index = int(offset["reservoirVersion"]), int(offset["index"])
        if offset["isStartingVersion"]:
            yield from _indexed(version, index, True, self._snapshot(version))
            version, index = version + 1, -1
        latest = self._latest_version()
        while version <= latest:
            yield from _indexed(version, index, False, self._commit_adds(version))
            version, index = version + 1, -1

    def _snapshot(self, version: int) -> list[dict[str, Any]]:
        """The live files of ``version``, ordered by modification time then path."""
        if version not in self._snapshots:
            actions = pa.table(
                DeltaTable(str(self._root), version=version).get_add_actions(flatten=True)
            )
            files = []
            for row in actions.to_pylist():
                values = {k.removeprefix("partition."): v for k, v in row.items()}
                files.append(
                    {
                        "path": row["path"],
                        "size": row["size_bytes"],
                        "modificationTime": row["modification_time"],
                        "partitionValues": {p: values.get(p) for p in self._partitions},
                    }
                )
            files.sort(key=lambda a: (a["modificationTime"], a["path"]))
            self._snapshots = {version: files}
        return self._snapshots[version]

    def _commit_adds(self, version: int) -> list[dict[str, Any]]:
        """The files commit ``version`` added, after Delta's checks on what it removed."""
        adds, removed, schema_change = [], None, False
        for line in self._commit_lines(version):
            action = json.loads(line)
            if "add" in action and action["add"].get("dataChange", True):
                adds.append(action["add"])
            elif "remove" in action and action["remove"].get("dataChange", True):
                removed = removed or action["remove"]["path"]
            elif "metaData" in action:
                schema_change = _fields_of(action["metaData"]["schemaString"]) != self._schema_json
        if schema_change:
            raise SparkRuntimeException(
                f"Detected schema change in version {version} of the Delta table at "
                f"{self.path}. Please restart the query with a new checkpoint directory.",
                "DELTA_SCHEMA_CHANGED_WITH_VERSION",
            )
        if removed is None:
            return adds
        return self._changed_commit(version, adds, removed)

    def _changed_commit(
        self, version: int, adds: list[dict[str, Any]], removed: str
    ) -> list[dict[str, Any]]:
        options, where = self.options, f"file:{self._root}"
        if options.skip_change_commits:
            return []
        if adds and not options.ignore_changes:
            raise UnsupportedOperationException(
                _IGNORE_CHANGES.format(removed=removed, version=version, where=where),
                "DELTA_SOURCE_TABLE_IGNORE_CHANGES",
            )
        if not adds and not (options.ignore_deletes or options.ignore_changes):
            raise UnsupportedOperationException(
                f"Detected deleted data (for example {removed}) from streaming source at version "
                f"{version}. This is currently not supported. If you'd like to ignore deletes, "
                f"set the option 'ignoreDeletes' to 'true'. The source table can be found at "
                f"path {where}.",
                "DELTA_SOURCE_IGNORE_DELETE",
            )
        return adds

    def _commit_lines(self, version: int) -> list[str]:
        path = self._root / "_delta_log" / f"{version:020d}.json"
        try:
            return [line for line in path.read_text(encoding="utf-8").splitlines() if line]
        except FileNotFoundError:
            raise SparkRuntimeException(
                f"The stream from the Delta table at {self.path} expects version {version}, but "
                f"{path.name} is no longer in its _delta_log (log retention). Restart the query "
                "with a new checkpoint directory.",
                "DELTA_FILE_NOT_FOUND_DETAILED",
            ) from None

    def _latest_version(self) -> int:
        log = self._root / "_delta_log"
        versions = [int(p.name[:20]) for p in log.glob("*.json") if p.name[:20].isdigit()]
        return max(versions, default=-1)

    def _read(self, add: dict[str, Any]) -> pa.Table:
        """One data file as the table's columns (partition values from the log)."""
        path = add["path"]
        file = local_path(path) if "://" in path else self._root / unquote(path)
        data = pq.read_table(file)
        names = {n.lower(): n for n in data.column_names}
        values = add.get("partitionValues") or {}
        columns = []
        for field in self._fields:
            if field.name in self._partitions:
                columns.append(_partition(field, values.get(field.name), data.num_rows))
            elif field.name.lower() in names:
                columns.append(
                    data.column(names[field.name.lower()]).cast(to_arrow(field.dataType))
                )
            else:
                columns.append(pa.nulls(data.num_rows, to_arrow(field.dataType)))
        return pa.table(columns, schema=self.schema)

    def commit(self, end: Any) -> None:
        pass

    def stop(self) -> None:
        pass


def _indexed(
    version: int, after: int, snapshot: bool, adds: list[dict[str, Any]]
) -> Iterator[IndexedFile]:
    last = len(adds) - 1
    for index, add in enumerate(adds):
        if index > after:
            yield IndexedFile(version, index, snapshot, index == last, add)


def _partition(field: T.StructField, value: Any, rows: int) -> pa.Array:
    if value is None or isinstance(value, str):
        return partition_column(field, value, rows)
    return pa.repeat(pa.scalar(value, to_arrow(field.dataType)), rows)


def _fields_of(schema_json: str) -> list[tuple[str, str]]:
    return [(f["name"], json.dumps(f["type"])) for f in json.loads(schema_json)["fields"]]


def _iso(millis: int) -> str:
    return dt.datetime.fromtimestamp(millis / 1000, dt.UTC).isoformat(sep=" ")
