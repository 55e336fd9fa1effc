"""The file sink's manifest (Spark's ``FileStreamSinkLog``): ``<output>/_spark_metadata``.

Each batch of a streaming file sink lists the files it wrote in ``_spark_metadata/<batch id>``
(Spark's ``SinkFileStatus`` JSON, one object per file), compacted every
``spark.sql.streaming.fileSink.log.compactInterval`` batches. The log is the commit: a file
in the output directory that no log entry names (left by a batch that failed half-way) does not
exist for readers, which list the output through ``committed_files``.
"""

from __future__ import annotations

from pathlib import Path

from kaspar.engine.streaming.compactible_log import (
    CompactibleFileStreamLog,
    Entry,
    file_uri,
    local_path,
)

METADATA_DIR = "_spark_metadata"
DEFAULT_COMPACT_INTERVAL = 10
_BLOCK_SIZE = 32 * 1024 * 1024  # Hadoop's local file system default, as Spark logs it


def _drop_deleted(entries: list[Entry]) -> list[Entry]:
    deleted = {e["path"] for e in entries if e.get("action") == "delete"}
    return [e for e in entries if e["path"] not in deleted] if deleted else entries


def file_sink_log(
    output: Path, compact_interval: int = DEFAULT_COMPACT_INTERVAL
) -> CompactibleFileStreamLog:
    return CompactibleFileStreamLog(output / METADATA_DIR, compact_interval, _drop_deleted)


def sink_file_status(path: Path) -> Entry:
    """The manifest entry of a file the sink has written."""
    stat = path.stat()
    return {
        "path": file_uri(path),
        "size": stat.st_size,
        "isDir": False,
        "modificationTime": stat.st_mtime_ns // 1_000_000,
        "blockReplication": 1,
        "blockSize": _BLOCK_SIZE,
        "action": "add",
    }


def has_metadata(directory: Path) -> bool:
    return (directory / METADATA_DIR).is_dir()


def committed_entries(directory: Path) -> list[Entry] | None:
    """The live ``add`` entries of the sink log in ``directory``; None if it has no log."""
    if not has_metadata(directory):
        return None
    return [e for e in file_sink_log(directory).all_entries() if e.get("action") == "add"]


def committed_files(directory: Path) -> list[str] | None:
    """The local paths of the files a streaming file sink committed to ``directory`` (None if it
    is not a file sink's output), as Spark's ``MetadataLogFileIndex`` lists them."""
    entries = committed_entries(directory)
    if entries is None:
        return None
    return [str(local_path(e["path"])) for e in entries if not e.get("isDir")]
