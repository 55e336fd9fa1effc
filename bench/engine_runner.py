"""The parent side of the engine benchmark: one live worker process per engine, requests sent
round-robin so every engine runs each query under the same machine load."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from bench.engine_queries import QUERIES
from bench.engine_worker import MARKER, OVERHEAD_COUNT, OVERHEAD_NEW_QUERY

REPO_ROOT = Path(__file__).resolve().parent.parent
Results = dict[str, dict[str, dict[str, Any]]]
OVERHEADS = (OVERHEAD_COUNT, OVERHEAD_NEW_QUERY)


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(REPO_ROOT / "src"), str(REPO_ROOT), env.get("PYTHONPATH")]
    env["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    env["TZ"] = "UTC"  # naive timestamps collect the same on every engine
    env["PYSPARK_PYTHON"] = sys.executable
    return env


class Worker:
    """One engine's `bench.engine_worker` process; `request` sends a JSON line, reads the reply."""

    def __init__(self, engine: str, log: IO[str]) -> None:
        self.engine = engine
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.engine_worker", "--engine", engine],
            cwd=REPO_ROOT,
            env=worker_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        self.error: str | None = None
        with suppress(RuntimeError):  # on failure self.error says why; requests answer with it
            self.read_reply()  # "ready": the session is up

    def read_reply(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(MARKER):
                return dict(json.loads(line[len(MARKER) :]))
        self.error = f"{self.engine} worker exited ({self.proc.wait()})"
        raise RuntimeError(self.error)

    def request(self, **message: Any) -> dict[str, Any]:
        if self.error:
            return {"error": self.error}
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        try:
            return self.read_reply()
        except RuntimeError as exc:
            return {"error": str(exc)}

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@contextmanager
def workers(engines: list[str], log_dir: Path) -> Iterator[list[Worker]]:
    with ExitStack() as stack:
        started = []
        for engine in engines:
            log = stack.enter_context((log_dir / f"{engine}.log").open("w"))
            worker = Worker(engine, log)
            stack.callback(worker.close)
            started.append(worker)
        yield started


def measure(
    running: list[Worker], query: str, n: int, path: Path, repeats: int, budget_s: float
) -> dict[str, dict[str, Any]]:
    """A warm-up run per engine (its result is the checksum), then up to `repeats` rounds of
    one timed run per engine; an engine stops once its warm-up plus runs pass the budget."""
    warm = {w.engine: w.request(op="query", query=query, path=str(path)) for w in running}
    runs: dict[str, list[float]] = {w.engine: [] for w in running}
    for _ in range(repeats):
        for worker in running:
            done, first = runs[worker.engine], warm[worker.engine]
            if "error" in first or (done and first["seconds"] + sum(done) >= budget_s):
                continue
            reply = worker.request(op="query", query=query, path=str(path))
            if "seconds" in reply:
                done.append(reply["seconds"])
    out: dict[str, dict[str, Any]] = {}
    for engine, first in warm.items():
        if "error" in first or not runs[engine]:
            out[engine] = {"error": first.get("error", "no timed run")}
            continue
        seconds = statistics.median(runs[engine])
        out[engine] = {
            "seconds": seconds,
            "events_per_s": n / seconds,
            "warmup_s": first["seconds"],
            "runs": runs[engine],
            "checksum": first["checksum"],
        }
    return out


def run_all(
    engines: list[str], files: dict[int, Path], repeats: int, budget_s: float, log_dir: Path
) -> Results:
    results: Results = {}
    with workers(engines, log_dir) as running:
        for n, path in files.items():
            for query in QUERIES:
                started = time.perf_counter()
                measured = measure(running, query.name, n, path, repeats, budget_s)
                results[f"{query.name} @ {n}"] = measured
                print(f"  {query.name} @ {n:,}: {time.perf_counter() - started:.0f} s", flush=True)
        for worker in running:
            overhead = worker.request(op="overhead")
            for probe in OVERHEADS:
                value = overhead.get(probe)
                metrics = {"median_ms": value} if value else {"error": overhead.get("error")}
                results.setdefault(probe, {})[worker.engine] = metrics
    return results
