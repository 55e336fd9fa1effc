"""Checkpoint files made durable off the batch's path: written and fsynced on a background thread.

Each file a batch writes (``offsets/<id>``, ``commits/<id>``, a state ``<v>.delta``) must reach
the disk, and an fsync costs a journal commit: 2-4 ms on a virtual disk, more than the rest of a
small batch; even creating a file can wait for the journal. So the batch's thread only hands
the bytes over, and a pool thread does:

1. **Write**: create or truncate the file under its final name and write its bytes (one
   ``os.write`` for a log entry; Parquet for a state delta).
2. **Sync**: ``fdatasync`` the file, then ``fsync`` its directory (the new name). Files written
   in parallel can share one journal commit.
3. **Wait** (``PendingSyncs.wait``, on the caller's side): the caller waits where its protocol
   needs the file on disk (``microbatch.py``: offsets before the sink, state before the
   commit), and the batch's own work overlaps the disk in between. A failed write or sync
   raises there. A write can also wait for others to be on disk first (``write_after``: the
   commit after the state files) without a thread waiting for them.

No temporary name and rename: that would cost a second journal commit. A crash between 1 and 2
can leave the file short or empty; only the file of a batch that did not complete can be in that
state (the steps above wait before anything depends on it), and readers treat a latest log entry
they cannot parse as never written (``checkpoint.py``), then write it again (1 truncates).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

_WORKERS = 4
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool  # noqa: PLW0603 - one pool per process, made on first use
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="checkpoint-fsync")
        return _pool


def write_durably(path: Path, data: bytes) -> Future[None]:
    """Steps 1 and 2 for ``data``, on a pool thread."""
    return _executor().submit(_write_and_sync, path, data)


def _write_and_sync(path: Path, data: bytes) -> None:
    _sync_and_close(_write(path, data), path.parent)


def _write(path: Path, data: bytes) -> int:
    """Step 1: the file created or truncated and ``data`` written; its descriptor, open."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_after(prerequisites: list[Future[None]], path: Path, data: bytes) -> Future[None]:
    """Steps 1 and 2 for ``data`` on a pool thread, once every prerequisite finished (and only
    if all succeeded: else the first failure is this write's too). No thread waits in the
    meantime: the last prerequisite to finish hands the write to the pool."""
    result: Future[None] = Future()
    remaining = [len(prerequisites)]
    lock = threading.Lock()

    def write() -> None:
        failure = next((f.exception() for f in prerequisites if f.exception()), None)
        try:
            if failure is not None:
                raise failure
            _write_and_sync(path, data)  # on this pool thread: no waiting
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits for it
            result.set_exception(error)
        else:
            result.set_result(None)

    def finished(_: Future[None]) -> None:
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            _executor().submit(write)

    for future in prerequisites:
        future.add_done_callback(finished)
    if not prerequisites:
        _executor().submit(write)
    return result


def write_parquet_durably(table: pa.Table, path: Path) -> Future[None]:
    """Steps 1 and 2 for a Parquet file, both on a background thread (Arrow data is
    immutable: the caller goes on while it is encoded and written)."""

    def write() -> None:
        pq.write_table(table, path)
        _sync_path(path)

    return _executor().submit(write)


def sync_later(path: Path) -> Future[None]:
    """Step 2 for a file already written (and closed) under ``path``."""
    return _executor().submit(_sync_path, path)


def sync_now(path: Path) -> None:
    """Step 2 on the caller's thread: ``fdatasync`` the file and ``fsync`` its directory."""
    _sync_path(path)


def _sync_path(path: Path) -> None:
    _sync_and_close(os.open(path, os.O_RDONLY), path.parent)


def _sync_and_close(fd: int, directory: Path) -> None:
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)
    sync_directory(directory)


def sync_directory(directory: Path) -> None:
    """``fsync`` a directory, so the names created or renamed in it survive a crash."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class PendingSyncs:
    """Step 3: the syncs started for one owner (a checkpoint, a state store), waited together."""

    def __init__(self) -> None:
        self._futures: list[Future[None]] = []
        self._lock = threading.Lock()

    def add(self, future: Future[None]) -> None:
        with self._lock:
            self._futures.append(future)

    def take(self) -> list[Future[None]]:
        """The syncs started so far, no longer this owner's to wait for."""
        with self._lock:
            futures, self._futures = self._futures, []
        return futures

    def wait(self) -> None:
        """Return once every sync started so far finished; raise the first one's error."""
        futures = self.take()
        error: BaseException | None = None
        for future in futures:
            failure = future.exception()
            if failure is not None and error is None:
                error = failure
        if error is not None:
            raise error
