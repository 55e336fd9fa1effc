"""Thousands of malformed frames: each closes only its own connection, memory stays flat."""

from __future__ import annotations

import random
import socket
import struct
import subprocess
import sys
from pathlib import Path

from confluent_kafka.admin import AdminClient

from tests.conftest import free_port, wait_until_ready

CONNECTIONS = 3000
ALLOWED_GROWTH_KB = 30 * 1024


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _garbage(rng: random.Random) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:  # a size far beyond socket.request.max.bytes
        return struct.pack(">i", rng.choice([2**31 - 1, 200_000_000, -1, 0]))
    if kind == 1:  # a plausible header with a garbage body
        body = struct.pack(">hhi", rng.randrange(70), rng.randrange(20), 1) + rng.randbytes(40)
        return struct.pack(">i", len(body)) + body
    if kind == 2:  # a frame promising 50 MB, then the connection drops
        return struct.pack(">i", 50_000_000) + rng.randbytes(1000)
    return rng.randbytes(rng.randrange(1, 300))


def _send_garbage(port: int, rng: random.Random) -> None:
    for _ in range(CONNECTIONS):
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            try:
                sock.sendall(_garbage(rng))
            except OSError:
                pass


def test_memory_stays_flat_under_malformed_frames(tmp_path: Path) -> None:
    port = free_port()
    with (tmp_path / "broker.log").open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kaspar",
                "broker",
                "--data-dir",
                str(tmp_path / "data"),
                "--listen",
                f"127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        bootstrap = f"127.0.0.1:{port}"
        wait_until_ready(bootstrap, process)
        rng = random.Random(7)
        _send_garbage(port, rng)  # warm-up: allocator and caches settle
        before = _rss_kb(process.pid)
        _send_garbage(port, rng)
        after = _rss_kb(process.pid)
        assert process.poll() is None, "the broker died"
        metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
        assert metadata.brokers, "the broker stopped answering"
        assert after - before < ALLOWED_GROWTH_KB, f"RSS grew from {before} kB to {after} kB"
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0
