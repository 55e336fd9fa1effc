"""REST Proxy produce benchmark: records/s, latency, vs plain confluent-kafka.

    .venv/bin/python -m bench.rest_proxy [--records 200000] [--value-bytes 100]
        [--batch 1000] [--latency-requests 300] [--json-out PATH]

One run, one kaspar broker (a subprocess), one `kaspar rest` (a subprocess of its own, so the
HTTP client here does not share its interpreter). Steps:

1. plain: a confluent-kafka producer (acks=all, idempotent, as the proxy's) sends `--records`
   records and flushes; records/s. Then `--latency-requests` records one at a time, each
   flushed: the latency of one acknowledged record.
2. v2 batches: `POST /topics/{t}` with `--batch` records per request, requests one after another
   on one connection (the single-request form); records/s.
3. v3 streamed: one `POST /v3/clusters/{c}/topics/{t}/records` with `Transfer-Encoding:
   chunked`, records written as fast as the socket takes them while the answers are read; records/s
   and the latency of each record (its answer's arrival minus its send, at full load).
4. v3 single: `--latency-requests` requests of one record each, one after another; latency.
5. Every answer must say error_code 200 (else the run fails); print a table, write JSON with
   `--json-out`.
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
from confluent_kafka import Producer

from bench.launch import REPO_ROOT, free_port, running
from bench.workloads import create_topic, percentile

GOAL_RECORDS_PER_S = 50_000
# httpx writes a request's headers and body in two sends: without TCP_NODELAY, Nagle holds the
# body until the server's delayed ACK (40 ms), which would be measured as the proxy's latency.
NO_DELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def http_client(url: str) -> httpx.Client:
    return httpx.Client(
        base_url=url, timeout=60, transport=httpx.HTTPTransport(socket_options=NO_DELAY)
    )


@contextmanager
def rest_proxy(bootstrap_servers: str, work_dir: Path) -> Iterator[str]:
    """`kaspar rest` on a free port, as a subprocess; yields its URL."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT / "src"))
    command = [
        sys.executable,
        "-m",
        "kaspar",
        "rest",
        "-l",
        f"127.0.0.1:{port}",
        "-b",
        bootstrap_servers,
    ]
    with (work_dir / "rest.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/v3/clusters", timeout=5).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("kaspar rest did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def plain(
    bootstrap: str, topic: str, records: int, value: bytes, requests: int
) -> dict[str, float]:
    """Step 1."""
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "queue.buffering.max.messages": 1_000_000,
        }
    )
    failed = []

    def report(error: Any, _message: Any) -> None:
        if error is not None:
            failed.append(error)

    start = time.perf_counter()
    for _ in range(records):
        while True:
            try:
                producer.produce(topic, value, on_delivery=report)
                break
            except BufferError:
                producer.poll(0.01)
    producer.flush(120)
    seconds = time.perf_counter() - start
    latencies = []
    for _ in range(requests):
        sent = time.perf_counter()
        producer.produce(topic, value, on_delivery=report)
        producer.flush(30)
        latencies.append((time.perf_counter() - sent) * 1000)
    if failed:
        raise RuntimeError(f"plain producer: {len(failed)} failed, e.g. {failed[0]}")
    return {"records_per_s": records / seconds, **latency_summary(latencies)}


def latency_summary(latencies_ms: list[float]) -> dict[str, float]:
    ordered = sorted(latencies_ms)
    return {"p50_ms": percentile(ordered, 0.5), "p99_ms": percentile(ordered, 0.99)}


def v2_batches(url: str, topic: str, records: int, value: bytes, batch: int) -> dict[str, float]:
    """Step 2."""
    import base64

    body = json.dumps({"records": [{"value": base64.b64encode(value).decode()}] * batch})
    headers = {"content-type": "application/vnd.kafka.binary.v2+json"}
    sent = 0
    with http_client(url) as client:
        start = time.perf_counter()
        while sent < records:
            answer = client.post(f"/topics/{topic}", content=body, headers=headers)
            answer.raise_for_status()
            if any(o["error_code"] is not None for o in answer.json()["offsets"]):
                raise RuntimeError(f"v2 batch: a record failed: {answer.text[:300]}")
            sent += batch
        seconds = time.perf_counter() - start
    return {"records_per_s": sent / seconds}


