"""Schema registry benchmark: register and lookup requests/s, as serializers' cache misses.

    .venv/bin/python -m bench.registry [--schemas 300] [--requests 50000] [--clients 16]
        [--runs 3] [--json-out PATH]

One kaspar broker and one `kaspar registry`, each a subprocess; the load comes from ApacheBench
(`ab`, C, one process), so the numbers are the server's: a Python HTTP client (httpx) tops out
at about 850 requests/s on this machine, far below what the registry serves. `ab -k` asks for
HTTP/1.0 keep-alive, which the services honour (`kaspar.service.http10_keep_alive`), so each
connection carries many requests, as a serializer's HTTP/1.1 client does. Steps:

1. register: `--schemas` distinct Avro schemas, one request after another on one connection
   (each written to `_schemas` and read back before it is answered); requests/s and latency,
   from the second on (the first waits for the registry's leader election).
2. For each lookup scenario, `ab -k -c CLIENTS -n REQUESTS` (keep-alive connections), `--runs`
   times, each run on another registered schema; the median run's requests/s, p50 and p99:
   * lookup by id: `GET /schemas/ids/{id}` (a deserializer's cache miss);
   * lookup by schema: `POST /subjects/{s}` (a serializer's cache miss with
     `auto.register.schemas=false`);
   * re-register: `POST /subjects/{s}/versions` of a registered schema (a serializer's cache
     miss with auto-registration: answered without a write);
   * latest: `GET /subjects/{s}/versions/latest` (`use.latest.version=true`).
3. Any failed or non-2xx answer fails the run. Print a table, write JSON with `--json-out`.

Without `ab` on PATH the lookups are not measured (the run says so): the Python client would
measure itself. No peer runs here: Confluent Schema Registry is a Java service installed from
Confluent's own package repositories, which this machine cannot reach, and Karapace is not
published on PyPI.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.launch import REPO_ROOT, free_port, running
from bench.workloads import percentile

GOAL_LOOKUPS_PER_S = 10_000
NO_DELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
SCENARIOS = {
    "lookup_by_id": "lookup GET /schemas/ids/{id}",
    "lookup_by_schema": "lookup POST /subjects/{s}",
    "re_register": "register an existing schema",
    "latest": "GET /subjects/{s}/versions/latest",
}


def schema(index: int) -> str:
    fields = [{"name": "id", "type": "long"}, {"name": f"f{index}", "type": "string"}]
    return json.dumps({"type": "record", "name": f"R{index}", "namespace": "b", "fields": fields})


@contextmanager
def registry(bootstrap_servers: str, work_dir: Path) -> Iterator[str]:
    """`kaspar registry` on a free port, as a subprocess; yields its URL."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "src"))
    command = [sys.executable, "-m", "kaspar", "registry", "-l", f"127.0.0.1:{port}"]
    command += ["-b", bootstrap_servers]
    with (work_dir / "registry.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/", timeout=5).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("kaspar registry did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def register(url: str, schemas: int) -> dict[str, float]:
    """Step 1."""
    transport = httpx.HTTPTransport(socket_options=NO_DELAY)
    latencies = []
    with httpx.Client(base_url=url, timeout=60, transport=transport) as client:
        client.post("/subjects/s0-value/versions", json={"schema": schema(0)}).raise_for_status()
        start = time.perf_counter()  # after the first: it waits for the leader election
        for index in range(1, schemas):
            sent = time.perf_counter()
            answer = client.post(
                f"/subjects/s{index}-value/versions", json={"schema": schema(index)}
            )
            latencies.append((time.perf_counter() - sent) * 1000)
            if answer.status_code != 200:
                raise RuntimeError(f"register answered {answer.status_code}: {answer.text}")
        seconds = time.perf_counter() - start
    latencies.sort()
    return {
        "requests_per_s": (schemas - 1) / seconds,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
    }


def ab(url: str, requests: int, clients: int, body: Path | None) -> dict[str, float]:
    """One `ab` run against `url` (POST `body` when given); requests/s, p50 and p99 in ms."""
    command = ["ab", "-q", "-k", "-c", str(clients), "-n", str(requests)]
    if body is not None:
        command += ["-p", str(body), "-T", CONTENT_TYPE]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    failed = int(_field(output, r"Failed requests:\s+(\d+)"))
    non_2xx = int(_field(output, r"Non-2xx responses:\s+(\d+)", "0"))
    if failed or non_2xx:
        raise RuntimeError(f"ab {url}: {failed} failed, {non_2xx} non-2xx answers")
    return {
        "requests_per_s": float(_field(output, r"Requests per second:\s+([\d.]+)")),
        "p50_ms": float(_field(output, r"\n\s+50%\s+(\d+)")),
        "p99_ms": float(_field(output, r"\n\s+99%\s+(\d+)")),
    }


def _field(output: str, pattern: str, default: str | None = None) -> str:
    found = re.search(pattern, output)
    if found is None:
        if default is not None:
            return default
        raise RuntimeError(f"ab printed no {pattern!r}:\n{output}")
    return found.group(1)


def lookups(url: str, args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    """Step 2: every scenario `--runs` times, each run on another schema; the median run."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in SCENARIOS}
    for run in range(args.runs):
        index = (run * 97) % args.schemas
        body = work_dir / f"body-{index}.json"
        body.write_text(json.dumps({"schema": schema(index)}))
        subject = f"{url}/subjects/s{index}-value"
        targets = {
            "lookup_by_id": (f"{url}/schemas/ids/{index + 1}", None),
            "lookup_by_schema": (subject, body),
            "re_register": (f"{subject}/versions", body),
            "latest": (f"{subject}/versions/latest", None),
        }
        for name, (target, payload) in targets.items():
            runs[name].append(ab(target, args.requests, args.clients, payload))
    results: dict[str, Any] = {}
    for name, measured in runs.items():
        median = statistics.median_low(r["requests_per_s"] for r in measured)
        row = next(r for r in measured if r["requests_per_s"] == median)
        results[name] = row | {"runs": [r["requests_per_s"] for r in measured]}
    return results


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "schemas": args.schemas,
        "requests": args.requests,
        "clients": args.clients,
        "load_average": os.getloadavg()[0],
        "load_generator": "ab" if shutil.which("ab") else None,
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        running("kaspar", Path(tmp)) as broker,
        registry(broker.bootstrap_servers, Path(tmp)) as url,
    ):
        results["register"] = register(url, args.schemas)
        if results["load_generator"]:
            results |= lookups(url, args, Path(tmp))
    results["load_average_after"] = os.getloadavg()[0]
    return results


def report(results: dict[str, Any]) -> None:
    print(f"{'scenario':<40}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}   runs")
    names = {"register": "register (new schema, one client)", **SCENARIOS}
    for key, name in names.items():
        row = results.get(key)
        if row is None:
            print(f"{name:<40}{'not measured: ab is not on PATH':>40}")
            continue
        runs = ", ".join(f"{r:,.0f}" for r in row.get("runs", []))
        print(
            f"{name:<40}{row['requests_per_s']:>12,.0f}{row['p50_ms']:>10.2f}"
            f"{row['p99_ms']:>10.2f}   {runs}"
        )
    if "lookup_by_id" in results:
        best = min(
            results["lookup_by_id"]["requests_per_s"], results["lookup_by_schema"]["requests_per_s"]
        )
        verdict = "met" if best >= GOAL_LOOKUPS_PER_S else "not met"
        print(f"goal: registry lookups >= {GOAL_LOOKUPS_PER_S:,}/s (both kinds): {verdict}")
    print(
        f"load average: {results['load_average']:.2f} before, "
        f"{results['load_average_after']:.2f} after (2 cores)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=int, default=300)
    parser.add_argument("--requests", type=int, default=50_000, help="per ab run")
    parser.add_argument("--clients", type=int, default=16, help="ab's concurrency (-c)")
    parser.add_argument("--runs", type=int, default=3, help="ab runs per scenario (median)")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    results = run(args)
    report(results)
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
