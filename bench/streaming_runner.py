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

from bench.streaming_data import batch_size
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


@dataclass
class Run:
    bootstrap: str
    timeout_s: float
    repeats: int
    budget_s: float
    results: Results = field(default_factory=dict)

    def request_for(self, engine: str, query: str, data: Dataset) -> dict[str, Any]:
        if engine == "pyspark":
            source = {"kind": "files", "dir": str(data.chunks)}
        else:
            source = {"kind": "kafka", "bootstrap": self.bootstrap, "topic": data.topic}
            source["max_offsets"] = batch_size(data.n)
        if engine == "quix":
            return {"op": "run", "query": query, "bootstrap": self.bootstrap,
                    "topic": data.topic, "n": data.n, "timeout_s": self.timeout_s}  # fmt: skip
        return {"op": "run", "query": query, "source": source, "timeout_s": self.timeout_s}

    def ask(self, worker: Worker, query: str, data: Dataset) -> dict[str, Any]:
        message = self.request_for(worker.engine, query, data)
        return worker.request(self.timeout_s + 60, **message)

    def measure(self, workers: list[Worker], query: str, warm: Dataset, data: Dataset) -> None:
        """A warm-up run per engine on the small data set, then up to ``repeats`` rounds of one
        timed run per engine; an engine stops repeating once its runs pass the budget."""
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
        self.results[f"{query} @ {data.n}"] = {
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
    out["checksum"] = good[0]["checksum"]
    if len(good) < len(runs):
        out["failed_runs"] = [r for r in runs if "error" in r]
    return out


def compare_checksums(results: Results, reference: str = "pyspark") -> list[str]:
    """A warning per scenario where an engine's result differs from the reference engine's."""
    warnings = []
    for scenario, by_engine in results.items():
        sums = {e: m["checksum"] for e, m in by_engine.items() if "checksum" in m}
        if reference not in sums:
            continue
        for engine, summary in sums.items():
            agrees = checksums_agree(summary, sums[reference])
            by_engine[engine]["agrees"] = agrees
            if not agrees:
                warnings.append(f"{scenario}: {engine} {summary} vs {reference} {sums[reference]}")
    return warnings


def run_queries(run: Run, workers: list[Worker], warm: Dataset, data: Dataset) -> None:
    for query in QUERIES:
        started = time.perf_counter()
        run.measure(workers, query.name, warm, data)
        print(f"  {query.name} @ {data.n:,}: {time.perf_counter() - started:.0f} s", flush=True)
