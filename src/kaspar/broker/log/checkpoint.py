"""The partition's persisted log start offset (`log-start-offset` file in its directory)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["LOG_START_OFFSET_FILE", "read_log_start_offset", "write_log_start_offset"]

LOG_START_OFFSET_FILE = "log-start-offset"


def read_log_start_offset(directory: Path) -> int:
    """The persisted log start offset, or 0 if the file is missing or unreadable."""
    try:
        return max(0, int((directory / LOG_START_OFFSET_FILE).read_text().strip()))
    except (OSError, ValueError):
        return 0


def write_log_start_offset(directory: Path, offset: int) -> None:
    """Atomically persist `offset`: write a temp file, fsync it, rename, fsync the directory."""
    tmp = directory / f"{LOG_START_OFFSET_FILE}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, f"{offset}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    tmp.replace(directory / LOG_START_OFFSET_FILE)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
