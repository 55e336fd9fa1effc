"""examples/trip_data: the batch and the streaming Parquet output both hold every produced trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.e2e.examples.conftest import EXAMPLES


def bundled_trips() -> list[dict[str, object]]:
    trips = []
    for line in (EXAMPLES / "trip_data" / "trips.jsonl").read_text().splitlines():
        trip = json.loads(line)
        for field in ("lpep_pickup_datetime", "lpep_dropoff_datetime"):
            trip[field] = datetime.fromisoformat(trip[field])
        trips.append(trip)
    return sorted(trips, key=lambda trip: trip["lpep_pickup_datetime"])


def parquet_trips(directory: Path) -> list[dict[str, object]]:
    rows = [row["trip"] for row in pq.read_table(directory).to_pylist()]
    for trip in rows:
        for field in ("lpep_pickup_datetime", "lpep_dropoff_datetime"):
            trip[field] = trip[field].replace(tzinfo=None)
    return sorted(rows, key=lambda trip: trip["lpep_pickup_datetime"])


@pytest.mark.parametrize("given_kafka", [False, True], ids=["embedded", "given-kafka"])
def test_trip_data(
    run_example: Callable[..., str], bootstrap_servers: str, tmp_path: Path, given_kafka: bool
) -> None:
    args = ["--bootstrap-servers", bootstrap_servers] if given_kafka else []
    output = run_example("trip_data", *args, "--data-dir", str(tmp_path))

    trips = bundled_trips()
    assert parquet_trips(tmp_path / "batchtripdata") == trips
    assert parquet_trips(tmp_path / "streamingtripdata") == trips
    total = sum(trip["total_amount"] for trip in trips)
    assert output.count(f"{len(trips)} trips, total amount {total:.2f}") == 2
    assert f"Found 1 items in {tmp_path / 'streamingtripdata'}" in output
    assert (tmp_path / "broker").exists() is not given_kafka
