"""Files as a streaming source: ``spark.readStream.format("json").schema(...).load(dir)``.

Spark's ``FileStreamSource``. Its offset is ``{"logOffset": N}``, the id of a batch in the
source's own log (``<checkpoint>/sources/<i>/<N>``, one line per file: URI, modification time,
log batch id; compacted every ``spark.sql.streaming.fileSource.log.compactInterval`` batches).
Planning a batch (``latest_offset``):

1. List the directory (``file_listing.list_files``): data files oldest first, or newest first
   with ``latestFirst``.
2. Drop the files seen before (every file of the log, by path or with ``fileNameOnly`` by name)
   and those older than ``maxFileAge`` before the newest file seen.
3. Keep at most ``maxFilesPerTrigger`` files (or ``maxBytesPerTrigger`` bytes, at least one file)
   unless the trigger is ``once``; an ``availableNow`` query only takes the files listed when it
   started.
4. Write them as log batch N + 1 and return ``{"logOffset": N + 1}``, so the batch's files are
   fixed before the query writes its ``offsets`` entry: a restart re-reads exactly these files,
   and a file in the log is never taken again.

``get_batch`` reads the files of log batches (start, end] with the batch readers
(``engine/sources/files.py``: json with its parse modes, csv, parquet, text, orc), grouped by
``k=v`` partition directory, whose values become the partition columns.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.sources.files import file_scan
from kaspar.engine.streaming.compactible_log import (
    CompactibleFileStreamLog,
    Entry,
    is_compaction_batch,
    local_path,
)
from kaspar.engine.streaming.sources.file_listing import (
    SourceFile,
    is_glob,
    list_files,
    partition_column,
    partition_schema,
    partition_values,
)
from kaspar.engine.type_conversion import to_arrow
from kaspar.errors import (
    AnalysisException,
    IllegalArgumentException,
    NumberFormatException,
    SparkRuntimeException,
)

if TYPE_CHECKING:
    from kaspar.engine.execution import Executor

FORMATS = ("json", "csv", "parquet", "text", "orc", "xml")
TEXT_SCHEMA = T.StructType([T.StructField("value", T.StringType(), True)])
SCHEMA_REQUIRED = (
    "Schema must be specified when creating a streaming source DataFrame. If some files already "
    "exist in the directory, then depending on the file format you may be able to create a "
    "static DataFrame on that directory with 'spark.read.load(directory)' and infer schema from "
    "it."
)
_TIME = re.compile(r"^(-?[0-9]+)([a-z]+)?$")
_TIME_UNITS_MS = {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000}
_TIME_UNITS_MS["d"] = 86_400_000


@dataclass(frozen=True)
class FileStreamOptions:
    """Spark's ``FileStreamOptions``, validated with its messages."""

    max_files_per_trigger: int | None = None
    max_bytes_per_trigger: int | None = None
    latest_first: bool = False
    file_name_only: bool = False
    max_file_age_ms: int = 7 * 86_400_000
    clean_source: str = "off"
    source_archive_dir: str | None = None

    @staticmethod
    def parse(options: dict[str, str]) -> FileStreamOptions:
        parsed = FileStreamOptions(
            max_files_per_trigger=_positive(options, "maxFilesPerTrigger"),
            max_bytes_per_trigger=_positive(options, "maxBytesPerTrigger"),
            latest_first=_boolean(options, "latestFirst"),
            file_name_only=_boolean(options, "fileNameOnly"),
            max_file_age_ms=time_string_ms(options.get("maxfileage", "7d")),
            clean_source=options.get("cleansource", "off").lower(),
            source_archive_dir=options.get("sourcearchivedir"),
        )
        if parsed.max_files_per_trigger and parsed.max_bytes_per_trigger:
            raise IllegalArgumentException(
                "Options 'maxFilesPerTrigger' and 'maxBytesPerTrigger' can't be both set at the "
                "same time"
            )
        if parsed.clean_source not in ("archive", "delete", "off"):
            raise IllegalArgumentException(
                f"Invalid mode for clean source option Some({options['cleansource']}). Must be one "
                "of ARCHIVE,DELETE,OFF"
            )
        if parsed.clean_source == "archive" and parsed.source_archive_dir is None:
            raise IllegalArgumentException(
                "Archive mode must be used with 'sourceArchiveDir' option."
            )
        return parsed


