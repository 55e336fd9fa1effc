"""ksqlDB's behaviour as data: each case in `cases/*.json` runs its statements (reading from
the earliest offset), produces its inputs and expects exactly its outputs in the sink topics
(keys, values, timestamps, window starts). `{S}` / `{s}` are replaced by a name unique to the
run (upper / lower case)."""

from __future__ import annotations

import json
import struct
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.ksql.conftest import Ksql

CASES = [
    case
    for path in sorted((Path(__file__).parent / "cases").glob("*.json"))
    for case in json.loads(path.read_text())
]


def named(value: Any, stem: str) -> Any:
    """`value` with {S} and {s} replaced, in every string inside it."""
    if isinstance(value, str):
        return value.replace("{S}", stem.upper()).replace("{s}", stem.lower())
    if isinstance(value, list):
        return [named(v, stem) for v in value]
    if isinstance(value, dict):
        return {k: named(v, stem) for k, v in value.items()}
    return value


def expected_record(output: dict[str, Any]) -> tuple[bytes, Any, int]:
    key = output["key"].encode()
    if "window_start" in output:
        key += struct.pack(">q", output["window_start"])
    value = output["value"]
    return key, value.encode() if isinstance(value, str) else value, output["timestamp"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(ksql: Ksql, case: dict[str, Any]) -> None:
    case = named(case, f"Q{uuid.uuid4().hex[:6]}")
    ksql.run("".join(case["statements"]), **{"auto.offset.reset": "earliest"})
    for record in case["inputs"]:
        ksql.produce(record["topic"], [(record["key"], record["value"], record["timestamp"])])
    by_topic: dict[str, list[tuple[bytes, Any, int]]] = {}
    for output in case["outputs"]:
        by_topic.setdefault(output["topic"], []).append(expected_record(output))
    for topic, expected in by_topic.items():
        assert sorted(ksql.read(topic, len(expected)), key=str) == sorted(expected, key=str)
    ksql.run("TERMINATE ALL;")
