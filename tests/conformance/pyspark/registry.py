"""Parity case registry: each case is ``f(spark, F, T)`` run on PySpark and on kaspar.

Kinds: ``rows`` (returns a DataFrame: schema + rows compared), ``show`` (prints; the captured
text is compared exactly), ``value`` (returns a plain Python value), ``error`` (must raise; the
exception class name and error class are compared).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Case = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class ParityCase:
    name: str
    fn: Case
    kind: str = "rows"
    ordered: bool = False


CASES: dict[str, ParityCase] = {}


def case(kind: str = "rows", ordered: bool = False) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        name = fn.__name__.removeprefix("case_")
        assert name not in CASES, name
        CASES[name] = ParityCase(name, fn, kind, ordered)
        return fn

    return register


def people(spark: Any) -> Any:
    return spark.createDataFrame(
        [
            (1, "Alice", 34, "eng", 120.5),
            (2, "Bob", 45, "eng", 99.0),
            (3, "Cara", None, "ops", 75.25),
            (4, "Dan", 23, "ops", None),
            (5, "Eve", 29, None, 88.0),
        ],
        "id int, name string, age int, dept string, score double",
    )


def depts(spark: Any) -> Any:
    return spark.createDataFrame(
        [("eng", "Engineering", 1), ("ops", "Operations", 2), ("hr", "People", 3)],
        "dept string, title string, floor int",
    )


def nested(spark: Any) -> Any:
    return spark.createDataFrame(
        [
            (1, [1, 2, 3], {"a": 1}, ("x", 10)),
            (2, [], {"b": 2}, ("y", 20)),
            (3, None, None, None),
        ],
        "id int, arr array<int>, m map<string,int>, st struct<name:string,n:int>",
    )
