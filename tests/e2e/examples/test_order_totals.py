"""examples/order_totals: Delta totals per customer, the MERGE upsert, and the version before it."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from deltalake import DeltaTable

from kaspar.cli.demo import order_events
from tests.e2e.examples.conftest import EXAMPLES

ORDERS = 40  # examples/order_totals/main.py produces this many of `kaspar demo`'s orders


def expected_totals() -> dict[str, float]:
    totals: defaultdict[str, float] = defaultdict(float)
    for customer, value in order_events(ORDERS):
        totals[customer] += json.loads(value)["amount"]
    return dict(totals)


def delta_totals(path: Path, version: int | None = None) -> dict[str, float]:
    rows = DeltaTable(str(path), version=version).to_pyarrow_table().to_pylist()
    return {row["customerId"]: row["total"] for row in rows}


@pytest.mark.parametrize("given_kafka", [False, True], ids=["embedded", "given-kafka"])
def test_order_totals(
    run_example: Callable[..., str], bootstrap_servers: str, tmp_path: Path, given_kafka: bool
) -> None:
    args = ["--bootstrap-servers", bootstrap_servers] if given_kafka else []
    output = run_example("order_totals", *args, "--data-dir", str(tmp_path))

    totals = expected_totals()
    lines = (EXAMPLES / "order_totals" / "updates.jsonl").read_text().splitlines()
    updates = {row["customerId"]: row["total"] for row in map(json.loads, lines)}
    table = tmp_path / "order_totals"
    merged = delta_totals(table)
    assert merged == pytest.approx(totals | updates)
    versions = DeltaTable(str(table)).history()
    assert versions[0]["operation"] == "MERGE"
    before_merge = versions[0]["version"] - 1
    assert delta_totals(table, before_merge) == pytest.approx(totals)
    assert f"time travel: versionAsOf {before_merge}" in output

    large = sum(json.loads(value)["amount"] > 100 for _, value in order_events(ORDERS))
    assert f"{large} orders above 100" in output
    assert "|json" in output and "Batch: 0" in output  # the console sink's table
