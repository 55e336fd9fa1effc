"""Sparse offset index (`.index`): 8-byte entries of relative offset int32 + position int32.

Also holds `IndexFile`, the append-only file mechanics shared with the time index: entries are
kept in memory (two parallel lists) and each new entry is appended to the file with one
`os.write`; the file always holds exactly the entries (no preallocation).
"""

from __future__ import annotations

import os
import struct
from bisect import bisect_right
from pathlib import Path
from typing import ClassVar

__all__ = ["IndexFile", "OffsetIndex"]


class IndexFile:
    """An append-only file of fixed-size (key, value) entries mirrored in memory."""

    entry: ClassVar[struct.Struct]

    def __init__(self, path: Path, base_offset: int, max_entries: int) -> None:
        self.path = path
        self.base_offset = base_offset
        self.max_entries = max(1, max_entries)
        self.keys: list[int] = []
        self.values: list[int] = []
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def is_full(self) -> bool:
        return len(self.keys) >= self.max_entries

    def _append(self, key: int, value: int) -> None:
        os.write(self._fd, self.entry.pack(key, value))
        self.keys.append(key)
        self.values.append(value)

    def read_file(self) -> list[tuple[int, int]] | None:
        """Entries stored in the file, or None if its size is not a multiple of the entry."""
        size = os.fstat(self._fd).st_size
        if size % self.entry.size:
            return None
        data = os.pread(self._fd, size, 0)
        return list(self.entry.iter_unpack(data))

    def reset(self, entries: list[tuple[int, int]] | None = None) -> None:
        """Replace the file and memory contents with `entries` (default: none)."""
        entries = entries or []
        os.ftruncate(self._fd, 0)
        if entries:
            os.write(self._fd, b"".join(self.entry.pack(k, v) for k, v in entries))
        self.keys = [k for k, _ in entries]
        self.values = [v for _, v in entries]

    def flush(self) -> None:
        os.fsync(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def delete(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


class OffsetIndex(IndexFile):
    """Maps batch base offsets (relative to the segment) to their file positions."""

    entry = struct.Struct(">ii")

    def append(self, offset: int, position: int) -> None:
        self._append(offset - self.base_offset, position)

    def lookup(self, offset: int) -> tuple[int, int]:
        """(offset, position) of the last entry <= `offset`, else (base_offset, 0)."""
        i = bisect_right(self.keys, offset - self.base_offset) - 1
        if i < 0:
            return self.base_offset, 0
        return self.base_offset + self.keys[i], self.values[i]

    def floor_position(self, position: int, max_offset: int | None) -> int:
        """Largest indexed batch start <= `position` (whose offset <= `max_offset`), else 0."""
        i = bisect_right(self.values, position) - 1
        if max_offset is not None:
            i = min(i, bisect_right(self.keys, max_offset - self.base_offset) - 1)
        return self.values[i] if i >= 0 else 0

    @property
    def last_position(self) -> int:
        return self.values[-1] if self.values else 0

    def load(self, log_size: int) -> bool:
        """Load entries from the file; False if missing entries or inconsistent with the log."""
        entries = self.read_file()
        if entries is None or (log_size > 0 and (not entries or entries[0] != (0, 0))):
            return False
        previous = (-1, -1)
        for rel, position in entries:
            if rel <= previous[0] or position <= previous[1] or position >= log_size:
                return False
            previous = (rel, position)
        self.keys = [k for k, _ in entries]
        self.values = [v for _, v in entries]
        return True

    def truncate_to_position(self, position: int) -> None:
        """Drop entries pointing at or after `position`."""
        keep = bisect_right(self.values, position - 1)
        if keep < len(self.keys):
            self.reset(list(zip(self.keys[:keep], self.values[:keep], strict=True)))
