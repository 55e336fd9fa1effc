"""Producer id allocation that never hands out the same id twice, across restarts.

Ids are reserved in blocks: the file ``producer-ids`` holds the first id not yet reserved.
Taking a block rewrites that file atomically before any id of the block is handed out, so a
crash can skip ids but never reuse one.
"""

from __future__ import annotations

from pathlib import Path

from kaspar.broker.topics import write_atomically

__all__ = ["ProducerIdAllocator"]

BLOCK_SIZE = 1000
MAX_EPOCH = 32767


class ProducerIdAllocator:
    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / "producer-ids"
        self._next = 0
        self._block_end = 0

    def _reserved(self) -> int:
        if self._path.exists():
            return int(self._path.read_text(encoding="utf-8").strip() or "0")
        return 0

    def next_id(self) -> int:
        if self._next >= self._block_end:
            start = max(self._reserved(), self._block_end)
            write_atomically(self._path, f"{start + BLOCK_SIZE}\n")
            self._next, self._block_end = start, start + BLOCK_SIZE
        producer_id = self._next
        self._next += 1
        return producer_id
