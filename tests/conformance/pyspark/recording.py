"""PySpark's recorded outcomes of the parity cases, so the suite runs without a JVM.

One JSON file per cases module in ``tests/fixtures/parity/``: ``{case name: outcome}``, the
outcome written as its Python ``repr`` (tuples, strings, numbers, ``datetime``, ``Decimal``,
``bytes``), read back by :func:`decode`. Re-record with ``python -m
tests.conformance.pyspark.record`` (see that module).
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
from pathlib import Path
from typing import Any

from tests.conformance.pyspark.registry import ParityCase

FIXTURES = Path(__file__).parents[2] / "fixtures" / "parity"

_NAMES = {"datetime": datetime, "Decimal": decimal.Decimal, "inf": math.inf}


def encode(outcome: Any) -> str:
    return repr(outcome)


def decode(text: str) -> Any:
    return eval(text, {"__builtins__": {}}, dict(_NAMES))  # our own recordings


def fixture_path(case: ParityCase) -> Path:
    return FIXTURES / f"{case.fn.__module__.rsplit('.', 1)[-1]}.json"


def load(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    recorded: dict[str, str] = json.loads(path.read_text())
    return recorded


def recorded_outcome(case: ParityCase) -> Any:
    """PySpark's outcome of ``case`` as recorded (``KeyError`` when it never was)."""
    return decode(_cache(fixture_path(case))[case.name])


_LOADED: dict[Path, dict[str, str]] = {}


def _cache(path: Path) -> dict[str, str]:
    if path not in _LOADED:
        _LOADED[path] = load(path)
    return _LOADED[path]


def save(path: Path, outcomes: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(outcomes, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
