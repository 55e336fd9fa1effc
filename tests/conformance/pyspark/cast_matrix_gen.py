"""Record PySpark's cast matrix into ``tests/fixtures/cast_matrix.json``.

Run: ``.venv/bin/python -m tests.conformance.pyspark.cast_matrix_gen`` (needs PySpark and Java).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path

from tests.conformance.pyspark.cast_matrix import cells, run_matrix

FIXTURE = Path(__file__).parents[2] / "fixtures" / "cast_matrix.json"


def main() -> None:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession, functions

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("FATAL")
    logging.getLogger("DataFrameQueryContextLogger").setLevel(logging.CRITICAL)
    start = time.monotonic()
    flat = cells(run_matrix(spark, functions, pyspark=True))
    print(f"{len(flat)} cells in {time.monotonic() - start:.1f} s")
    FIXTURE.write_text(json.dumps(flat, indent=0, sort_keys=True) + "\n")
    spark.stop()


if __name__ == "__main__":
    main()
