"""Result checksums for the benchmarks: (rows, sum of numbers with timestamps as epoch
seconds, total string characters). Standard library only: the Quix Streams worker imports it
from its own virtualenv."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def checksum(rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """(rows, sum of numbers with timestamps as epoch seconds, total string characters)."""
    numbers = 0.0
    chars = 0
    for row in rows:
        for value in row:
            if isinstance(value, str):
                chars += len(value)
            elif isinstance(value, datetime):
                numbers += value.timestamp()
            elif isinstance(value, date):
                numbers += value.toordinal()
            elif isinstance(value, int | float | Decimal):
                numbers += float(value)
    return {"rows": len(rows), "numbers": numbers, "chars": chars}


def checksums_agree(a: dict[str, Any], b: dict[str, Any], abs_tol: float = 1e-6) -> bool:
    return (
        a["rows"] == b["rows"]
        and a["chars"] == b["chars"]
        and math.isclose(a["numbers"], b["numbers"], rel_tol=1e-9, abs_tol=abs_tol)
    )