def _positive(options: dict[str, str], name: str) -> int | None:
    text = options.get(name.lower())
    if text is None:
        return None
    if not text.strip().lstrip("+").isdigit() or int(text) <= 0:
        raise IllegalArgumentException(
            f"Invalid value '{text}' for option '{name}', must be a positive integer"
        )
    return int(text)


def _boolean(options: dict[str, str], name: str) -> bool:
    text = options.get(name.lower(), "false")
    if text.lower() not in ("true", "false"):
        raise IllegalArgumentException(
            f"Invalid value '{text}' for option '{name}', must be 'true' or 'false'"
        )
    return text.lower() == "true"


def time_string_ms(text: str) -> int:
    """Spark's ``timeStringAsMs``: ``7d``, ``1h``, ``30m``, ``10s``, ``100ms``; no unit = ms."""
    match = _TIME.match(text.strip().lower())
    if match is None or (match.group(2) or "ms") not in _TIME_UNITS_MS:
        raise NumberFormatException(
            "Time must be specified as seconds (s), milliseconds (ms), microseconds (us), minutes "
            "(m or min), hour (h), or day (d). E.g. 50s, 100ms, or 250us.\n"
            f"Failed to parse time string: {text}"
        )
    return int(int(match.group(1)) * _TIME_UNITS_MS[match.group(2) or "ms"])


class SeenFilesMap:
    """The files taken so far, forgetting those ``max_age_ms`` older than the newest one."""

    def __init__(self, max_age_ms: int, file_name_only: bool) -> None:
        self._seen: dict[str, int] = {}
        self._max_age_ms = max_age_ms
        self._file_name_only = file_name_only
        self._latest = 0
        self._last_purge = 0

    def _key(self, uri: str) -> str:
        return local_path(uri).name if self._file_name_only else uri

    def add(self, uri: str, timestamp: int) -> None:
        self._seen[self._key(uri)] = timestamp
        self._latest = max(self._latest, timestamp)

    def is_new(self, uri: str, timestamp: int) -> bool:
        return timestamp >= self._last_purge and self._key(uri) not in self._seen

    def purge(self) -> None:
        self._last_purge = self._latest - self._max_age_ms
        self._seen = {k: t for k, t in self._seen.items() if t >= self._last_purge}


@dataclass(frozen=True)
class FileSourceSpec:
    """What ``load()`` resolved: format, path, reader options and the two halves of the schema."""

    fmt: str
    path: str
    options: dict[str, str]
    data_schema: T.StructType
    partitions: T.StructType
    compact_interval: int = 10  # spark.sql.streaming.fileSource.log.compactInterval


