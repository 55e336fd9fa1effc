"""Exceptions raised inside a scan that DuckDB runs, carried back to the caller unchanged.

A lazy source (the Kafka batch read) reads when DuckDB asks it for its Arrow stream, during a
query. DuckDB turns any Python exception raised there into its own ``InvalidInputException``,
keeping only the text. So the source keeps the exception here (``defer``) and raises one whose
text names it; ``translate_error`` finds the name in DuckDB's message (``recover``) and raises
the original: a ``SparkRuntimeException`` stays one, with its error class.
"""

from __future__ import annotations

import itertools
import re
import threading

_LOCK = threading.Lock()
_KEPT: dict[int, BaseException] = {}
_IDS = itertools.count(1)
_MARK = re.compile(r"\[kaspar-deferred-error (\d+)\]")
_MOST = 64  # kept at once; older ones are dropped (their query failed long ago)


class DeferredError(RuntimeError):
    """Raised inside the scan in place of ``error``; its text carries the key."""


def defer(error: BaseException) -> DeferredError:
    """Keep ``error``; the exception to raise in its place."""
    with _LOCK:
        key = next(_IDS)
        _KEPT[key] = error
        while len(_KEPT) > _MOST:
            del _KEPT[min(_KEPT)]
    return DeferredError(f"[kaspar-deferred-error {key}] {error}")


def recover(message: str) -> BaseException | None:
    """The exception a DuckDB error's ``message`` names, if any (taken: returned once)."""
    found = _MARK.search(message)
    if found is None:
        return None
    with _LOCK:
        return _KEPT.pop(int(found[1]), None)
