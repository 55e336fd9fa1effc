"""examples/events_table: the Delta table holds every event, key and value fields flattened."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from deltalake import DeltaTable

from tests.e2e.examples.conftest import EXAMPLES


def bundled_events() -> list[tuple[str, str, str]]:
    lines = (EXAMPLES / "events_table" / "events.jsonl").read_text().splitlines()
    events = [json.loads(line) for line in lines]
    return sorted(
        (e["key"]["user_id"], e["value"]["event_type"], e["value"]["event_ts"]) for e in events
    )


def delta_rows(path: Path) -> list[dict[str, object]]:
    return DeltaTable(str(path)).to_pyarrow_table().to_pylist()


@pytest.mark.parametrize("given_kafka", [False, True], ids=["embedded", "given-kafka"])
def test_events_table(
    run_example: Callable[..., str], bootstrap_servers: str, tmp_path: Path, given_kafka: bool
) -> None:
    args = ["--bootstrap-servers", bootstrap_servers] if given_kafka else []
    output = run_example("events_table", *args, "--data-dir", str(tmp_path))

    warehouse = tmp_path / "spark-warehouse"
    rows = delta_rows(warehouse / "events_table")
    assert sorted((r["user_id"], r["event_type"], r["event_ts"]) for r in rows) == bundled_events()

    sql_rows = delta_rows(warehouse / "events_sql")
    parsed = [
        (e[0], e[1], datetime.fromisoformat(e[2]).isoformat(sep=" ")) for e in bundled_events()
    ]
    as_text = [
        (r["user_id"], r["event_type"], r["event_ts"].replace(tzinfo=None).isoformat(sep=" "))
        for r in sql_rows
    ]
    assert sorted(as_text) == parsed

    # the events arrive after the first trigger, so the next one, 10 s later, writes them
    triggers = re.findall(r"trigger at (\S+)Z: (\d+) rows", output)
    first, with_rows = triggers[0][0], next(t for t, n in triggers if int(n) == len(rows))
    waited = datetime.fromisoformat(with_rows) - datetime.fromisoformat(first)
    assert waited.total_seconds() >= 9.5
