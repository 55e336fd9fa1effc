"""ksqlDB's HTTP/2 endpoints over real HTTP/2 clients: httpx with h2 (prior knowledge), the h2
library's connection driven by hand (rows and acks interleaved on one open stream, as ksqlDB's
Java client's streamInserts does), and curl --http2-prior-knowledge / --http2 (Upgrade: h2c);
HTTP/1.1 on the same port still works."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from typing import Any

import h2.config
import h2.connection
import h2.events
import httpx
import pytest

from tests.integration.ksql.conftest import WAIT_S, Ksql, create_stream


@pytest.fixture(scope="module")
def h2c(ksql_server: Any) -> Any:
    """An HTTP/2-only httpx client (prior knowledge: no Upgrade, no TLS)."""
    with httpx.Client(base_url=ksql_server.url, http1=False, http2=True, timeout=WAIT_S) as client:
        yield client


def test_push_query_streams_rows_over_http2_while_records_come(
    ksql: Ksql, h2c: httpx.Client, name: str
) -> None:
    topic = create_stream(ksql, name, "id STRING KEY, amount DOUBLE")
    body = {"sql": f"SELECT id, amount * 2 AS dbl FROM {name} EMIT CHANGES;", "properties": {}}
    with h2c.stream("POST", "/query-stream", json=body) as response:
        assert (response.status_code, response.http_version) == (200, "HTTP/2")
        lines = response.iter_lines()
        header = json.loads(next(lines))
        assert header["columnNames"] == ["ID", "DBL"]
        assert header["columnTypes"] == ["STRING", "DOUBLE"]
        time.sleep(1.0)  # the query reads from the latest offset: let it start first
        rows = []
        for i in range(3):  # each record produced only after the row before it arrived
            ksql.produce(topic, [(f"k{i}", {"AMOUNT": i + 0.5}, 1_000 * (i + 1))])
            rows.append(json.loads(next(line for line in lines if line)))
        closed = h2c.post("/close-query", json={"queryId": header["queryId"]})
        assert (closed.status_code, closed.http_version) == (200, "HTTP/2")
        assert [line for line in lines if line] == []  # the stream ends
    assert rows == [["k0", 1.0], ["k1", 3.0], ["k2", 5.0]]


def test_pull_query_and_inserts_stream_over_http2(ksql: Ksql, h2c: httpx.Client, name: str) -> None:
    create_stream(ksql, name, "id STRING KEY, amount DOUBLE")
    lines = [{"target": name}, {"id": "a", "amount": 1.5}, {"ID": "b", "AMOUNT": 2.5}, {"nope": 1}]
    response = h2c.post("/inserts-stream", content="".join(json.dumps(x) + "\n" for x in lines))
    assert (response.status_code, response.http_version) == (200, "HTTP/2")
    acks = [json.loads(line) for line in response.text.splitlines()]
    assert acks[:2] == [{"status": "ok", "seq": 0}, {"status": "ok", "seq": 1}]
    assert (acks[2]["status"], acks[2]["seq"]) == ("error", 2)
    scan = h2c.post("/query-stream", json={"sql": f"SELECT * FROM {name};"})
    assert scan.http_version == "HTTP/2"
    assert [json.loads(x) for x in scan.text.splitlines()][1:] == [["a", 1.5], ["b", 2.5]]


def test_inserts_stream_acks_each_row_while_the_request_is_open(
    ksql: Ksql, ksql_server: Any, name: str
) -> None:
    """One HTTP/2 stream: a row is written, its ack read, then the next row, and only then is
    the request ended (an ack per row before the body ends, as ksqlDB's clients expect)."""
    create_stream(ksql, name, "id STRING KEY, amount DOUBLE")
    host, port = ksql_server.http.host, ksql_server.http.port
    with socket.create_connection((host, port), timeout=WAIT_S) as sock:
        client = _H2Client(sock)
        stream = client.request("/inserts-stream", json.dumps({"target": name}).encode() + b"\n")
        acks = []
        for i in range(3):
            client.send(stream, json.dumps({"ID": f"r{i}", "AMOUNT": float(i)}).encode() + b"\n")
            acks.append(json.loads(client.read_line(stream)))
        client.send(stream, b"", end=True)
        assert client.read_line(stream) == b""  # the response ends with the request
        assert client.status == 200
    assert acks == [{"status": "ok", "seq": i} for i in range(3)]
    scan = ksql.http.post("/query-stream", json={"sql": f"SELECT * FROM {name};"})
    assert [json.loads(x) for x in scan.text.splitlines()][1:] == [
        ["r0", 0.0], ["r1", 1.0], ["r2", 2.0]
    ]  # fmt: skip


def test_unknown_insert_target_is_a_ksqldb_error_over_http2(h2c: httpx.Client) -> None:
    response = h2c.post("/inserts-stream", content=b'{"target": "NO_SUCH_STREAM"}\n{"a": 1}\n')
    assert (response.status_code, response.http_version) == (400, "HTTP/2")
    error = response.json()
    assert (error["@type"], error["error_code"]) == ("generic_error", 40001), error
    assert error["message"] == "NO_SUCH_STREAM does not exist."


def test_http11_still_served_on_the_same_port(ksql: Ksql, http: httpx.Client, name: str) -> None:
    create_stream(ksql, name, "id STRING KEY, amount DOUBLE")
    ksql.run(f"INSERT INTO {name} (id, amount) VALUES ('x', 4.0);")
    scan = http.post("/query-stream", json={"sql": f"SELECT * FROM {name};"})
    assert (scan.status_code, scan.http_version) == (200, "HTTP/1.1")
    assert [json.loads(x) for x in scan.text.splitlines()][1:] == [["x", 4.0]]


NO_CURL = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
CURL = ["curl", "-sS", "--max-time", "20", "-w", "\n%{http_version}"]


def _curl(*args: str) -> list[str]:
    done = subprocess.run([*CURL, *args], capture_output=True, text=True, timeout=30, check=True)
    return [line for line in done.stdout.splitlines() if line]


@NO_CURL
def test_curl_http2_prior_knowledge(ksql: Ksql, ksql_server: Any, name: str) -> None:
    create_stream(ksql, name, "id STRING KEY, amount DOUBLE")
    inserts = f'{{"target": "{name}"}}\n{{"id": "c", "amount": 7.5}}\n'
    url, h2 = ksql_server.url, "--http2-prior-knowledge"
    acks = _curl(h2, "--data-binary", inserts, f"{url}/inserts-stream")
    assert acks == ['{"status": "ok", "seq": 0}', "2"]
    query = json.dumps({"sql": f"SELECT * FROM {name};"})
    *rows, version = _curl(h2, "--data-binary", query, f"{url}/query-stream")
    assert ([json.loads(r) for r in rows][1:], version) == ([["c", 7.5]], "2")


@NO_CURL
def test_curl_upgrade_to_h2c(ksql_server: Any) -> None:
    """HTTP/1.1's Upgrade: h2c (curl --http2 on a cleartext URL) switches a request without a
    body to HTTP/2; one with a body is answered in HTTP/1.1 (a server may ignore Upgrade)."""
    *info, version = _curl("--http2", f"{ksql_server.url}/info")
    assert (json.loads(info[0])["KsqlServerInfo"]["serverStatus"], version) == ("RUNNING", "2")
    body = json.dumps({"sql": "SELECT * FROM NO_SUCH;"})
    *error, version = _curl("--http2", "--data-binary", body, f"{ksql_server.url}/query-stream")
    assert (json.loads(error[0])["error_code"], version) == (40001, "1.1")


class _H2Client:
    """A minimal HTTP/2 client on the h2 library: POST with a body sent in parts."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.conn.initiate_connection()
        self.sock.sendall(self.conn.data_to_send())
        self.data = b""
        self.ended = False
        self.status = 0

    def request(self, path: str, first: bytes) -> int:
        stream = self.conn.get_next_available_stream_id()
        headers = [(":method", "POST"), (":path", path), (":scheme", "http"),
                   (":authority", "ksql")]  # fmt: skip
        self.conn.send_headers(stream, headers)
        self.send(stream, first)
        return stream

    def send(self, stream: int, data: bytes, end: bool = False) -> None:
        self.conn.send_data(stream, data, end_stream=end)
        self.sock.sendall(self.conn.data_to_send())

    def read_line(self, stream: int) -> bytes:
        """The next line of the response (b"" once it has ended); fails after WAIT_S."""
        deadline = time.monotonic() + WAIT_S
        while b"\n" not in self.data and not self.ended:
            assert time.monotonic() < deadline, "no response line in time"
            for event in self.conn.receive_data(self.sock.recv(65_536)):
                if isinstance(event, h2.events.ResponseReceived):
                    self.status = int(dict(event.headers)[b":status"])
                elif isinstance(event, h2.events.DataReceived) and event.stream_id == stream:
                    self.data += event.data
                    self.conn.acknowledge_received_data(event.flow_controlled_length, stream)
                elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset):
                    self.ended = True
            self.sock.sendall(self.conn.data_to_send())
        line, _, self.data = self.data.partition(b"\n")
        return line