class FileStreamSource:
    """The source; ``attach`` opens its log in the checkpoint (the loop calls it first)."""

    reports_latest_offset = False  # progress' latestOffset is null, as Spark's file source

    def __init__(self, executor: Executor, spec: FileSourceSpec) -> None:
        self._executor = executor
        self._spec = spec
        fields = [*spec.data_schema.fields, *spec.partitions.fields]
        self.schema = pa.schema([pa.field(f.name, to_arrow(f.dataType)) for f in fields])
        self.description = f"FileStreamSource[file:{Path(spec.path).absolute()}]"
        self._lock = threading.Lock()
        self._options = FileStreamOptions()
        self._log: CompactibleFileStreamLog | None = None
        self._seen = SeenFilesMap(self._options.max_file_age_ms, False)
        self._current = -1
        self._available_now: list[SourceFile] | None = None

    def for_query(self) -> FileStreamSource:
        """A fresh source for one query: each query keeps its own log and seen files."""
        return FileStreamSource(self._executor, self._spec)

    def attach(self, folder: Path) -> None:
        """Validate the options (a bad one fails the query, as in Spark), open the log in
        ``folder`` and remember every file it names."""
        options = FileStreamOptions.parse(self._spec.options)
        if not is_glob(self._spec.path) and Path(self._spec.path).is_file():
            raise IllegalArgumentException("Option 'basePath' must be a directory")
        log = CompactibleFileStreamLog(folder, self._spec.compact_interval)
        keep_all = options.latest_first and options.max_files_per_trigger is not None
        seen = SeenFilesMap(2**62 if keep_all else options.max_file_age_ms, options.file_name_only)
        for entry in log.all_entries():
            seen.add(entry["path"], entry["timestamp"])
        seen.purge()
        with self._lock:
            self._options, self._log, self._seen = options, log, seen
            latest = log.latest_batch_id()
            self._current = latest if latest is not None else -1

    def prepare_for_trigger_available_now(self) -> None:
        """``availableNow``: the files of this run are those listed now (Spark's
        ``SupportsTriggerAvailableNow``)."""
        with self._lock:
            self._available_now = self._list()

    def initial_offset(self) -> Any:
        return None  # nothing read yet: Spark's null start offset

    def latest_offset(self, start: Any, limited: bool, until: Any | None) -> Any:
        """Steps 1-4 of the module docstring."""
        with self._lock:
            listed = self._available_now if self._available_now is not None else self._list()
            new = [f for f in listed if self._seen.is_new(f.uri, f.timestamp)]
            if limited:
                new = self._limit(new)
            for file in new:
                self._seen.add(file.uri, file.timestamp)
            self._seen.purge()
            if new:
                self._current += 1
                entries = [
                    {"path": f.uri, "timestamp": f.timestamp, "batchId": self._current} for f in new
                ]
                if not self._require_log().add(self._current, entries):
                    raise SparkRuntimeException(
                        "Concurrent update to the log. Multiple streaming jobs detected for "
                        f"{self._current}"
                    )
            return None if self._current < 0 else {"logOffset": self._current}

    def _list(self) -> list[SourceFile]:
        files = list_files(self._spec.path, self._spec.options.get("pathglobfilter"))
        return files[::-1] if self._options.latest_first else files

    def _limit(self, files: list[SourceFile]) -> list[SourceFile]:
        max_files, max_bytes = (
            self._options.max_files_per_trigger,
            self._options.max_bytes_per_trigger,
        )
        if max_files is not None:
            return files[:max_files]
        if max_bytes is None or not files:
            return files
        taken, size = [files[0]], files[0].size
        for file in files[1:]:
            if size + file.size > max_bytes:
                break
            taken.append(file)
            size += file.size
        return taken

    def get_batch(self, start: Any, end: Any) -> pa.Table:
        first, last = _log_offset(start) + 1, _log_offset(end)
        entries = [e for batch_id in range(first, last + 1) for e in self._log_batch(batch_id)]
        groups: dict[tuple[str | None, ...], list[str]] = defaultdict(list)
        base = Path(self._spec.path)
        for entry in entries:
            path = local_path(entry["path"])
            found = partition_values(base, path)
            groups[tuple(found.get(f.name) for f in self._spec.partitions)].append(str(path))
        tables = [self.schema.empty_table()]
        for values, paths in groups.items():
            table = self._read(paths)
            for field, value in zip(self._spec.partitions, values, strict=True):
                table = table.append_column(field.name, partition_column(field, value, len(table)))
            tables.append(table.cast(self.schema))
        return pa.concat_tables(tables)

    def _read(self, paths: list[str]) -> pa.Table:
        spec = self._spec
        reader_schema = None if spec.fmt == "text" else spec.data_schema
        plan = file_scan(self._executor, spec.fmt, paths, spec.options, reader_schema)
        return conform(self._executor.execute(plan), spec.data_schema, spec.fmt)

    def _log_batch(self, batch_id: int) -> list[Entry]:
        """The files of log batch ``batch_id`` (a compaction file holds the batches before it)."""
        log = self._require_log()
        interval = log.compact_interval
        compaction: int | None = batch_id if is_compaction_batch(batch_id, interval) else None
        entries = log.get(batch_id)
        if entries is None:  # a batch file removed after its compaction (Spark's log cleanup)
            compaction = (batch_id + interval + 1) // interval * interval - 1
            entries = log.get(compaction)
        if entries is None:
            raise SparkRuntimeException(
                f"Batch {batch_id} of the file source log in {log.folder} does not exist"
            )
        return entries if compaction is None else [e for e in entries if e["batchId"] == batch_id]

    def _require_log(self) -> CompactibleFileStreamLog:
        if self._log is None:
            raise SparkRuntimeException("The file source was not attached to its checkpoint")
        return self._log

    def commit(self, end: Any) -> None:
        """``cleanSource``: delete or archive the files of log batch ``end`` once committed."""
        if self._options.clean_source == "off" or end is None:
            return
        for entry in self._log_batch(_log_offset(end)):
            if entry["batchId"] != _log_offset(end):
                continue
            path = local_path(entry["path"])
            if self._options.clean_source == "delete":
                path.unlink(missing_ok=True)
            elif path.exists():
                target = Path(f"{self._options.source_archive_dir}{path.absolute()}")
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)

    def stop(self) -> None:
        pass


