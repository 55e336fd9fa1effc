"""Inferred schemas of file reads, kept per process so that re-reading unchanged files does not
read them all again (Spark reads every record to infer a JSON or CSV schema on each read).

The key is everything the inference depends on: the format, the read's options and each data
file's ``(path, size, mtime_ns)``. The same files with the same options give the same schema, so
a hit returns what inferring again would; a file that changed (written again, appended to,
touched) changes the key and is inferred again. A file that cannot be stat'ed is never cached.
The cache holds at most ``MAX_ENTRIES`` schemas, the least recently used dropped first.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from kaspar.engine import types as T

MAX_ENTRIES = 256

Key = tuple[str, tuple[tuple[str, str], ...], tuple[tuple[str, int, int], ...]]

_cache: OrderedDict[Key, T.StructType] = OrderedDict()
_lock = threading.Lock()


def _key(fmt: str, paths: list[str], options: dict[str, str]) -> Key | None:
    files = []
    for path in paths:
        try:
            stat = Path(path).stat()
        except OSError:
            return None
        files.append((str(Path(path).absolute()), stat.st_size, stat.st_mtime_ns))
    opts = tuple(sorted((str(k).lower(), str(v)) for k, v in options.items()))
    return fmt, opts, tuple(files)


def inferred_schema(
    fmt: str, paths: list[str], options: dict[str, str], infer: Callable[[], T.StructType]
) -> T.StructType:
    """The schema ``infer()`` gives for ``paths`` read as ``fmt`` with ``options``, inferred only
    when the files or the options changed since the last inference (see the module docstring).
    """
    key = _key(fmt, paths, options)
    if key is not None:
        with _lock:
            found = _cache.get(key)
            if found is not None:
                _cache.move_to_end(key)
                return copy.deepcopy(found)  # StructType.add mutates: callers get their own
    schema = infer()
    if key is not None:
        with _lock:
            _cache[key] = copy.deepcopy(schema)
            _cache.move_to_end(key)
            while len(_cache) > MAX_ENTRIES:
                _cache.popitem(last=False)
    return schema


def clear() -> None:
    """Forget every cached schema."""
    with _lock:
        _cache.clear()
