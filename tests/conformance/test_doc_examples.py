"""PySpark's own documentation examples keep passing on kaspar.

``python -m tools.doc_examples`` runs every example of PySpark's docstrings on kaspar and
records the docstrings that pass whole in tests/conformance/doc_examples_passing.txt; this test
runs them again (in a child process: ``kaspar.activate()`` must not replace pyspark in a test
worker that runs real PySpark) and fails when one of them no longer passes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest.importorskip("pyspark")


@pytest.mark.timeout(900)
def test_documented_examples_still_pass(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.doc_examples",
            "--check",
            "--cache",
            str(tmp_path / "docstrings.json"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-20000:] + proc.stderr[-5000:]
