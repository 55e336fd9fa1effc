"""The files a batch read covers (Spark's ``InMemoryFileIndex`` and partition discovery).

1. Each path is a file, a directory or a glob (a glob's matches are files or directories).
2. A directory is listed recursively, hidden names (``_x``, ``.x``, ``.crc``) left out; with
   ``recursiveFileLookup`` every file found is read and no partitions are discovered. Otherwise
   the ``k=v`` directory names under the directory are its partition columns (typed as Spark
   infers them, or as the user's schema says), and when there are none only the files directly
   in the directory are read, as Spark does. A streaming file sink's output directory is read
   from its log (only the committed files).
3. The files are read largest first, as Spark orders a scan's files when it packs them into
   partitions (``FilePartition``), so rows come in the order Spark returns them.
4. ``pathGlobFilter`` keeps the files whose name matches it; ``modifiedBefore`` /
   ``modifiedAfter`` (``yyyy-MM-ddTHH:mm:ss``, session time zone taken as UTC) by modification
   time.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import glob
from dataclasses import dataclass, field
from pathlib import Path

from kaspar.engine import types as T
from kaspar.engine.streaming.sinks.file_sink_log import committed_files
from kaspar.engine.streaming.sources.file_listing import hidden, is_glob, partition_schema
from kaspar.errors import AnalysisException


@dataclass(frozen=True)
class FileListing:
    """The data files of a read, the directory their partitions are under, and the
    partition columns (empty when there are none)."""

    files: list[str]
    base: str | None = None
    partitions: T.StructType = field(default_factory=T.StructType)


def _walk(root: Path) -> list[Path]:
    found = []
    for entry in sorted(root.iterdir()):
        if hidden(entry.name):
            continue
        if entry.is_dir():
            found += _walk(entry)
        elif entry.is_file():
            found.append(entry)
    return found


def _directory(root: Path, recursive: bool, schema: T.StructType | None) -> FileListing:
    logged = committed_files(root)
    files = _walk(root) if logged is None else [Path(f) for f in logged]
    if recursive:
        return FileListing([str(f) for f in files])
    partitioned = [f for f in files if any("=" in p for p in f.relative_to(root).parts[:-1])]
    partitions = partition_schema(root, partitioned, schema) if partitioned else T.StructType()
    if not partitions.fields:
        return FileListing([str(f) for f in files if logged is not None or f.parent == root])
    return FileListing([str(f) for f in files], str(root), partitions)


def _timestamp(options: dict[str, str], key: str) -> float | None:
    text = options.get(key)
    if text is None:
        return None
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


def _keep(files: list[str], options: dict[str, str]) -> list[str]:
    pattern = options.get("pathglobfilter")
    if pattern is not None:
        files = [f for f in files if fnmatch.fnmatchcase(Path(f).name, pattern)]
    before, after = _timestamp(options, "modifiedbefore"), _timestamp(options, "modifiedafter")
    if before is not None:
        files = [f for f in files if Path(f).stat().st_mtime < before]
    if after is not None:
        files = [f for f in files if Path(f).stat().st_mtime > after]
    return files


def list_data(
    path: str | list[str], options: dict[str, str] | None = None, schema: T.StructType | None = None
) -> FileListing:
    """The files of ``path`` (see the module docstring); raises Spark's errors when a path
    does not exist or a directory holds no data file and no schema was given."""
    options = options or {}
    recursive = options.get("recursivefilelookup", "false").lower() == "true"
    listings: list[FileListing] = []
    for given in [path] if isinstance(path, str) else list(path):
        p = given.removeprefix("file://").removeprefix("file:")
        roots = sorted(glob.glob(p)) if is_glob(p) else [p]  # noqa: PTH207 (a user's glob)
        if not roots or not Path(roots[0]).exists():
            raise AnalysisException(f"Path does not exist: file:{p}.", "PATH_NOT_FOUND")
        for root in map(Path, roots):
            if root.is_dir():
                listings.append(_directory(root, recursive, schema))
            elif not (is_glob(p) and hidden(root.name)):
                listings.append(FileListing([str(root)]))
    files = _keep([f for listing in listings for f in listing.files], options)
    # Spark packs a scan's files into partitions largest first, so rows come in that order
    files.sort(key=lambda f: -Path(f).stat().st_size)
    if not files and schema is None:
        raise AnalysisException(
            f"Unable to infer schema: no data files in {path}.", "UNABLE_TO_INFER_SCHEMA"
        )
    partitioned = next((listing for listing in listings if listing.partitions.fields), None)
    if partitioned is None or len(listings) > 1:
        return FileListing(files)
    return FileListing(files, partitioned.base, partitioned.partitions)


def data_paths(path: str | list[str], options: dict[str, str] | None = None) -> list[str]:
    """The data files of ``path`` (``list_data``'s files)."""
    return list_data(path, options).files
