"""The parent side of the streaming benchmark: one live worker process per engine, every wait
bounded, queries sent round-robin so load from elsewhere on the machine falls on every engine."""

from __future__ import annotations

import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.streaming_data import BATCHES, batch_size
from bench.streaming_queries import QUERIES, checksums_agree

REPO_ROOT = Path(__file__).resolve().parent.parent
MARKER = "@@bench "
READY_TIMEOUT_S = 120.0
Results = dict[str, dict[str, dict[str, Any]]]


def worker_env(with_src: bool) -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(REPO_ROOT / "src")] if with_src else []
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [*paths, str(REPO_ROOT), env.get("PYTHONPATH")])
    )
    env["TZ"] = "UTC"  # naive timestamps collect the same on every engine
    env["PYSPARK_PYTHON"] = sys.executable
    return env


class Worker:
    """One engine's worker process; ``request`` sends a JSON line and waits, bounded, for the
    marked reply. A worker that misses a deadline is killed and started again."""

    def __init__(self, engine: str, command: list[str], log: IO[str]) -> None:
        self.engine, self.command, self.log = engine, command, log
        self.error: str | None = None
        self.info: dict[str, Any] = {}
        self._start()

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            self.command,
            cwd=REPO_ROOT,
            env=worker_env(with_src=self.engine == "kaspar"),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc.stdout,), daemon=True).start()
        ready = self._wait(READY_TIMEOUT_S)
        self.error = ready.get("error")
        self.info = ready

    def _read(self, stdout: IO[str]) -> None:
        for line in stdout:
            if line.startswith(MARKER):
                self.replies.put(json.loads(line[len(MARKER) :]))
        self.replies.put(None)

    def _wait(self, timeout_s: float) -> dict[str, Any]:
        try:
            reply = self.replies.get(timeout=timeout_s)
        except queue.Empty:
            self.kill()
            self._start()
            return {"error": f"{self.engine} worker gave no answer in {timeout_s:.0f} s"}
        if reply is None:
            return {"error": f"{self.engine} worker exited ({self.proc.wait()})"}
        return reply

    def request(self, wait_s: float, **message: Any) -> dict[str, Any]:
        if self.error:
            return {"error": self.error}
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        return self._wait(wait_s)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass(frozen=True)
class Dataset:
    """One event set as each engine reads it."""

    n: int
    topic: str
    chunks: Path
    partitions: int = 2


@dataclass(frozen=True)
class Setup:
    """How a query runs: its sink, and the number of micro-batches it splits the input into
    (``maxOffsetsPerTrigger`` / ``maxFilesPerTrigger``; 1 means all of it in one batch)."""

    sink: str = "foreachBatch"
    batches: int = BATCHES

    def label(self, query: str, data: Dataset, default_partitions: bool) -> str:
        """``query @ n``, with the setup named when it is not the default one."""
        parts = []
        if self.sink != "foreachBatch":
            parts.append(f"-> {self.sink}")
        if not default_partitions:
            parts.append(f"{data.partitions} partition{'s' * (data.partitions != 1)}")
        if self.batches != BATCHES:
            parts.append(f"{self.batches} batch{'es' * (self.batches != 1)}")
        return f"{query}{' [' + ', '.join(parts) + ']' if parts else ''} @ {data.n}"