def v3_single(url: str, cluster: str, topic: str, value: bytes, requests: int) -> dict[str, float]:
    """Step 4."""
    record = {"value": {"type": "STRING", "data": value.decode()}}
    latencies = []
    with http_client(url) as client:
        for _ in range(requests):
            sent = time.perf_counter()
            answer = client.post(f"/v3/clusters/{cluster}/topics/{topic}/records", json=record)
            latencies.append((time.perf_counter() - sent) * 1000)
            if answer.json().get("error_code") != 200:
                raise RuntimeError(f"v3 single: {answer.text[:300]}")
    return {"records_per_s": requests / (sum(latencies) / 1000), **latency_summary(latencies)}


async def _stream(url: str, path: str, records: int, value: bytes) -> dict[str, float]:
    """Step 3: a raw HTTP/1.1 chunked request, written and read at the same time."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    writer.write(head.encode())
    line = json.dumps({"value": {"type": "STRING", "data": value.decode()}}).encode() + b"\n"
    per_chunk = 200
    chunk = line * per_chunk
    framed = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
    send_times: list[float] = []
    answers: list[float] = []

    async def write() -> None:
        sent = 0
        while sent < records:
            writer.write(framed)
            send_times.append(time.perf_counter())
            sent += per_chunk
            await writer.drain()
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    async def read() -> None:
        await reader.readuntil(b"\r\n\r\n")  # status line and headers
        pending = b""
        while len(answers) < records:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            if size == 0:
                break
            data = pending + (await reader.readexactly(size + 2))[:-2]
            *lines, pending = data.split(b"\n")
            now = time.perf_counter()
            for answer in lines:
                if b'"error_code":200' not in answer:
                    raise RuntimeError(f"v3 streamed: {answer[:300]!r}")
                answers.append(now)

    start = time.perf_counter()
    await asyncio.gather(write(), read())
    seconds = time.perf_counter() - start
    writer.close()
    if len(answers) != records - records % per_chunk + (per_chunk if records % per_chunk else 0):
        raise RuntimeError(f"v3 streamed: {len(answers)} answers for {records} records")
    latencies = [
        (answers[i] - send_times[i // per_chunk]) * 1000 for i in range(0, len(answers), 97)
    ]
    return {"records_per_s": len(answers) / seconds, **latency_summary(latencies)}


def run(args: argparse.Namespace) -> dict[str, Any]:
    value = b"x" * args.value_bytes
    results: dict[str, Any] = {
        "records": args.records,
        "value_bytes": args.value_bytes,
        "load_average": os.getloadavg()[0],
    }
    with tempfile.TemporaryDirectory() as tmp, running("kaspar", Path(tmp)) as broker:
        bootstrap = broker.bootstrap_servers
        results["plain"] = plain(
            bootstrap, create_topic(bootstrap, 1), args.records, value, args.latency_requests
        )
        with rest_proxy(bootstrap, Path(tmp)) as url:
            cluster = httpx.get(f"{url}/v3/clusters").json()["data"][0]["cluster_id"]
            results["v2_batches"] = v2_batches(
                url, create_topic(bootstrap, 1), args.records, value, args.batch
            )
            path = f"/v3/clusters/{cluster}/topics/{create_topic(bootstrap, 1)}/records"
            results["v3_streamed"] = asyncio.run(_stream(url, path, args.records, value))
            results["v3_single"] = v3_single(
                url, cluster, create_topic(bootstrap, 1), value, args.latency_requests
            )
    results["load_average_after"] = os.getloadavg()[0]
    return results


def report(results: dict[str, Any]) -> None:
    plain_rate = results["plain"]["records_per_s"]
    print(f"{'scenario':<28}{'records/s':>12}{'vs plain':>10}{'p50 ms':>10}{'p99 ms':>10}")
    names = {
        "plain": "confluent-kafka producer",
        "v2_batches": "REST v2, batched requests",
        "v3_streamed": "REST v3, streamed",
        "v3_single": "REST v3, one record/request",
    }
    for key, name in names.items():
        row = results[key]
        p50 = f"{row['p50_ms']:.2f}" if "p50_ms" in row else "-"
        p99 = f"{row['p99_ms']:.2f}" if "p99_ms" in row else "-"
        ratio = row["records_per_s"] / plain_rate
        print(f"{name:<28}{row['records_per_s']:>12,.0f}{ratio:>9.2f}x{p50:>10}{p99:>10}")
    streamed = results["v3_streamed"]["records_per_s"]
    verdict = "met" if streamed >= GOAL_RECORDS_PER_S else "not met"
    print(f"goal: streamed REST produce >= {GOAL_RECORDS_PER_S:,} records/s: {verdict}")
    print(
        f"load average: {results['load_average']:.2f} before, "
        f"{results['load_average_after']:.2f} after (2 cores)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--value-bytes", type=int, default=100)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--latency-requests", type=int, default=300)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    results = run(args)
    report(results)
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
