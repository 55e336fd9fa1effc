"""What a streaming file source sees in its directory (Spark's ``InMemoryFileIndex``).

* ``list_files``: the data files under a directory or glob, in modification-time order. Hidden
  names are skipped as Spark skips them: ``.x``, ``_x`` (but not ``_k=v`` directories), ``.crc``
  checksums and ``._COPYING_`` uploads. The output of a streaming file sink (a directory with a
  ``_spark_metadata`` log) is listed from that log, so a half-written batch is never read.
* ``partition_schema``: the columns of ``k=v`` directories, typed as Spark infers them (int,
  bigint, double, date, else string) unless the user's schema names them.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import glob
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa

from kaspar.engine import types as T
from kaspar.engine.streaming.compactible_log import file_uri, local_path
from kaspar.engine.streaming.sinks.file_sink_log import committed_entries
from kaspar.engine.type_conversion import to_arrow
from kaspar.errors import SparkRuntimeException

DEFAULT_PARTITION = "__HIVE_DEFAULT_PARTITION__"
_INT_BOUNDS = {"int": 2**31, "bigint": 2**63}


@dataclass(frozen=True)
class SourceFile:
    """A data file: its URI (as the source log records it), modification time (ms) and size."""

    uri: str
    timestamp: int
    size: int


def is_glob(path: str) -> bool:
    return any(c in path for c in "*?[{")


def hidden(name: str) -> bool:
    return (
        (name.startswith("_") and "=" not in name)
        or name.startswith(".")
        or name.endswith(("._COPYING_", ".crc"))
    )


def list_files(path: str, name_filter: str | None) -> list[SourceFile]:
    """Every data file under ``path`` (a directory or a glob), oldest first (ties by path)."""
    roots = sorted(glob.glob(path)) if is_glob(path) else [path]  # noqa: PTH207 (a user's glob)
    found: list[SourceFile] = []
    for root in map(Path, roots):
        if root.is_file():
            if not hidden(root.name):  # a glob may match hidden files: Spark skips them too
                found.append(_source_file(root))
            continue
        logged = None if is_glob(path) else committed_entries(root)
        if logged is not None:
            found += [SourceFile(e["path"], e["modificationTime"], e["size"]) for e in logged]
            continue
        found += [_source_file(f) for f in _walk(root)]
    if name_filter is not None:
        found = [f for f in found if fnmatch.fnmatchcase(local_path(f.uri).name, name_filter)]
    return sorted(found, key=lambda f: (f.timestamp, f.uri))


def _walk(root: Path) -> list[Path]:
    files = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not hidden(d))
        files += [Path(directory) / n for n in names if not hidden(n)]
    return files


def _source_file(path: Path) -> SourceFile:
    stat = path.stat()
    return SourceFile(file_uri(path), stat.st_mtime_ns // 1_000_000, stat.st_size)


def partition_values(base: Path, file: Path) -> dict[str, str | None]:
    """The ``k=v`` directories between ``base`` and ``file`` (values unescaped, the default
    partition as None); empty if a directory in between is not of that form."""
    try:
        parts = file.parent.relative_to(base).parts
    except ValueError:
        return {}
    values: dict[str, str | None] = {}
    for part in parts:
        name, sep, value = part.partition("=")
        if not sep or not name:
            return {}
        text = unquote(value)
        values[unquote(name)] = None if text == DEFAULT_PARTITION else text
    return values


def partition_schema(base: Path, files: list[Path], user: T.StructType | None) -> T.StructType:
    """The partition columns of ``files`` under ``base``: the first file's ``k=v`` names, typed
    from the user's schema when it has them, else inferred from every value seen."""
    found = [partition_values(base, f) for f in sorted(files)]
    names = list(next((v for v in found if v), {}))
    given = {f.name.lower(): f for f in (user.fields if user else [])}
    fields = []
    for name in names:
        values = [value for v in found if (value := v.get(name)) is not None]
        field = given.get(name.lower())
        if field is None:
            field = T.StructField(name, _infer(values), True)
        for value in values:
            partition_column(field, value, 1)  # raises INVALID_PARTITION_VALUE, as Spark does
        fields.append(field)
    return T.StructType(fields)


def _infer(values: list[str]) -> T.DataType:
    kinds = {_kind(v) for v in values}
    if not kinds or kinds == {"int"}:
        return T.IntegerType() if kinds else T.StringType()
    if kinds <= {"int", "bigint"}:
        return T.LongType()
    if kinds <= {"int", "bigint", "double"}:
        return T.DoubleType()
    if kinds == {"date"}:
        return T.DateType()
    return T.StringType()


def _kind(value: str) -> str:
    try:
        number = int(value)
        return next((k for k, bound in _INT_BOUNDS.items() if -bound <= number < bound), "string")
    except ValueError:
        pass
    try:
        float(value)
        return "double"
    except ValueError:
        pass
    try:
        dt.date.fromisoformat(value)
        return "date" if len(value) == len("yyyy-mm-dd") else "string"
    except ValueError:
        return "string"


def partition_column(field: T.StructField, value: str | None, rows: int) -> pa.Array:
    """``rows`` copies of one partition value, cast to the column's type."""
    arrow_type = to_arrow(field.dataType)
    if value is None:
        return pa.nulls(rows, arrow_type)
    try:
        typed = pa.array([value], pa.string()).cast(arrow_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise SparkRuntimeException(
            f"Failed to cast value '{value}' to data type \"{field.dataType.simpleString().upper()}"
            f'" for partition column `{field.name}`. Ensure the value matches the expected data '
            "type for this partition column.",
            "INVALID_PARTITION_VALUE",
        ) from None
    return pa.repeat(typed[0], rows)
