"""Record PySpark's outcome of parity cases into ``tests/fixtures/parity/<module>.json``.

Run (needs PySpark and Java 17)::

    .venv/bin/python -m tests.conformance.pyspark.record              # every case
    .venv/bin/python -m tests.conformance.pyspark.record show_ months  # cases whose name
                                                                        # starts with a prefix

Cases already recorded and not named keep their recording; recordings of cases that no longer
exist are dropped.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import defaultdict
from pathlib import Path

from tests.conformance.pyspark import test_parity
from tests.conformance.pyspark.compare import run
from tests.conformance.pyspark.conftest import pyspark_session
from tests.conformance.pyspark.recording import (
    decode,
    encode,
    fixture_path,
    load,
    save,
)
from tests.conformance.pyspark.registry import CASES


def main(prefixes: list[str]) -> None:
    assert test_parity.CASES  # importing test_parity registers every case module
    spark = pyspark_session()
    spark.sparkContext.setLogLevel("FATAL")
    for name in ("DataFrameQueryContextLogger", "SQLQueryContextLogger"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    from pyspark.sql import functions, types

    by_file: dict[Path, dict[str, str]] = defaultdict(dict)
    for case in CASES.values():
        by_file[fixture_path(case)][case.name] = ""
    start = time.monotonic()
    recorded = 0
    for path, names in sorted(by_file.items()):
        old = load(path)
        new = {}
        for name in sorted(names):
            if name in old and prefixes and not name.startswith(tuple(prefixes)):
                new[name] = old[name]
                continue
            try:
                outcome = run(CASES[name], spark, functions, types)
            except Exception as e:  # a known difference where PySpark raises and kaspar not
                outcome = ("PySpark raised", type(e).__name__)
            text = encode(outcome)
            try:
                assert decode(text) == outcome
            except Exception:  # a value repr cannot rebuild (VariantVal, ...)
                print(f"{name}: the outcome does not round-trip: {text[:200]}")
                text = encode(("unrecordable outcome", text))
            new[name] = text
            recorded += 1
        save(path, new)
    print(f"{recorded} cases recorded in {time.monotonic() - start:.1f} s")
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
