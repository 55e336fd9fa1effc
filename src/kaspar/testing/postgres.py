"""A temporary PostgreSQL for change-data-capture pipelines and their tests: a cluster made
by ``initdb`` with ``wal_level=logical``, on a free port of 127.0.0.1, removed when the block ends.

The binaries come from PATH or /usr/lib/postgresql/<version>/bin (``apt-get install
postgresql``); without them ``running_postgres`` raises ``LookupError`` saying so. PostgreSQL
refuses to run as root, so under root the cluster runs as the ``postgres`` user (or ``nobody``).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str = "postgres"
    dbname: str = "postgres"

    def connect(self, **extra: Any) -> Any:
        import psycopg2

        connection = psycopg2.connect(
            host=self.host, port=self.port, user=self.user, dbname=self.dbname, **extra
        )
        connection.autocommit = True
        return connection

    def connector_config(self, **overrides: str) -> dict[str, str]:
        """A Debezium PostgreSQL connector config for this server."""
        return {
            "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
            "database.hostname": self.host,
            "database.port": str(self.port),
            "database.user": self.user,
            "database.password": "",
            "database.dbname": self.dbname,
            "database.sslmode": "disable",
            "plugin.name": "pgoutput",
            **overrides,
        }


def postgres_bin_dir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    return versions[0].parent if versions else None


def _run_as() -> str | None:
    """The user to run PostgreSQL as when we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    return None


def _wait_ready(server: PostgresServer, process: subprocess.Popen[bytes]) -> None:
    import psycopg2

    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited with {process.returncode} while starting")
        try:
            server.connect(connect_timeout=1).close()
            return
        except psycopg2.OperationalError:
            time.sleep(0.1)
    raise TimeoutError(f"postgres not ready in {START_TIMEOUT_S} s")


_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "wal_level": "logical",
    "max_replication_slots": "8",
    "max_wal_senders": "8",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "shared_buffers": "32MB",
    "max_connections": "30",
}


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A temporary cluster with wal_level=logical (in a new directory of the system's temporary
    directory, which the ``postgres`` user can reach), stopped and removed when the block ends.

    Raises ``LookupError`` without the binaries, or as root with no user to run them as.
    """
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise LookupError(
            "PostgreSQL is not installed (initdb not on PATH nor in /usr/lib/postgresql)"
        )
    user = _run_as()
    if os.geteuid() == 0 and user is None:
        raise LookupError("running as root and no user to run PostgreSQL as")
    base = Path(
        tempfile.mkdtemp(
            prefix="kaspar-pg-",
        )
    )
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    data = str(base / "data")
    initdb = [str(bin_dir / "initdb"), "-D", data, "-U", "postgres", "--auth=trust"]
    subprocess.run(
        [*initdb, "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        timeout=120,
        user=user,
    )
    port = _free_port()
    settings = {**_SETTINGS, "port": str(port), "unix_socket_directories": str(base)}
    args = [str(bin_dir / "postgres"), "-D", data]
    for key, value in settings.items():
        args += ["-c", f"{key}={value}"]
    with (base / "server.log").open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, user=user)
    server = PostgresServer("127.0.0.1", port)
    try:
        _wait_ready(server, process)
        yield server
    finally:
        process.send_signal(signal.SIGINT)  # fast shutdown
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        shutil.rmtree(base, ignore_errors=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
