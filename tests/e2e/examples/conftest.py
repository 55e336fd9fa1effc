"""Run an example as its README says: `python examples/<name>/main.py [options]`, in a subprocess.

* `run_example(name, *args)`: the example's stdout; fails the test with its output if it fails.
* `bootstrap_servers`: a kaspar broker of this test alone, for `--bootstrap-servers` runs (the
  examples use fixed topic names, so each run needs a broker nobody else writes to).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
RUN_TIMEOUT_S = 50


@pytest.fixture
def run_example() -> Callable[..., str]:
    def run(name: str, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, str(EXAMPLES / name / "main.py"), *args],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            check=False,
        )
        assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    return run


@pytest.fixture
def bootstrap_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from kaspar.broker import Broker

    with Broker(tmp_path_factory.mktemp("external-kafka"), host="127.0.0.1", port=0) as broker:
        yield broker.bootstrap_servers
