"""Two `kaspar ksql` processes on one ksql.service.id (and one state dir): a statement sent to
either is seen by both, pull queries answer from either, each persistent query runs on one of
them, and when that one is killed with SIGKILL mid-stream the other takes the query over from
its checkpoint: every record reaches the sink exactly once."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port
from tests.integration.ksql.conftest import WAIT_S, Ksql

START_S = 60.0
SESSION_MS = "6000"  # the lease group's session: a killed server's queries move after it


@contextlib.contextmanager
def ksql_process(servers: str, data_dir: Path, service_id: str, log: Path) -> Iterator[Any]:
    """`kaspar ksql` in a process of its own; yields (process, base URL) once it answers."""
    port = free_port()
    command = [
        sys.executable, "-m", "kaspar", "ksql", "--listen", f"127.0.0.1:{port}",
        "--bootstrap-servers", servers, "--data-dir", str(data_dir),
        "-c", f"ksql.service.id={service_id}", "-c", "ksql.kaspar.trigger.ms=100",
        "-c", f"ksql.kaspar.lease.session.timeout.ms={SESSION_MS}",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_S
        while True:
            assert process.poll() is None, log.read_text()
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/info", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, f"ksql did not start: {log.read_text()}"
            time.sleep(0.2)
        yield process, url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


def state(http: httpx.Client, query_id: str) -> str:
    ksql = Ksql(http, "")
    return str(ksql.run(f"EXPLAIN {query_id};")[0]["queryDescription"]["state"])


@pytest.mark.timeout(240)
def test_two_servers_share_the_work_and_survive_a_kill(kaspar_broker: Any, tmp_path: Path) -> None:
    servers = kaspar_broker.bootstrap_servers
    service_id = f"cluster_{uuid.uuid4().hex[:6]}_"
    name = f"C{uuid.uuid4().hex[:6].upper()}"
    with (
        ksql_process(servers, tmp_path / "data", service_id, tmp_path / "a.log") as (a, url_a),
        ksql_process(servers, tmp_path / "data", service_id, tmp_path / "b.log") as (b, url_b),
        httpx.Client(base_url=url_a, timeout=WAIT_S) as http_a,
        httpx.Client(base_url=url_b, timeout=WAIT_S) as http_b,
    ):
        on_a, on_b = Ksql(http_a, servers), Ksql(http_b, servers)
        on_a.run(
            f"CREATE STREAM {name} (id STRING KEY, n INT) WITH (kafka_topic='{name.lower()}', "
            "value_format='JSON', partitions=2);"
        )
        created = on_b.run(  # a statement sent to B, about a stream A created
            f"CREATE STREAM {name}_OUT AS SELECT id, n * 10 AS n10 FROM {name};",
            **{"auto.offset.reset": "earliest"},
        )
        query_id = created[0]["commandStatus"]["queryId"]
        deadline = time.monotonic() + WAIT_S
        while query_id not in [q["id"] for q in on_a.run("SHOW QUERIES;")[0]["queries"]]:
            assert time.monotonic() < deadline, "A never saw B's query"
            time.sleep(0.1)
        while True:  # one server runs it, the other knows it (it starts once applied)
            states = {"a": state(http_a, query_id), "b": state(http_b, query_id)}
            if sorted(states.values()) == ["PENDING", "RUNNING"]:
                break
            assert time.monotonic() < deadline, states
            time.sleep(0.1)
        owner, other, other_http = (a, b, http_b) if states["a"] == "RUNNING" else (b, a, http_a)

        first = [(f"k{i}", {"N": i}, 1_000 + i) for i in range(200)]
        on_a.produce(name.lower(), first)
        on_a.read(f"{name}_OUT", 200)
        on_a.produce(name.lower(), [(f"k{i}", {"N": i}, 1_000 + i) for i in range(200, 2_000)])
        time.sleep(0.3)
        os.kill(owner.pid, signal.SIGKILL)  # mid-stream: batches in flight, maybe a transaction
        owner.wait(10)
        on_a.produce(name.lower(), [(f"k{i}", {"N": i}, 1_000 + i) for i in range(2_000, 2_500)])

        survivor = Ksql(other_http, servers)
        records = survivor.read(f"{name}_OUT", 2_500)  # exactly 2,500: none lost, none twice
        assert sorted(v["N10"] for _, v, _ in records) == [i * 10 for i in range(2_500)]
        assert state(other_http, query_id) == "RUNNING"
        assert other.poll() is None
        for source, row in ((name, ["k7", 7]), (f"{name}_OUT", ["k7", 70])):  # pull queries
            sql = f"SELECT * FROM {source} WHERE id = 'k7';"
            pulled = other_http.post("/query-stream", json={"sql": sql})
            assert [json.loads(x) for x in pulled.text.splitlines()][1:] == [row], pulled.text
