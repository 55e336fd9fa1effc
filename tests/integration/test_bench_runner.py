"""``python -m bench``: the suite runner, the generated RESULTS.md section and the plots.

The runner runs real subprocesses: the real compaction benchmark on 1 MB, and tiny stand-in
benchmark modules (written to ``tmp_path``) that write a canned broker result, fail, or run
past their time limit. The plot tests skip when matplotlib is not installed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from bench import __main__ as bench_main
from bench import suite_report, suite_runner
from bench.suite import Benchmark, Peer
from bench.suite_tables import tables

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
HAND_WRITTEN_TOP = "# Benchmark results\n\nThe intro paragraph.\n\n"
HAND_WRITTEN_BOTTOM = "## History\n\nA hand-written run, kept as it is.\n"

CANNED_BROKER = {
    "meta": {"benchmark": "broker"},
    "results": {
        "produce 100 B x 1 partition": {
            "kaspar": {"records_per_s": 300_000.0},
            "tansu": {"records_per_s": 150_000.0},
        },
        "consume 100 B x 1 partition": {
            "kaspar": {"records_per_s": 100_000.0},
            "tansu": {"records_per_s": 400_000.0},
        },
        "latency 100 B x 1 partition @ 10,000 records/s": {
            "kaspar": {"p50_ms": 4.0, "p99_ms": 8.0, "p999_ms": 12.0, "max_ms": 20.0},
            "tansu": {"p50_ms": 8.0, "p99_ms": 32.0, "p999_ms": 48.0, "max_ms": 50.0},
        },
    },
}

FAKE_BROKER_BENCH = f"""
import json, sys
args = sys.argv[1:]
assert args[args.index("--brokers") + 1] == "kaspar,tansu", args
print("pretending to measure", flush=True)
open(args[args.index("--json-out") + 1], "w").write(json.dumps({json.dumps(CANNED_BROKER)}))
"""


@pytest.fixture
def stand_ins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Benchmark modules importable by the runner's subprocesses."""
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / "fake_broker_bench.py").write_text(FAKE_BROKER_BENCH)
    (modules / "failing_bench.py").write_text("raise SystemExit('no broker here')\n")
    (modules / "sleepy_bench.py").write_text("import time\ntime.sleep(120)\n")
    monkeypatch.setenv("PYTHONPATH", str(modules))
    return modules


def run_tiny_suite(out_dir: Path) -> dict[str, Any]:
    benchmarks = [
        Benchmark(
            "broker", "Broker (canned)", "fake_broker_bench",
            peers=("tansu", "kafka"), engines_option="--brokers",
        ),
        Benchmark("compaction", "Compaction, 1 MB", "bench.compaction", quick_args=("--mb", "1")),
        Benchmark("failing", "Fails", "failing_bench"),
        Benchmark("sleepy", "Too slow", "sleepy_bench", quick_timeout_s=2.0),
    ]  # fmt: skip
    peers = {
        "tansu": Peer(True, "tansu (canned)"),
        "kafka": Peer(False, "Unknown host repo.maven.apache.org"),
    }
    console = Console(quiet=True)
    return suite_runner.run_suite(benchmarks, True, peers, out_dir, "python -m bench", console)


def test_runner_records_results_failures_and_timeouts(stand_ins: Path, tmp_path: Path) -> None:
    document = run_tiny_suite(tmp_path / "out")

    by_name = {b["name"]: b for b in document["benchmarks"]}
    assert {n: b["status"] for n, b in by_name.items()} == {
        "broker": "ok",
        "compaction": "ok",
        "failing": "failed",
        "sleepy": "timeout",
    }
    assert by_name["broker"]["engines"] == ["kaspar", "tansu"]
    assert by_name["broker"]["result"] == CANNED_BROKER
    assert by_name["compaction"]["result"]["results"]["mb_per_s"] > 0
    assert "no broker here" in by_name["failing"]["reason"]
    assert by_name["sleepy"]["reason"] == "timed out after 2 s"
    assert document["meta"]["quick"] is True
    assert len(document["meta"]["load_start"]) == 3
    assert document["peers"]["kafka"] == {
        "available": False,
        "detail": "Unknown host repo.maven.apache.org",
    }


