"""`kaspar group list|describe|reset-offsets`, run as a real process against a kaspar broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from kaspar.broker import Broker

TOPIC = "clicks"
GROUP = "cli-group"


def kaspar(bootstrap: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KASPAR_BOOTSTRAP_SERVERS": bootstrap, "COLUMNS": "250"}
    return subprocess.run(
        [sys.executable, "-m", "kaspar", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def rows(output: str) -> list[list[str]]:
    """The cells of every body row of the rich tables in ``output``."""
    return [
        [cell.strip() for cell in line.strip("│ ").split("│")]
        for line in output.splitlines()
        if line.startswith("│")
    ]


def offsets(bootstrap: str) -> dict[int, tuple[str, str, str]]:
    """partition -> (current offset, log end offset, lag) from `kaspar group describe`."""
    result = kaspar(bootstrap, "group", "describe", GROUP)
    assert result.returncode == 0, result.stderr
    return {int(r[1]): (r[2], r[3], r[4]) for r in rows(result.stdout) if r[0] == TOPIC}


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    broker = Broker(tmp_path, config={"group.initial.rebalance.delay.ms": "0"}).start()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap_servers})
    admin.create_topics([NewTopic(TOPIC, 2, 1)])[TOPIC].result(timeout=15)
    producer = Producer({"bootstrap.servers": broker.bootstrap_servers})
    for i in range(16):
        producer.produce(TOPIC, b"%d" % i, partition=0 if i < 10 else 1)
    assert producer.flush(15) == 0
    yield broker
    broker.stop()


@pytest.fixture
def member(broker: Broker) -> Iterator[Consumer]:
    """A live group member that consumed everything and committed offsets 4 and 6."""
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "group.id": GROUP,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([TOPIC])
    deadline = time.monotonic() + 30
    consumed = 0
    while consumed < 16:
        assert time.monotonic() < deadline
        message = consumer.poll(0.2)
        consumed += message is not None and message.error() is None
    committed = [TopicPartition(TOPIC, 0, 4), TopicPartition(TOPIC, 1, 6)]
    consumer.commit(offsets=committed, asynchronous=False)
    yield consumer
    consumer.close()


def test_list_and_describe_show_members_offsets_and_lag(broker: Broker, member: Consumer) -> None:
    bootstrap = broker.bootstrap_servers
    listed = kaspar(bootstrap, "group", "list")
    assert listed.returncode == 0, listed.stderr
    assert [GROUP, "STABLE", "consumer"] in rows(listed.stdout)

    described = kaspar(bootstrap, "group", "describe", GROUP)

    assert described.returncode == 0, described.stderr
    assert "state: STABLE" in described.stdout
    assert "members: 1" in described.stdout
    table = {int(r[1]): r for r in rows(described.stdout) if r[0] == TOPIC}
    assert [table[0][2:5], table[1][2:5]] == [["4", "10", "6"], ["6", "6", "0"]]
    assert table[0][5] == table[1][5] != "-"  # both partitions owned by the one member
    assert "total lag: 6" in described.stdout


def test_reset_offsets_dry_run_then_execute(broker: Broker, member: Consumer) -> None:
    bootstrap = broker.bootstrap_servers
    args = ["group", "reset-offsets", "--group", GROUP, "--topic", TOPIC]
    refused = kaspar(bootstrap, *args, "--to-earliest")
    assert refused.returncode == 1
    assert "active member" in refused.stderr
    member.close()

    dry_run = kaspar(bootstrap, *args, "--to-earliest")

    assert dry_run.returncode == 0, dry_run.stderr
    assert rows(dry_run.stdout) == [[TOPIC, "0", "4", "0"], [TOPIC, "1", "6", "0"]]
    assert "dry run" in dry_run.stderr
    assert offsets(bootstrap) == {0: ("4", "10", "6"), 1: ("6", "6", "0")}

    executed = kaspar(bootstrap, *args, "--to-earliest", "--execute")

    assert executed.returncode == 0, executed.stderr
    assert offsets(bootstrap) == {0: ("0", "10", "10"), 1: ("0", "6", "6")}
    assert kaspar(bootstrap, *args, "--to-offset", "7", "--execute").returncode == 0
    assert offsets(bootstrap) == {0: ("7", "10", "3"), 1: ("6", "6", "0")}
    assert kaspar(bootstrap, *args, "--to-timestamp", "0", "--execute").returncode == 0
    assert offsets(bootstrap) == {0: ("0", "10", "10"), 1: ("0", "6", "6")}
    assert kaspar(bootstrap, *args, "--to-latest", "--execute").returncode == 0
    assert offsets(bootstrap) == {0: ("10", "10", "0"), 1: ("6", "6", "0")}
