"""Sparse time index (`.timeindex`): 12-byte entries of timestamp int64 + relative offset int32.

Timestamps are strictly increasing: an entry (T, o) says batch o is the first batch of the
segment whose max timestamp reached T, so every earlier batch has a max timestamp < T.
"""

from __future__ import annotations

import struct
from bisect import bisect_right

from kaspar.broker.log.offset_index import IndexFile

__all__ = ["TimeIndex"]


class TimeIndex(IndexFile):
    """Maps max-timestamp-so-far to the base offset of the batch that reached it."""

    entry = struct.Struct(">qi")

    def maybe_append(self, timestamp: int, offset: int) -> None:
        """Append (timestamp, offset) if `timestamp` is above the last entry's."""
        if not self.keys or timestamp > self.keys[-1]:
            self._append(timestamp, offset - self.base_offset)

    @property
    def last_timestamp(self) -> int:
        return self.keys[-1] if self.keys else -1

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.values[-1] if self.values else self.base_offset

    def lookup(self, timestamp: int) -> int:
        """Base offset of a batch at or before the first batch with max timestamp >= ts."""
        i = bisect_right(self.keys, timestamp) - 1
        return self.base_offset + self.values[i] if i >= 0 else self.base_offset

    def load(self) -> bool:
        """Load entries from the file; False if the file is inconsistent."""
        entries = self.read_file()
        if entries is None:
            return False
        previous_ts, previous_rel = -(2**63), 0
        for timestamp, rel in entries:
            if timestamp <= previous_ts or rel < previous_rel:
                return False
            previous_ts, previous_rel = timestamp, rel
        self.keys = [k for k, _ in entries]
        self.values = [v for _, v in entries]
        return True
