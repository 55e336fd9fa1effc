"""kill -9 a process running four streaming queries and a batch job on one SparkSession, again
and again, producing more records between runs; restart every query from its checkpoint each
time. Every sink that survives a process ends with every record exactly once.

The workload is ``tests/e2e/many_queries_job.py``: Kafka sink (read back with
``read_committed``), Delta sink (txn appId/version), ``foreachBatch`` writing one file per
batch id (at least once, made exactly once by the function's idempotent write, as Spark
advises) and the memory sink (not checked: it lives in the killed process).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from deltalake import DeltaTable

from tests.integration.test_many_queries import foreach_ids, kafka_ids

KILLS = 4
CHUNK = 200  # records per topic produced before each run
ROOT = Path(__file__).resolve().parents[2]
B_IDS = 100_000  # ids of topic B start here


def _produce(servers: str, topic: str, ids: range) -> None:
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 5})
    for i in ids:
        producer.produce(topic, json.dumps({"id": i}).encode(), partition=i % 3)
    assert producer.flush(30) == 0


def _job(log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as stderr:  # the child keeps its own descriptor
        return subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "e2e" / "many_queries_job.py"), *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


@pytest.mark.timeout(420)
def test_kill9_many_queries_restart_exactly_once(
    kaspar_broker: Any, topic_factory: Callable[..., str], tmp_path: Path
) -> None:
    servers = kaspar_broker.bootstrap_servers
    topic_a, topic_b = topic_factory(partitions=3), topic_factory(partitions=3)
    out = topic_factory(partitions=1)
    args = [servers, topic_a, topic_b, out, str(tmp_path / "job")]
    log, rng, produced = tmp_path / "log", random.Random(7), 0
    for _ in range(KILLS):
        _produce(servers, topic_a, range(produced, produced + CHUNK))
        _produce(servers, topic_b, range(B_IDS + produced, B_IDS + produced + CHUNK))
        produced += CHUNK
        process = _job(log, *args, "run")
        time.sleep(rng.uniform(2.0, 5.0))  # start-up takes 1-2 s: some kills land during it
        assert process.poll() is None, log.read_text()[-3000:]
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    _produce(servers, topic_a, range(produced, produced + CHUNK))
    _produce(servers, topic_b, range(B_IDS + produced, B_IDS + produced + CHUNK))
    produced += CHUNK
    drain = _job(log, *args, "drain")
    drain.wait(240)
    assert drain.returncode == 0, log.read_text()[-3000:]

    a, b = range(produced), range(B_IDS, B_IDS + produced)
    assert kafka_ids(servers, out, len(a)) == Counter(a)
    delta = DeltaTable(str(tmp_path / "job" / "delta")).to_pyarrow_table()["id"].to_pylist()
    assert Counter(delta) == Counter(b)
    assert foreach_ids(tmp_path / "job" / "batches") == Counter([*a, *b])
