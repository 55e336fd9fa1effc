"""`kaspar up` as a real process: clients use the address it prints; signals stop it cleanly."""

import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 20
ADDRESS = re.compile(r"broker\s+│\s+(127\.0\.0\.1:\d+)")


@dataclass
class UpProcess:
    process: subprocess.Popen[str]
    out: Path
    err: Path
    bootstrap: str = ""

    def output(self) -> str:
        return self.out.read_text() + self.err.read_text()

    def wait_for_address(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            match = ADDRESS.search(self.out.read_text())
            if match:
                self.bootstrap = match.group(1)
                return self.bootstrap
            if self.process.poll() is not None:
                pytest.fail(f"kaspar up exited with {self.process.returncode}:\n{self.output()}")
            time.sleep(0.05)
        self.process.kill()
        pytest.fail(f"kaspar up printed no address in {START_TIMEOUT_S} s:\n{self.output()}")

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"kaspar up did not stop on signal {signum}:\n{self.output()}")


def start_up(tmp_path: Path, *args: str) -> UpProcess:
    out, err = tmp_path / "up.out", tmp_path / "up.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "kaspar", "up", "--data-dir", str(tmp_path / "data"), *args],
            stdout=stdout,
            stderr=stderr,
            text=True,
        )
    return UpProcess(process, out, err)


def produce_and_consume(bootstrap: str, count: int) -> list[bytes]:
    topic = f"up-{uuid.uuid4().hex[:8]}"
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for number in range(count):
        producer.produce(topic, value=f"event-{number}".encode())
    assert producer.flush(20) == 0
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": topic, "enable.auto.commit": False}
    )
    consumer.assign([TopicPartition(topic, 0, 0)])
    values: list[bytes] = []
    deadline = time.monotonic() + 20
    while len(values) < count and time.monotonic() < deadline:
        for message in consumer.consume(count, timeout=0.5):
            if message.error() is None:
                values.append(message.value())
    consumer.close()
    return values


@pytest.mark.timeout(60)
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_up_serves_kafka_clients_and_stops_on_signal(tmp_path: Path, signum: int) -> None:
    up = start_up(tmp_path, "--listen", "127.0.0.1:0")
    bootstrap = up.wait_for_address()

    values = produce_and_consume(bootstrap, 20)
    exit_code = up.stop(signum)

    assert values == [f"event-{n}".encode() for n in range(20)]
    assert exit_code == 0, up.output()
    assert "Traceback" not in up.output()
    assert (tmp_path / "data" / "broker" / ".kaspar-clean-shutdown").exists()
    host, port = bootstrap.split(":")
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=1).close()


@pytest.mark.timeout(60)
def test_up_keeps_the_data_across_restarts(tmp_path: Path) -> None:
    first = start_up(tmp_path, "--listen", "127.0.0.1:0")
    bootstrap = first.wait_for_address()
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    producer.produce("kept", value=b"kept")
    assert producer.flush(20) == 0
    assert first.stop(signal.SIGTERM) == 0, first.output()

    second = start_up(tmp_path, "--listen", "127.0.0.1:0")
    bootstrap = second.wait_for_address()
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "kept"})
    consumer.assign([TopicPartition("kept", 0, 0)])
    message = consumer.poll(20)
    consumer.close()
    assert second.stop(signal.SIGTERM) == 0, second.output()

    assert message is not None
    assert message.value() == b"kept"


@pytest.mark.timeout(60)
def test_a_port_taken_is_an_error_naming_the_option(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        data_dir = str(tmp_path / "data")
        result = subprocess.run(
            [sys.executable, "-m", "kaspar", "up", "-d", data_dir, "-l", f"127.0.0.1:{port}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    assert result.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in result.stderr
    assert "--listen" in result.stderr
    assert "Traceback" not in result.stderr
