"""A program that exits while a daemon thread still runs a query exits cleanly.

Without care, the interpreter tears the daemon thread down inside DuckDB's C++ frames when it
finalises, and the process aborts ("FATAL: exception not rethrown", SIGABRT). The session's
at-exit stop interrupts the running statement and keeps DuckDB closed to late callers.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROGRAM = textwrap.dedent(
    """
    import threading, time
    from kaspar.sql import SparkSession, functions as F

    spark = SparkSession.builder.getOrCreate()
    df = spark.range(3_000_000).withColumn("b", F.col("id") % 7)

    def loop():
        while True:
            df.groupBy("b").agg(F.sum("id")).collect()

    threading.Thread(target=loop, daemon=True).start()
    time.sleep(0.5)
    print("exiting", flush=True)
    """
)


@pytest.mark.timeout(120)
def test_exit_while_a_daemon_thread_runs_a_query(tmp_path: Path) -> None:
    script = tmp_path / "program.py"
    script.write_text(PROGRAM)
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.strip() == "exiting"
