"""Which segments of a partition still need an fsync; shared between the event loop and flush.

The event loop marks segments dirty after each append; `flush` (any thread) takes the dirty
set and dups the file descriptors under the lock, then fsyncs without holding it, so an append
never waits for a disk flush and a segment deleted meanwhile cannot invalidate the fd.
"""

from __future__ import annotations

import os
import threading
import time

from kaspar.broker.log.errors import KafkaStorageError
from kaspar.broker.log.segment import Segment

__all__ = ["FlushState"]


class FlushState:
    """Dirty segments, unflushed message count, flushed offset and last flush time."""

    def __init__(self, log_end_offset: int) -> None:
        self._lock = threading.Lock()
        self._dirty: set[Segment] = set()
        self._pending_offset = log_end_offset
        self.unflushed_messages = 0
        self.flushed_offset = log_end_offset
        self.last_flush_ms = time.time_ns() // 1_000_000
        self._directory: str | None = None

    def directory_changed(self, directory: os.PathLike[str] | str) -> None:
        """A segment file was created: the next flush also fsyncs the partition directory."""
        with self._lock:
            self._directory = os.fspath(directory)

    def mark_dirty(self, segment: Segment, messages: int, log_end_offset: int) -> None:
        with self._lock:
            self._dirty.add(segment)
            self.unflushed_messages += messages
            self._pending_offset = log_end_offset

    def forget(self, segment: Segment) -> None:
        """Call before closing a segment so no flush dups its fd afterwards."""
        with self._lock:
            self._dirty.discard(segment)

    def flush(self, now_ms: int) -> None:
        with self._lock:
            fds = [os.dup(segment.fd) for segment in self._dirty]
            if self._directory is not None:
                fds.append(os.open(self._directory, os.O_RDONLY))
                self._directory = None
            self._dirty.clear()
            covered = self._pending_offset
            self.unflushed_messages = 0
        try:
            for fd in fds:
                os.fsync(fd)
        except OSError as exc:
            raise KafkaStorageError(f"fsync failed: {exc}") from exc
        finally:
            for fd in fds:
                os.close(fd)
        with self._lock:
            self.flushed_offset = max(self.flushed_offset, covered)
            self.last_flush_ms = now_ms