def test_ratios_against_each_peer() -> None:
    record = {"name": "broker", "result": CANNED_BROKER}
    throughput, latency = tables(record)

    assert throughput.engines == ("kaspar", "tansu")
    produce, consume = throughput.rows
    assert throughput.ratio(produce, "tansu") == pytest.approx(2.0)
    assert throughput.ratio(consume, "tansu") == pytest.approx(0.25)
    assert latency.is_latency
    assert [latency.ratio(row, "tansu") for row in latency.rows] == pytest.approx(
        [0.5, 0.25, 0.25, 0.4]
    )


def write_hand_written(path: Path) -> None:
    path.write_text(HAND_WRITTEN_TOP + HAND_WRITTEN_BOTTOM)


def test_section_is_written_between_markers(stand_ins: Path, tmp_path: Path) -> None:
    document = run_tiny_suite(tmp_path / "out")
    results_md = tmp_path / "RESULTS.md"
    write_hand_written(results_md)

    suite_report.write_section(results_md, suite_report.render(document))
    suite_report.write_section(results_md, suite_report.render(document))  # replaced, not added

    text = results_md.read_text()
    assert text.startswith(HAND_WRITTEN_TOP + suite_report.BEGIN)
    assert text.endswith(suite_report.END + "\n\n" + HAND_WRITTEN_BOTTOM)
    assert text.count(suite_report.BEGIN) == 1
    assert "| produce 100 B x 1 partition | 300,000 | 150,000 | 2.00x |" in text
    assert "| consume 100 B x 1 partition | 100,000 | 400,000 | 0.25x |" in text
    assert "| latency 100 B x 1 partition @ 10,000 records/s | kaspar/tansu | 0.50x |" in text
    assert "Apache Kafka: skipped, not available: Unknown host repo.maven.apache.org" in text
    assert "Not measured: Apache Kafka (Unknown host repo.maven.apache.org)." in text
    assert "| sleepy | timeout: timed out after 2 s |" in text
    assert "`python -m bench.compaction --mb 1`" in text
    assert "**Quick mode" in text
    assert f"at commit {document['meta']['commit']}" in text


def test_report_and_plot_commands_from_saved_json(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="matplotlib is not installed: no plots to check")
    document = {
        "meta": {"command": "python -m bench --quick", "quick": True, "started": "2026-12-07"},
        "peers": {"tansu": {"available": True, "detail": "tansu"}},
        "benchmarks": [
            {
                "name": "broker",
                "title": "Broker",
                "status": "ok",
                "command": "python -m bench.broker --quick --brokers kaspar,tansu",
                "engines": ["kaspar", "tansu"],
                "peers": ["tansu"],
                "result": CANNED_BROKER,
            }
        ],
    }
    saved = tmp_path / "suite.json"
    saved.write_text(json.dumps(document))
    results_md, plots = tmp_path / "RESULTS.md", tmp_path / "plots"
    write_hand_written(results_md)

    assert bench_main.main(["plot", str(saved), "--plots-dir", str(plots)]) == 0
    drawn = sorted(p.name for p in plots.glob("*.png"))
    assert drawn == ["broker-latency.png", "broker-throughput.png", "ratios.png"]
    assert all((plots / name).read_bytes().startswith(PNG_MAGIC) for name in drawn)

    args = ["report", str(saved), "--results-md", str(results_md), "--plots-dir", str(plots)]
    assert bench_main.main(args) == 0
    text = results_md.read_text()
    assert "![broker-throughput](plots/broker-throughput.png)" in text
    assert "![broker-latency](plots/broker-latency.png)" in text


def test_missing_peers_are_skipped_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from bench import streaming, suite

    monkeypatch.setattr(shutil, "which", lambda _name: None)  # no java
    monkeypatch.setattr(streaming, "QUIX_VENV", tmp_path / "no-quix-venv")
    monkeypatch.delenv("KASPAR_BENCH_QUIX_PYTHON", raising=False)

    peers = suite.probe_peers({"pyspark", "duckdb", "quix", "kafka"})

    assert list(peers) == ["kafka", "pyspark", "duckdb", "quix"]
    assert not peers["pyspark"].available
    assert "java is not on PATH" in peers["pyspark"].describe()
    assert not peers["kafka"].available
    assert peers["kafka"].describe().startswith("not available: ")
    assert "java is not on PATH" in peers["kafka"].detail
    assert not peers["quix"].available
    assert "no Quix Streams virtualenv" in peers["quix"].detail
    assert peers["duckdb"].available

    engine = next(b for b in suite.BENCHMARKS if b.name == "engine")
    available = {name for name, peer in peers.items() if peer.available}
    assert engine.arguments(True, available)[-2:] == ["--engines", "kaspar,duckdb"]
