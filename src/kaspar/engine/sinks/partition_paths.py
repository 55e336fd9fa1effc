"""Partition directories named as Spark names them (``ExternalCatalogUtils.escapePathName``).

DuckDB's ``COPY ... PARTITION_BY`` percent-encodes a value as a URL (``name=Hyukjin%20Kwon``);
Spark escapes only control characters and ``"#%'*/:=?\\{[]^`` (``name=Hyukjin Kwon``), so a
path a user builds from the value (``f"{d}/name=Hyukjin Kwon"``) finds the directory. After a
partitioned write the directories are renamed to Spark's form, merged into one written before.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote

_ESCAPED = {chr(c) for c in range(1, 0x20)} | set("\"#%'*/:=?\\\x7f{[]^")


def escape_path_name(value: str) -> str:
    return "".join(f"%{ord(ch):02X}" if ch in _ESCAPED else ch for ch in value)


def spark_partition_name(name: str) -> str:
    """``k=v`` as DuckDB wrote it, in Spark's escaping (names without ``=`` are kept)."""
    key, sep, value = name.partition("=")
    if not sep:
        return name
    return f"{escape_path_name(unquote(key))}={escape_path_name(unquote(value))}"


def _merge(source: Path, target: Path) -> None:
    """Move ``source``'s entries into the existing directory ``target``."""
    for entry in source.iterdir():
        destination = target / entry.name
        if entry.is_dir() and destination.is_dir():
            _merge(entry, destination)
        else:
            entry.replace(destination)
    source.rmdir()


def rename_partitions(root: Path, depth: int) -> None:
    """Rename the ``k=v`` directories of the ``depth`` partition levels under ``root``."""
    if depth == 0 or not root.is_dir():
        return
    for entry in sorted(root.iterdir()):
        if not entry.is_dir() or "=" not in entry.name:
            continue
        target = root / spark_partition_name(entry.name)
        if target != entry:
            if target.is_dir():
                _merge(entry, target)
            else:
                shutil.move(str(entry), str(target))
        rename_partitions(target, depth - 1)
