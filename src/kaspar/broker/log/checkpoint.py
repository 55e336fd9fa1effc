"""Offsets a partition persists in small files of its directory, each replaced atomically.

* ``log-start-offset``: the log start offset (after DeleteRecords or retention).
* ``cleaner-offset-checkpoint``: the offset up to which the log cleaner has cleaned.

Writing one: a temp file, fsync it, rename it over the old one, fsync the directory; a crash
leaves the old or the new value, whole.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "CLEANER_CHECKPOINT_FILE",
    "LOG_START_OFFSET_FILE",
    "fsync_directory",
    "read_log_start_offset",
    "read_offset_file",
    "write_log_start_offset",
    "write_offset_file",
]

LOG_START_OFFSET_FILE = "log-start-offset"
CLEANER_CHECKPOINT_FILE = "cleaner-offset-checkpoint"


def fsync_directory(directory: Path) -> None:
    """Make renames and new files in ``directory`` durable."""
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_offset_file(directory: Path, name: str) -> int:
    """The offset stored in ``directory/name``, or 0 if the file is missing or unreadable."""
    try:
        return max(0, int((directory / name).read_text().strip()))
    except (OSError, ValueError):
        return 0


def write_offset_file(directory: Path, name: str, offset: int) -> None:
    """Atomically replace ``directory/name`` with ``offset`` (see the module docstring)."""
    tmp = directory / f"{name}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, f"{offset}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(directory / name)
    fsync_directory(directory)


def read_log_start_offset(directory: Path) -> int:
    return read_offset_file(directory, LOG_START_OFFSET_FILE)


def write_log_start_offset(directory: Path, offset: int) -> None:
    write_offset_file(directory, LOG_START_OFFSET_FILE, offset)
