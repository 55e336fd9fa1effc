"""examples/cdc_to_delta: the Delta table equals the PostgreSQL table after every round; without
PostgreSQL's binaries the example says so and exits 1."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from deltalake import DeltaTable

from kaspar.testing import postgres_bin_dir


@pytest.mark.skipif(postgres_bin_dir() is None, reason="PostgreSQL is not installed")
@pytest.mark.parametrize("given_kafka", [False, True], ids=["embedded", "given-kafka"])
def test_cdc_to_delta(
    run_example: Callable[..., str], bootstrap_servers: str, tmp_path: Path, given_kafka: bool
) -> None:
    args = ["--bootstrap-servers", bootstrap_servers] if given_kafka else []
    output = run_example("cdc_to_delta", *args, "--data-dir", str(tmp_path))
    assert output.count("Delta table = PostgreSQL table") == 4
    assert "(5 rows)" in output and "(50, 'ed', None, 'gold')" in output
    rows = DeltaTable(str(tmp_path / "customers")).to_pyarrow_table().to_pylist()
    assert sorted(rows, key=lambda r: r["id"]) == [
        {"id": 7, "name": "gus", "email": None, "tier": "gold"},
        {"id": 8, "name": "hal", "email": None, "tier": "bronze"},
    ]


def test_without_postgres_it_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setattr("kaspar.testing.postgres.postgres_bin_dir", lambda: None)
    example = importlib.import_module("examples.cdc_to_delta.main")
    assert example.main(["--data-dir", str(tmp_path)]) == 1
    assert "cdc_to_delta needs PostgreSQL: PostgreSQL is not installed" in capsys.readouterr().err