def _log_offset(offset: Any) -> int:
    return -1 if offset is None else int(offset["logOffset"])


def conform(table: pa.Table, schema: T.StructType, fmt: str) -> pa.Table:
    """``table``'s columns in ``schema``'s order and types, matched by name case-insensitively
    (text: its one column); a column the files lack is NULL."""
    if fmt == "text":
        if len(schema) != 1:
            raise AnalysisException(
                "Text data source supports only a single column, and you have "
                f"{len(schema)} columns."
            )
        bad = schema.fields[0]
        if not isinstance(bad.dataType, T.StringType):
            raise AnalysisException(
                f"The Text datasource doesn't support the column `{bad.name}` of the type "
                f'"{bad.dataType.simpleString().upper()}".',
                "UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE",
            )
        return pa.table([table.column(0)], names=schema.names)
    index: dict[str, int] = {}
    for i, name in enumerate(table.column_names):
        index.setdefault(name.lower(), i)
    columns = []
    for field in schema:
        arrow_type = to_arrow(field.dataType)
        position = index.get(field.name.lower())
        column = (
            table.column(position) if position is not None else pa.nulls(len(table), arrow_type)
        )
        columns.append(column.cast(arrow_type))
    return pa.table(columns, names=schema.names)


def file_stream_source(
    executor: Executor,
    fmt: str,
    options: dict[str, str],
    schema: T.StructType | None,
    *,
    schema_inference: bool,
    compact_interval: int = 10,
) -> FileStreamSource:
    """Spark's ``DataSource.sourceSchema`` for files, then the source: the path must exist unless
    it is a glob; a schema is required (text has ``value string``) unless
    ``spark.sql.streaming.schemaInference`` is on; ``k=v`` directories found now become
    partition columns, after the data columns."""
    given = options.get("path")
    if given is None:
        raise IllegalArgumentException("'path' is not specified.")
    path = str(Path(given.removeprefix("file://").removeprefix("file:")).absolute())
    if not is_glob(path) and not Path(path).exists():
        raise AnalysisException(f"Path does not exist: {given}.", "PATH_NOT_FOUND")
    if schema is None and fmt != "text" and not schema_inference:
        raise IllegalArgumentException(SCHEMA_REQUIRED)
    partitioned = not is_glob(path) and options.get("recursivefilelookup", "false") != "true"
    existing = [local_path(f.uri) for f in list_files(path, None)] if partitioned else []
    partitions = partition_schema(Path(path), existing, schema) if existing else T.StructType()
    if schema is None and fmt == "text":
        schema = TEXT_SCHEMA
    elif schema is None:
        plan = file_scan(executor, fmt, [str(p) for p in existing] or path, options, None)
        schema = executor.schema(plan)
    names = {f.name.lower() for f in partitions}
    data = T.StructType([f for f in schema.fields if f.name.lower() not in names])
    spec = FileSourceSpec(fmt, path, options, data, partitions, compact_interval)
    return FileStreamSource(executor, spec)
