"""Spark's compactible metadata log (``CompactibleFileStreamLog``): one file per batch, compacted.

The file source keeps the files of each of its log batches in one (under
``<checkpoint>/sources/<i>/``); the file sink keeps the files each batch committed in another
(``<output>/_spark_metadata/``). Both use Spark's layout, so either engine can read the other's:

```
<folder>/0 ... 8      v1 / one JSON object per line (one entry per file)
<folder>/9.compact    v1 / every live entry of batches 0..9
<folder>/10 ...
```

A batch whose id + 1 is a multiple of the compact interval is a compaction batch: its file holds
the entries of the previous compaction file, of the batches since and its own, so a reader needs
the latest compaction file and the batch files after it. Old batch files are kept.

A log file is written once: to a temporary name, fsynced, then hard-linked into place, which fails
if the file exists (another writer got there first) instead of replacing it; the folder is then
fsynced, so the new name survives a crash (the file sink's entry is its commit).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

from kaspar.engine.streaming.durable_write import sync_directory
from kaspar.errors import IllegalArgumentException, SparkRuntimeException

Entry = dict[str, Any]
VERSION = 1
COMPACT_SUFFIX = ".compact"
# java.net.URI leaves these unescaped in a path (Hadoop's Path.toUri); pathlib's as_uri escapes "=".
_URI_SAFE = "/=:@&+$,;!*'()~"


def file_uri(path: Path) -> str:
    """``file:///abs/path``, escaped as Hadoop's ``Path.toUri`` (``k=v`` kept, space: ``%20``)."""
    return "file://" + quote(str(path.absolute()), safe=_URI_SAFE)


def local_path(uri: str) -> Path:
    """The local path of a ``file:`` URI (or of a plain path)."""
    parsed = urlparse(uri)
    if parsed.scheme not in ("", "file"):
        raise IllegalArgumentException(f"Only local files are supported, got {uri}")
    return Path(unquote(parsed.path))


def is_compaction_batch(batch_id: int, interval: int) -> bool:
    return (batch_id + 1) % interval == 0


def derive_compact_interval(default: int, latest_compact_id: int) -> int:
    """Spark's rule for an existing log: an interval that divides ``latest_compact_id + 1``."""
    batches = latest_compact_id + 1
    if batches <= default or default >= batches // 2:
        return batches
    return next((i for i in range(default, batches // 2 + 1) if batches % i == 0), batches)


class CompactibleFileStreamLog:
    """The log in ``folder``; ``compact_logs`` drops obsolete entries when compacting."""

    def __init__(
        self,
        folder: Path,
        default_interval: int = 10,
        compact_logs: Callable[[list[Entry]], list[Entry]] = list,
    ) -> None:
        if default_interval <= 0:
            raise IllegalArgumentException(
                f"The compact interval must be positive, got {default_interval}"
            )
        self.folder = folder
        self._default_interval = default_interval
        self._compact_logs = compact_logs
        self._interval: int | None = None

    @property
    def compact_interval(self) -> int:
        """The configured interval, unless existing compaction files imply another (SPARK-18187)."""
        if self._interval is None:
            compacted = sorted(
                (int(p.name.removesuffix(COMPACT_SUFFIX)) for p in self._files() if _compact(p)),
                reverse=True,
            )
            interval = self._default_interval
            if len(compacted) >= 2:
                interval = compacted[0] - compacted[1]
            elif compacted:
                interval = derive_compact_interval(self._default_interval, compacted[0])
            self._interval = interval
        return self._interval

    def batch_path(self, batch_id: int) -> Path:
        suffix = COMPACT_SUFFIX if is_compaction_batch(batch_id, self.compact_interval) else ""
        return self.folder / f"{batch_id}{suffix}"

    def latest_batch_id(self) -> int | None:
        ids = [int(p.name.removesuffix(COMPACT_SUFFIX)) for p in self._files()]
        return max(ids) if ids else None

    def get(self, batch_id: int) -> list[Entry] | None:
        """The entries of batch ``batch_id``'s file (all entries so far for a compaction batch)."""
        path = self.batch_path(batch_id)
        if not path.exists():
            return None
        return parse_log_file(path.read_text(encoding="utf-8"), path)

    def add(self, batch_id: int, entries: list[Entry]) -> bool:
        """Write batch ``batch_id``; False if its file exists already."""
        if is_compaction_batch(batch_id, self.compact_interval):
            first = max(0, batch_id - self.compact_interval)
            entries = self._compact_logs([*self._entries(range(first, batch_id)), *entries])
        self.folder.mkdir(parents=True, exist_ok=True)
        return create_once(self.batch_path(batch_id), format_log_file(entries))

    def all_entries(self) -> list[Entry]:
        """Every live entry: the latest compaction file plus the batch files after it."""
        latest = self.latest_batch_id()
        if latest is None:
            return []
        interval = self.compact_interval
        first = max(0, (latest + 1) // interval * interval - 1)
        return self._compact_logs(self._entries(range(first, latest + 1)))

    def _entries(self, batch_ids: range) -> list[Entry]:
        out: list[Entry] = []
        for batch_id in batch_ids:
            entries = self.get(batch_id)
            if entries is None:
                raise SparkRuntimeException(
                    f"{self.batch_path(batch_id)} doesn't exist (compactInterval: "
                    f"{self.compact_interval})"
                )
            out.extend(entries)
        return out

    def _files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return [p for p in self.folder.iterdir() if p.name.removesuffix(COMPACT_SUFFIX).isdigit()]


def _compact(path: Path) -> bool:
    return path.name.endswith(COMPACT_SUFFIX)


def format_log_file(entries: list[Entry]) -> str:
    lines = [f"v{VERSION}", *(json.dumps(e, separators=(",", ":")) for e in entries)]
    return "\n".join(lines)


def parse_log_file(text: str, path: Path) -> list[Entry]:
    lines = text.split("\n")
    version = lines[0].strip()
    if not version.startswith("v") or not version[1:].isdigit():
        raise SparkRuntimeException(f"Log file was malformed: failed to read the version in {path}")
    if int(version[1:]) > VERSION:
        raise SparkRuntimeException(
            f"UnsupportedLogVersion: maximum supported log version is v{VERSION}, but "
            f"encountered {version}. The log file was produced by a newer version of Spark and "
            "cannot be read by this version. Please upgrade.",
            "INVALID_LOG_VERSION.EXACT_MATCH_VERSION",
        )
    return [json.loads(line) for line in lines[1:] if line.strip()]


def create_once(path: Path, text: str) -> bool:
    """Write ``text`` to a temporary file, fsync it, link it to ``path`` and fsync the folder;
    False if ``path`` exists."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        sync_directory(path.parent)
        return True
    finally:
        temporary.unlink(missing_ok=True)
