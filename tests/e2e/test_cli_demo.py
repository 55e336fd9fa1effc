"""`kaspar demo`, run as a real process: its summary against the data read back independently.

The demo keeps its broker's log and its Delta tables in `--data-dir`; once it has exited, the
test serves that log again with an in-process broker and reads every topic with confluent-kafka,
and the Delta tables with deltalake, and checks the summary's counts and totals against them.
"""

import json
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition
from deltalake import DeltaTable

from kaspar.broker import Broker

DEMO_TIMEOUT_S = 55


def read_topic(bootstrap: str, topic: str, partitions: int) -> list[bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "demo-test",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            "enable.partition.eof": True,
        }
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    values: list[bytes] = []
    at_end: set[int] = set()
    deadline = time.monotonic() + 20
    while len(at_end) < partitions and time.monotonic() < deadline:
        for message in consumer.consume(500, timeout=0.5):
            if message.error() is None:
                values.append(message.value())
            elif message.error().code() == -191:  # _PARTITION_EOF
                at_end.add(message.partition())
    consumer.close()
    assert len(at_end) == partitions, f"{topic}: not read to the end"
    return values


def demo_command(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "kaspar", "demo", "--data-dir", str(data_dir), *args]


def run_demo(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        demo_command(data_dir, *args),
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_S,
        check=False,
    )


@pytest.mark.timeout(90)
def test_demo_summary_matches_the_data_read_back(tmp_path: Path) -> None:
    data_dir = tmp_path / "demo"
    summary_path = tmp_path / "summary.json"
    result = run_demo(data_dir, "--duration", "20", "--summary-json", str(summary_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads(summary_path.read_text())

    with Broker(data_dir / "broker") as broker:
        topics = {
            name: read_topic(broker.bootstrap_servers, name, info["partitions"])
            for name, info in summary["topics"].items()
        }
    totals = DeltaTable(summary["tables"]["order_totals"]).to_pyarrow_table().to_pylist()
    windows = DeltaTable(summary["tables"]["sensor_averages"]).to_pyarrow_table().to_pylist()

    assert summary["ok"] is True
    assert all(check["ok"] for check in summary["checks"])
    for name, values in topics.items():
        assert summary["topics"][name]["records"] == len(values), name
    for name, produced in summary["produced"].items():
        assert produced == len(topics[name]) > 0, name
    expected: defaultdict[str, float] = defaultdict(float)
    for value in topics["orders"]:
        order = json.loads(value)
        expected[order["customerId"]] += order["amount"]
    assert {row["customerId"]: row["total"] for row in totals} == pytest.approx(expected)
    assert summary["order_totals"] == pytest.approx(expected)
    assert summary["sensor_windows"] == len(windows) > 0
    assert {w["sensorId"] for w in windows} == {"s1", "s2", "s3", "s4", "s5"}
    alerts = len(topics["negative-feedback"]) + len(topics["positive-feedback"])
    assert summary["notifications"] == alerts > 0
    assert summary["alerts"] == {
        "negative-feedback": len(topics["negative-feedback"]),
        "positive-feedback": len(topics["positive-feedback"]),
    }
    assert "lag" in result.stdout  # the plain progress lines (stdout is not a terminal)
    assert str(summary_path.parent) in summary["data_dir"]


def start_demo(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], Path, Path]:
    """The demo with `--duration 0` (until a signal), once its live view runs; its output files."""
    out, err = tmp_path / "demo.out", tmp_path / "demo.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            demo_command(tmp_path / "demo", "--duration", "0", *args),
            stdout=stdout,
            stderr=stderr,
            text=True,
        )
    deadline = time.monotonic() + 40
    while "lag" not in out.read_text():  # the first progress line
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the demo did not start:\n{out.read_text()}\n{err.read_text()}")
        time.sleep(0.1)
    return process, out, err


def wait_for_exit(process: subprocess.Popen[str], err: Path, timeout: float) -> int:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        pytest.fail(f"the demo did not stop:\n{err.read_text()}")


@pytest.mark.timeout(90)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_ends_the_demo_early_with_its_summary(tmp_path: Path, signum: int) -> None:
    summary_path = tmp_path / "summary.json"
    process, out, err = start_demo(tmp_path, "--summary-json", str(summary_path))
    process.send_signal(signum)
    exit_code = wait_for_exit(process, err, 45)

    assert exit_code == 0, out.read_text() + err.read_text()
    assert json.loads(summary_path.read_text())["ok"] is True
    assert "checks" in out.read_text()
    assert "Traceback" not in err.read_text()
    with Broker(tmp_path / "demo" / "broker"):  # the demo's broker released its data directory
        pass


def assert_stopped_at_once(process: subprocess.Popen[str], err: Path, data_dir: Path) -> None:
    """Exit code 130, no traceback, and the broker's data directory is free again."""
    assert wait_for_exit(process, err, 30) == 130, err.read_text()
    assert "Traceback" not in err.read_text()
    with Broker(data_dir / "broker"):
        pass


@pytest.mark.timeout(90)
def test_a_second_signal_stops_the_demo_at_once(tmp_path: Path) -> None:
    process, _, err = start_demo(tmp_path)
    process.send_signal(signal.SIGINT)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    assert_stopped_at_once(process, err, tmp_path / "demo")


@pytest.mark.timeout(60)
def test_a_signal_while_the_demo_starts_stops_it(tmp_path: Path) -> None:
    err = tmp_path / "demo.err"
    with err.open("w") as stderr:
        process = subprocess.Popen(
            demo_command(tmp_path / "demo", "--duration", "0"),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            text=True,
        )
    deadline = time.monotonic() + 40
    while "started the embedded kaspar platform" not in err.read_text():
        assert process.poll() is None and time.monotonic() < deadline, err.read_text()
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    assert_stopped_at_once(process, err, tmp_path / "demo")