@dataclass
class Run:
    bootstrap: str
    timeout_s: float
    repeats: int
    budget_s: float
    results: Results = field(default_factory=dict)

    setup: Setup = field(default_factory=Setup)
    default_partitions: bool = True

    def request_for(self, engine: str, query: str, data: Dataset) -> dict[str, Any]:
        one_batch = self.setup.batches == 1
        if engine == "pyspark":
            source = {"kind": "files", "dir": str(data.chunks), "max_files": not one_batch}
        else:
            source = {"kind": "kafka", "bootstrap": self.bootstrap, "topic": data.topic}
            source["max_offsets"] = None if one_batch else batch_size(data.n)
        if engine == "quix":
            return {"op": "run", "query": query, "bootstrap": self.bootstrap,
                    "topic": data.topic, "n": data.n, "timeout_s": self.timeout_s}  # fmt: skip
        return {"op": "run", "query": query, "source": source, "timeout_s": self.timeout_s,
                "sink": self.setup.sink}  # fmt: skip

    def ask(self, worker: Worker, query: str, data: Dataset) -> dict[str, Any]:
        message = self.request_for(worker.engine, query, data)
        return worker.request(self.timeout_s + 60, **message)

    def measure(self, workers: list[Worker], query: str, warm: Dataset, data: Dataset) -> None:
        """A warm-up run per engine on the small data set, then up to ``repeats`` rounds of one
        timed run per engine; an engine stops repeating once its runs pass the budget."""
        if self.setup.sink != "foreachBatch":
            workers = [w for w in workers if w.engine != "quix"]  # Quix has no such sinks
        if self.setup.sink == "delta":
            workers = [w for w in workers if w.engine != "pyspark"]  # delta-spark: Maven only
        warmups = {w.engine: self.ask(w, query, warm) for w in workers}
        runs: dict[str, list[dict[str, Any]]] = {w.engine: [] for w in workers}
        for _ in range(self.repeats):
            for worker in workers:
                done = runs[worker.engine]
                if "error" in warmups[worker.engine] or (done and "error" in done[-1]):
                    continue
                if done and sum(r["seconds"] for r in done) >= self.budget_s:
                    continue
                done.append(self.ask(worker, query, data))
                print(f"    {query} {worker.engine}: {_brief(done[-1])}", flush=True)
        self.results[self.setup.label(query, data, self.default_partitions)] = {
            engine: summarize(warmups[engine], runs[engine], data.n) for engine in runs
        }


def _brief(reply: dict[str, Any]) -> str:
    if "error" in reply:
        return "error: " + reply["error"][:200]
    return f"{reply['seconds']:.2f} s"


def summarize(warmup: dict[str, Any], runs: list[dict[str, Any]], n: int) -> dict[str, Any]:
    good = [r for r in runs if "error" not in r]
    if "error" in warmup or not good:
        failed = warmup if "error" in warmup else next(iter(runs), {"error": "no timed run"})
        return {k: v for k, v in failed.items() if k in ("error", "traceback")}
    seconds = statistics.median(r["seconds"] for r in good)
    out = {"seconds": seconds, "events_per_s": n / seconds, "runs": good}
    peaks = [r["peak_rss_mb"] for r in good if r.get("peak_rss_mb")]
    if peaks:
        out["peak_rss_mb"] = max(peaks)
    stages = [r["stages_ms"] for r in good if r.get("stages_ms")]
    if stages:
        out["stages_ms"] = {k: statistics.median(s.get(k, 0) for s in stages) for k in stages[0]}
    out["checksum"] = good[0]["checksum"]
    if len(good) < len(runs):
        out["failed_runs"] = [r for r in runs if "error" in r]
    return out


def _without_sink(scenario: str) -> str:
    """The scenario with its sink left out: the reference for a sink a peer lacks (PySpark has
    no Delta sink here) is the same query over the same input into another sink."""
    name, _, rest = scenario.partition(" [")
    if not rest:
        return scenario
    inside, _, size = rest.partition("] @ ")
    kept = [p for p in inside.split(", ") if not p.startswith("-> ")]
    return f"{name}{' [' + ', '.join(kept) + ']' if kept else ''} @ {size}"


def compare_checksums(results: Results, reference: str = "pyspark") -> list[str]:
    """A warning per scenario where an engine's result differs from the reference engine's
    (in the same scenario, or else in the same query over the same input into another sink)."""
    warnings = []
    for scenario, by_engine in results.items():
        sums = {e: m["checksum"] for e, m in by_engine.items() if "checksum" in m}
        expected = sums.get(reference)
        if expected is None:  # the same query and input into another sink
            same = [s for s in results if _without_sink(s) == _without_sink(scenario)]
            found = [results[s][reference] for s in same if reference in results[s]]
            expected = next((f["checksum"] for f in found if "checksum" in f), None)
        if expected is None:
            continue
        for engine, summary in sums.items():
            agrees = checksums_agree(summary, expected)
            by_engine[engine]["agrees"] = agrees
            if not agrees:
                warnings.append(f"{scenario}: {engine} {summary} vs {reference} {expected}")
    return warnings


def run_queries(
    run: Run, workers: list[Worker], warm: Dataset, data: Dataset, names: list[str] | None = None
) -> None:
    for query in QUERIES:
        if names is not None and query.name not in names:
            continue
        if run.setup.sink == "delta" and query.output_mode == "update":
            continue  # the Delta sink takes append and complete only, as in Spark
        started = time.perf_counter()
        run.measure(workers, query.name, warm, data)
        print(f"  {query.name} @ {data.n:,}: {time.perf_counter() - started:.0f} s", flush=True)
