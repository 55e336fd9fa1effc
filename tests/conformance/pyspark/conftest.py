"""Sessions for the parity suite: one real PySpark (local[1], UTC) and one kaspar session."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from typing import Any

import pytest


def pyspark_session() -> Any:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers need pandas and pyarrow
    if shutil.which("java") is None:
        pytest.skip("PySpark parity tests need Java 17 (java not found on PATH)")
    pyspark = pytest.importorskip(
        "pyspark", reason="PySpark parity tests need `pip install pyspark`"
    )
    from pyspark.sql import SparkSession

    del pyspark
    return (
        SparkSession.builder.master("local[1]")
        .appName("kaspar-parity")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


@pytest.fixture(scope="session")
def pyspark_env() -> Iterator[tuple[Any, Any, Any]]:
    spark = pyspark_session()
    spark.sparkContext.setLogLevel("FATAL")
    from pyspark.sql import functions, types

    yield spark, functions, types
    spark.stop()


@pytest.fixture(scope="session")
def kaspar_env() -> Iterator[tuple[Any, Any, Any]]:
    from kaspar.sql import SparkSession, functions, types

    spark = (
        SparkSession.builder.master("local[1]")  # as the PySpark session: one partition
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    yield spark, functions, types
    spark.stop()
