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

Every file is written to a temporary name, fsynced and renamed, so a reader sees a whole file
or none.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

    def _query_id(self) -> str:
        path = self.root / "metadata"
        if path.exists():
            return str(json.loads(path.read_text())["id"])
        query_id = str(uuid.uuid4())
        write_atomically(path, _dumps({"id": query_id}))
        return query_id

    def latest_offsets(self) -> tuple[int, OffsetSeq] | None:
        batch_id = _latest(self.root / "offsets")
        if batch_id is None:
            return None
        return batch_id, self.offsets(batch_id)

    def offsets(self, batch_id: int) -> OffsetSeq:
        return OffsetSeq.parse((self.root / "offsets" / str(batch_id)).read_text())

    def write_offsets(self, batch_id: int, entry: OffsetSeq) -> None:
        write_atomically(self.root / "offsets" / str(batch_id), entry.format())

    def latest_commit(self) -> int | None:
        return _latest(self.root / "commits")

    def write_commit(self, batch_id: int, next_watermark_ms: int = 0) -> None:
        write_atomically(self.root / "commits" / str(batch_id), format_commit(next_watermark_ms))

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
    """Write ``text`` to a temporary file, fsync it, then rename it to ``path``."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with temporary.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    temporary.replace(path)


def _latest(directory: Path) -> int | None:
    ids = [int(p.name) for p in directory.iterdir() if p.name.isdigit()]
    return max(ids) if ids else None


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
