"""Sessions for the streaming parity tests: a real PySpark (local[1], UTC) and kaspar.

The PySpark session is created once per test session (``getOrCreate`` shares it with the batch
parity suite when both run); tests are skipped when Java or PySpark is missing.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def pyspark_streaming() -> Iterator[tuple[Any, Any]]:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if shutil.which("java") is None:
        pytest.skip("PySpark parity tests need Java 17 (java not found on PATH)")
    pytest.importorskip("pyspark", reason="PySpark parity tests need `pip install pyspark`")
    from pyspark.sql import SparkSession, functions

    spark = (
        SparkSession.builder.master("local[1]")
        .appName("kaspar-parity")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        # C1 only: a test JVM lives a minute; this halves Spark's start-up and warm-up CPU
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("FATAL")
    yield spark, functions
    spark.stop()


@pytest.fixture(scope="session")
def kaspar_streaming() -> Iterator[tuple[Any, Any]]:
    from kaspar.sql import SparkSession, functions

    spark = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    yield spark, functions
