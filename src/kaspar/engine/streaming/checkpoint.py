"""A streaming query's checkpoint directory, in Spark's layout.

```
<checkpointLocation>/
  metadata            {"id":"<query id>"}
  offsets/<batch id>  v1 / {"batchWatermarkMs":..,"batchTimestampMs":..,"conf":{..}} / one
                      line per source: its end offset as JSON (written before the batch runs)
  commits/<batch id>  v1 / {"nextBatchWatermarkMs":..}  (written after the sink committed)
  state/<op>/0/       the state store of stateful operator <op> (see state_store.py)
  sources/<i>/0       v1 / source i's initial offset as JSON (resolved once, then reused)
```

``metadata`` and ``sources/<i>/0`` are written once, to a temporary name, fsynced and renamed
(then the directory fsynced), so a reader sees a whole file or none. The files written every
batch (``offsets``, ``commits``) go through ``durable_write``: written under their own name and
fsynced on a background thread; the micro-batch loop waits (``wait_durable``) before anything
depends on them. A crash can then leave the *latest* entry short (its batch had not reached the
sink, or had and is re-run idempotently): ``latest_offsets`` and ``latest_commit`` skip an entry
they cannot parse, and the batch writes it again.
"""

from __future__ import annotations

import json
import os
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaspar.engine.streaming.durable_write import (
    PendingSyncs,
    sync_directory,
    sync_now,
    write_after,
    write_durably,
)
from kaspar.errors import IllegalArgumentException

VERSION_LINE = "v1"


@dataclass(frozen=True)
class OffsetSeq:
    """One ``offsets/<batch id>`` entry: batch metadata and one end offset per source."""

    offsets: tuple[Any, ...]
    batch_timestamp_ms: int = 0
    batch_watermark_ms: int = 0
    conf: dict[str, str] = field(default_factory=dict)

    def format(self) -> str:
        metadata = {
            "batchWatermarkMs": self.batch_watermark_ms,
            "batchTimestampMs": self.batch_timestamp_ms,
            "conf": self.conf,
        }
        lines = [VERSION_LINE, _dumps(metadata), *(_dumps(o) for o in self.offsets)]
        return "\n".join(lines)

    @staticmethod
    def parse(text: str) -> OffsetSeq:
        _, metadata, *offsets = _versioned_lines(text)
        meta = json.loads(metadata)
        return OffsetSeq(
            offsets=tuple(json.loads(o) for o in offsets),
            batch_timestamp_ms=int(meta.get("batchTimestampMs", 0)),
            batch_watermark_ms=int(meta.get("batchWatermarkMs", 0)),
            conf=dict(meta.get("conf", {})),
        )


def format_commit(next_watermark_ms: int = 0) -> str:
    return f"{VERSION_LINE}\n{_dumps({'nextBatchWatermarkMs': next_watermark_ms})}"


def parse_commit(text: str) -> int:
    """The ``nextBatchWatermarkMs`` of a ``commits/<batch id>`` entry."""
    _, metadata = _versioned_lines(text)[:2]
    return int(json.loads(metadata).get("nextBatchWatermarkMs", 0))


class Checkpoint:
    """The files of one checkpoint location (created if missing)."""

    def __init__(self, location: str | os.PathLike[str]) -> None:
        self.root = Path(location)
        for sub in ("offsets", "commits", "sources"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.query_id = self._query_id()
        self._syncs = PendingSyncs()

    def _query_id(self) -> str:
        path = self.root / "metadata"
        if path.exists():
            return str(json.loads(path.read_text())["id"])
        query_id = str(uuid.uuid4())
        write_atomically(path, _dumps({"id": query_id}))
        return query_id

    def latest_offsets(self) -> tuple[int, OffsetSeq] | None:
        """The latest whole ``offsets`` entry (one a crash cut short is skipped)."""
        self.wait_durable()  # read this checkpoint's own writes
        for batch_id in _ids_descending(self.root / "offsets"):
            try:
                return batch_id, self.offsets(batch_id)
            except (IllegalArgumentException, ValueError):
                continue
        return None

    def offsets(self, batch_id: int) -> OffsetSeq:
        return OffsetSeq.parse((self.root / "offsets" / str(batch_id)).read_text())

    def write_offsets(self, batch_id: int, entry: OffsetSeq) -> None:
        """Write ``offsets/<batch_id>`` on a background thread; written and durable once
        ``wait_durable`` returns."""
        path = self.root / "offsets" / str(batch_id)
        self._syncs.add(write_durably(path, entry.format().encode()))

    def latest_commit(self) -> int | None:
        """The latest whole ``commits`` entry (one a crash cut short is skipped)."""
        self.wait_durable()
        for batch_id in _ids_descending(self.root / "commits"):
            try:
                self.commit_watermark(batch_id)
            except (IllegalArgumentException, ValueError):
                continue
            return batch_id
        return None

    def write_commit(
        self, batch_id: int, next_watermark_ms: int = 0, after: list[Future[None]] | None = None
    ) -> None:
        """Write ``commits/<batch_id>`` on a background thread once the writes ``after`` (the
        batch's state files) are on disk; written and durable once ``wait_durable`` returns."""
        path, data = self.root / "commits" / str(batch_id), format_commit(next_watermark_ms)
        self._syncs.add(write_after(after or [], path, data.encode()))

    def sync_latest(self) -> None:
        """On restart: fsync the latest entries, written by a run that may have died before
        their fsync (they are read back from the page cache, not necessarily from the disk)."""
        latest_offsets, latest_commit = self.latest_offsets(), self.latest_commit()
        if latest_offsets is not None:
            sync_now(self.root / "offsets" / str(latest_offsets[0]))
        if latest_commit is not None:
            sync_now(self.root / "commits" / str(latest_commit))

    def wait_durable(self) -> None:
        """Wait until every entry written so far is on disk (raises a failed fsync's error)."""
        self._syncs.wait()

    def commit_watermark(self, batch_id: int) -> int:
        """The ``nextBatchWatermarkMs`` that batch ``batch_id`` committed."""
        return parse_commit((self.root / "commits" / str(batch_id)).read_text())

    def initial_offset(self, source_index: int) -> Any | None:
        path = self.root / "sources" / str(source_index) / "0"
        if not path.exists():
            return None
        return json.loads(_versioned_lines(path.read_text())[1])

    def write_initial_offset(self, source_index: int, offset: Any) -> None:
        path = self.root / "sources" / str(source_index) / "0"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, f"{VERSION_LINE}\n{_dumps(offset)}")


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file, fsync it, rename it to ``path``, fsync the folder."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with temporary.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    temporary.replace(path)
    sync_directory(path.parent)


def _ids_descending(directory: Path) -> list[int]:
    return sorted((int(p.name) for p in directory.iterdir() if p.name.isdigit()), reverse=True)


def _versioned_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if not lines or lines[0] != VERSION_LINE or len(lines) < 2:
        raise IllegalArgumentException(
            f"Log file was malformed: expected a '{VERSION_LINE}' line and metadata, "
            f"got {text[:80]!r}"
        )
    return lines


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))
