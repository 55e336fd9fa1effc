"""Schema registry benchmark: register and lookup requests/s, as serializers' cache misses.

    .venv/bin/python -m bench.registry [--schemas 300] [--lookups 20000] [--clients 16]
        [--json-out PATH]

One run, one kaspar broker (a subprocess), one `kaspar registry` (a subprocess of its own, so
the HTTP clients here do not share its interpreter). Steps:

1. register: `--schemas` distinct Avro schemas, one request after another on one connection
   (each written to `_schemas` and read back before it is answered); requests/s and latency.
2. lookup by schema: `POST /subjects/{s}` of registered schemas (what a serializer does on a
   cache miss with `auto.register.schemas=false`), `--clients` connections in parallel.
3. lookup by id: `GET /schemas/ids/{id}` (a deserializer's cache miss), same load.
4. re-register: `POST /subjects/{s}/versions` of an already registered schema (a serializer's
   cache miss with auto-registration: answered without a write), same load.
5. Every answer must be 200 (else the run fails); print a table, write JSON with `--json-out`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
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
        start = time.perf_counter()
        for index in range(schemas):
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
        "requests_per_s": schemas / seconds,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
    }


async def _load(url: str, requests: list[tuple[str, str, Any]], clients: int) -> dict[str, float]:
    """`requests` (method, path, json body) sent by `clients` connections in parallel."""
    transport = httpx.AsyncHTTPTransport(socket_options=NO_DELAY)
    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(
        base_url=url, timeout=60, transport=transport, limits=limits
    ) as client:
        queue = iter(requests)

        async def worker() -> None:
            for method, path, body in queue:
                answer = await client.request(method, path, json=body)
                if answer.status_code != 200:
                    raise RuntimeError(f"{path} answered {answer.status_code}: {answer.text}")

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        seconds = time.perf_counter() - start
    return {"requests_per_s": len(requests) / seconds}


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"schemas": args.schemas, "load_average": os.getloadavg()[0]}
    picks = [i % args.schemas for i in range(args.lookups)]
    by_schema = [("POST", f"/subjects/s{i}-value", {"schema": schema(i)}) for i in picks]
    by_id = [("GET", f"/schemas/ids/{i + 1}", None) for i in picks]
    again = [("POST", f"/subjects/s{i}-value/versions", {"schema": schema(i)}) for i in picks]
    with (
        tempfile.TemporaryDirectory() as tmp,
        running("kaspar", Path(tmp)) as broker,
        registry(broker.bootstrap_servers, Path(tmp)) as url,
    ):
        results["register"] = register(url, args.schemas)
        results["lookup_by_schema"] = asyncio.run(_load(url, by_schema, args.clients))
        results["lookup_by_id"] = asyncio.run(_load(url, by_id, args.clients))
        results["re_register"] = asyncio.run(_load(url, again, args.clients))
    results["load_average_after"] = os.getloadavg()[0]
    return results


def report(results: dict[str, Any]) -> None:
    print(f"{'scenario':<36}{'requests/s':>12}{'p50 ms':>10}{'p99 ms':>10}")
    names = {
        "register": "register (new schema, one client)",
        "lookup_by_schema": "lookup POST /subjects/{s}",
        "lookup_by_id": "lookup GET /schemas/ids/{id}",
        "re_register": "register an existing schema",
    }
    for key, name in names.items():
        row = results[key]
        p50 = f"{row['p50_ms']:.2f}" if "p50_ms" in row else "-"
        p99 = f"{row['p99_ms']:.2f}" if "p99_ms" in row else "-"
        print(f"{name:<36}{row['requests_per_s']:>12,.0f}{p50:>10}{p99:>10}")
    best = max(
        results["lookup_by_schema"]["requests_per_s"], results["lookup_by_id"]["requests_per_s"]
    )
    verdict = "met" if best >= GOAL_LOOKUPS_PER_S else "not met"
    print(f"goal: registry lookups >= {GOAL_LOOKUPS_PER_S:,}/s: {verdict}")
    print(
        f"load average: {results['load_average']:.2f} before, "
        f"{results['load_average_after']:.2f} after (2 cores)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=int, default=300)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    results = run(args)
    report(results)
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
