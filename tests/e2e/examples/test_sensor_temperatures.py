"""examples/sensor_temperatures: windows closed by the watermark, with Python's own averages."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.e2e.examples.conftest import EXAMPLES

HERE = EXAMPLES / "sensor_temperatures"
WINDOW, SLIDE, DELAY = timedelta(minutes=1), timedelta(seconds=30), timedelta(minutes=1)
Window = tuple[datetime, str]  # (window end, sensor)


def readings(name: str) -> list[tuple[str, float, datetime]]:
    rows = [json.loads(line) for line in (HERE / name).read_text().splitlines()]
    return [(r["sensorId"], r["temperature"], datetime.fromisoformat(r["timestamp"])) for r in rows]


def expected_windows() -> dict[Window, tuple[float, int]]:
    """Sliding windows whose end the final watermark has passed; late readings left out."""
    first, more = readings("readings.jsonl"), readings("more_readings.jsonl")
    watermark_after_first = max(ts for *_, ts in first) - DELAY
    on_time = first + [r for r in more if r[2] >= watermark_after_first]
    assert len(on_time) == len(first) + len(more) - 1  # the one late reading
    watermark = max(ts for *_, ts in on_time) - DELAY
    temperatures: defaultdict[Window, list[float]] = defaultdict(list)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for sensor, temperature, ts in on_time:
        start = epoch + (ts - epoch) // SLIDE * SLIDE
        while start + WINDOW > ts:
            temperatures[(start + WINDOW, sensor)].append(temperature)
            start -= SLIDE
    return {
        key: (sum(values) / len(values), len(values))
        for key, values in temperatures.items()
        if key[0] <= watermark
    }


def parquet_windows(directory: Path) -> dict[Window, tuple[float, int]]:
    rows = pq.read_table(directory).to_pylist()
    windows = {
        (r["window_end"].replace(tzinfo=UTC), r["sensorId"]): (r["avg_temperature"], r["readings"])
        for r in rows
    }
    assert len(windows) == len(rows)  # each window written once
    return windows


@pytest.mark.parametrize("given_kafka", [False, True], ids=["embedded", "given-kafka"])
def test_sensor_temperatures(
    run_example: Callable[..., str], bootstrap_servers: str, tmp_path: Path, given_kafka: bool
) -> None:
    args = ["--bootstrap-servers", bootstrap_servers] if given_kafka else []
    output = run_example("sensor_temperatures", *args, "--data-dir", str(tmp_path))

    expected = expected_windows()
    written = parquet_windows(tmp_path / "sensor_averages")
    assert written.keys() == expected.keys()
    for key, (average, count) in expected.items():
        assert written[key] == (pytest.approx(average), count)
    assert "late rows dropped (one per window): 2" in output  # 09:01:15 is in two windows
    assert "watermark: 2024-03-01T09:04:50.000Z" in output
