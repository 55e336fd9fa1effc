"""examples/client_snippets: the seed's clients on kaspar, and its shell commands as `kaspar` ones.

The group test checks what the seed says of consumer groups: the two members split the
partitions, and each order is received exactly once, by the member owning its partition.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port, wait_until_ready

SEED_ORDER = '{"item":"Widget","qty":3}'
MORE_ORDERS = [json.dumps({"item": f"Part-{n}", "qty": 1}) for n in range(2, 9)]
KAFKA_PYTHON_ORDER = '{"item":"Gadget","qty":1}'


def members(output: str) -> list[list[tuple[str, int]]]:
    """What each `consumer.py` received, from the example's output."""
    sections = re.split(
        r"\nconsumer\.py #\d \(group order-processor\), partitions \[\d*\]:\n", output
    )
    assert len(sections) == 3, output
    sections[2] = sections[2].split("\nkafka_python_snippets.py:")[0]
    return [
        [(value, int(p)) for value, p in re.findall(r"Received: (.*) from partition (\d+)", s)]
        for s in sections[1:]
    ]


def check_output(output: str) -> None:
    assert re.search(r"producer\.py: Delivered to orders \[\d\] at offset 0", output)
    first, second = members(output)
    values = sorted(v for v, _ in first + second)
    assert values == sorted([SEED_ORDER, *MORE_ORDERS])  # each order once, across the group
    assert len({p for _, p in first}) == len({p for _, p in second}) == 1
    assert {p for _, p in first}.isdisjoint({p for _, p in second})

    kafka_python = output.split("\nkafka_python_snippets.py:\n")[1]
    assert re.search(r"Delivered to orders \[\d\] at offset \d", kafka_python)
    read = re.findall(r"Received: (.*) from partition \d", kafka_python)
    assert sorted(read) == sorted([SEED_ORDER, *MORE_ORDERS, KAFKA_PYTHON_ORDER])


def test_client_snippets_embedded(run_example: Callable[..., str]) -> None:
    check_output(run_example("client_snippets"))


def kaspar(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kaspar", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@pytest.fixture
def kaspar_broker_process(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`kaspar broker` in the foreground, as the README replaces `docker compose up -d`."""
    bootstrap = f"127.0.0.1:{free_port()}"
    process = subprocess.Popen(
        [sys.executable, "-m", "kaspar", "broker", "--listen", bootstrap, "-d", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    try:
        wait_until_ready(bootstrap, process)
        yield process, bootstrap
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_readme_shell_commands(
    run_example: Callable[..., str],
    kaspar_broker_process: tuple[subprocess.Popen[bytes], str],
) -> None:
    """The README's `kaspar` commands for the seed's docker compose lines, around the snippets."""
    process, bootstrap = kaspar_broker_process
    kaspar("topic", "create", "orders", "--partitions", "2", "-b", bootstrap)
    check_output(run_example("client_snippets", "--bootstrap-servers", bootstrap))

    assert kaspar("topic", "list", "-b", bootstrap).stdout.split() == ["orders"]
    described = kaspar("group", "describe", "order-processor", "-b", bootstrap).stdout
    assert "orders" in described

    process.send_signal(signal.SIGTERM)  # `docker compose down`
    assert process.wait(timeout=30) == 0
