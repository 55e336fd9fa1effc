"""`kaspar ksql`: its config (-c with ksqlDB's property names), the interactive shell's
statements against a running server, and the server as a service of `kaspar up`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from kaspar.cli.errors import CliError
from kaspar.cli.ksql import ksql_config
from kaspar.cli.ksql_shell import run_statement, statements
from kaspar.cli.platform import BrokerService, Platform, PlatformSettings, _ksql
from tests.integration.ksql.conftest import Ksql, create_stream


def test_config_takes_ksqldb_property_names(tmp_path: Path) -> None:
    config = ksql_config(
        "b:9092",
        "127.0.0.1:0",
        tmp_path,
        {"ksql.service.id": "svc_", "auto.offset.reset": "earliest"},
    )
    assert (config.service_id, config.offset_reset) == ("svc_", "earliest")
    assert config.command_topic == "_confluent-ksql-svc__command_topic"
    with pytest.raises(CliError, match=r"auto\.offset\.reset must be one of earliest, latest"):
        ksql_config("b:9092", "127.0.0.1:0", tmp_path, {"auto.offset.reset": "soon"})
    with pytest.raises(CliError, match=r"unknown property no\.such\.key"):
        ksql_config("b:9092", "127.0.0.1:0", tmp_path, {"no.such.key": "1"})


def test_shell_splits_statements_at_semicolons() -> None:
    typed = ["SHOW", "STREAMS;", "SELECT 'a;b'", "FROM s;", "exit"]
    assert list(statements(iter(typed))) == ["SHOW\nSTREAMS;", "SELECT 'a;b'\nFROM s;"]


def test_shell_prints_tables(
    ksql: Ksql, http: httpx.Client, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    create_stream(ksql, name, "id STRING KEY, n INT")
    properties: dict[str, str] = {}
    run_statement(http, "SET 'auto.offset.reset'='earliest';", properties)
    assert properties == {"auto.offset.reset": "earliest"}
    run_statement(http, f"INSERT INTO {name} (id, n) VALUES ('k1', 7);", properties)
    run_statement(http, "SHOW STREAMS;", properties)
    run_statement(http, f"SELECT id, n FROM {name};", properties)
    run_statement(http, "DESCRIBE NO_SUCH;", properties)
    out, err = capsys.readouterr()
    assert name in out
    assert "k1" in out
    assert "│ 7" in out
    assert "NO_SUCH does not exist." in err


def test_kaspar_up_serves_ksql(tmp_path: Path) -> None:
    settings = PlatformSettings(data_dir=tmp_path, broker_port=0)
    with Platform(settings, (BrokerService, _ksql)) as platform:
        url = platform.addresses["ksql"]
        assert url.startswith("http://")
        info = httpx.get(f"{url}/info", timeout=10).json()
        assert info["KsqlServerInfo"]["serverStatus"] == "RUNNING"
    assert (tmp_path / "ksql").is_dir()


def test_kaspar_up_registers_ksql() -> None:
    from kaspar.cli.platform import SERVICES

    assert _ksql in SERVICES
