"""Real PySpark, with Spark's own Kafka connector, runs examples 1-5 against the kaspar broker.

Spark's connector (``spark-sql-kafka-0-10`` at the installed PySpark's version, with
kafka-clients, commons-pool2 and spark-token-provider-kafka) is fetched from the Maven registry
into the cache once (``tests/apache_kafka/maven.py``; ``$KASPAR_SPARK_SQL_KAFKA_JARS`` may name
a directory holding them instead) and handed to PySpark with ``spark.jars``. The Java Kafka
client then talks to a kaspar broker: metadata, ListOffsets, Fetch (readStream and
``spark.read``), Produce (Spark's Kafka sink): the strongest check of the broker's wire
compatibility.

``pipelines.py`` runs the examples' pipelines once on PySpark and once on kaspar, each against
a fresh kaspar broker; their results must be equal, and equal to what the example tests expect.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaspar.broker import Broker
from tests.apache_kafka.maven import Artifact, JarsUnavailableError, resolve
from tests.e2e.examples.test_sensor_temperatures import expected_windows
from tests.e2e.examples.test_word_count import expected_counts

pytestmark = [pytest.mark.pyspark_kafka, pytest.mark.timeout(600)]
ROOT = Path(__file__).resolve().parents[3]
JOB_TIMEOUT_S = 420


def spark_kafka_jars() -> Path:
    if shutil.which("java") is None:
        pytest.skip("PySpark needs Java 17 (java is not on PATH)")
    pyspark = pytest.importorskip("pyspark")
    connector = Artifact("org.apache.spark", "spark-sql-kafka-0-10_2.13", pyspark.__version__)
    try:
        return resolve("spark-sql-kafka", [connector])
    except JarsUnavailableError as e:
        pytest.skip(f"Spark's Kafka connector {connector}: {e}")


def run_pipelines(engine: str, out: Path, jars: Path | None) -> dict[str, Any]:
    """``pipelines.py`` on ``engine`` against a kaspar broker of its own."""
    with Broker(out / "broker", host="127.0.0.1", port=0) as broker:
        command = [
            sys.executable,
            "-m",
            "tests.conformance.pyspark_kafka.pipelines",
            "--engine",
            engine,
            "--bootstrap-servers",
            broker.bootstrap_servers,
            "--out",
            str(out / "pipelines"),
        ]
        if jars is not None:
            command += ["--jars", str(jars)]
        done = subprocess.run(
            command,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=JOB_TIMEOUT_S,
            check=False,
        )
    assert done.returncode == 0, (
        f"{engine} run failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    )
    results: dict[str, Any] = json.loads((out / "pipelines" / "results.json").read_text())
    return results


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    jars = spark_kafka_jars()
    yield {
        "pyspark": run_pipelines("pyspark", tmp_path_factory.mktemp("pyspark"), jars),
        "kaspar": run_pipelines("kaspar", tmp_path_factory.mktemp("kaspar"), None),
    }


def same_on_both(results: dict[str, dict[str, Any]], pipeline: str) -> dict[str, Any]:
    on_pyspark, on_kaspar = results["pyspark"][pipeline], results["kaspar"][pipeline]
    assert on_pyspark == on_kaspar
    return on_pyspark


def test_word_count(results: dict[str, dict[str, Any]]) -> None:
    found = same_on_both(results, "word_count")
    expected = expected_counts("lines.txt", "more_lines.txt")
    assert {r["word"]: r["count"] for r in found["counts"]} == expected
    # Spark's Kafka sink wrote every count to the kaspar broker; the last one per word is final
    assert {word: int(n) for word, n in found["kafka_sink"].items()} == expected


def test_trip_data(results: dict[str, dict[str, Any]]) -> None:
    found = same_on_both(results, "trip_data")
    assert found["batch"] == found["stream"]
    assert len(found["batch"]) == len(
        (ROOT / "examples" / "trip_data" / "trips.jsonl").read_text().splitlines()
    )


def test_order_totals(results: dict[str, dict[str, Any]]) -> None:
    from tests.e2e.examples.test_order_totals import expected_totals

    found = same_on_both(results, "order_totals")
    totals = {r["customerId"]: r["total"] for r in found["totals"]}
    assert totals == pytest.approx(expected_totals())
    assert all(amount > 100 for _, amount in found["large_orders"])


def test_events_table(results: dict[str, dict[str, Any]]) -> None:
    from tests.e2e.examples.test_events_table import bundled_events

    found = same_on_both(results, "events_table")
    rows = sorted((r["user_id"], r["event_type"], r["event_ts"]) for r in found["rows"])
    assert rows == bundled_events()


def test_sensor_temperatures(results: dict[str, dict[str, Any]]) -> None:
    found = same_on_both(results, "sensor_temperatures")
    written = Counter((r["window_end"], r["sensorId"]) for r in found["windows"])
    expected = expected_windows()
    assert set(written) == {(end.replace(tzinfo=None).isoformat(), s) for end, s in expected}
    assert max(written.values()) == 1  # each window written once
    assert sum(run["late rows dropped (one per window)"] for run in found["runs"]) == 2
