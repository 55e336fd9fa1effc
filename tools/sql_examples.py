"""Run the examples of Spark SQL's built-in function documentation on kaspar's ``spark.sql``.

Every built-in function of Spark carries SQL examples (``DESCRIBE FUNCTION EXTENDED abs``:
``> SELECT abs(-1);``). They are what a user types into ``spark.sql``, so they check the SQL
text path (parsing, function resolution, result names, types and values) as
``tools.doc_examples`` checks the Python API. Recording takes each example from PySpark's JVM
and runs it there (session time zone UTC, ANSI on); checking runs the same statements on kaspar
and compares the result names, types and collected values, or that both raise.

    python -m tools.sql_examples --record   # needs PySpark + Java: writes the fixture
    python -m tools.sql_examples            # run on kaspar; writes docs/sql-examples.md and
                                            # the passing list
    python -m tools.sql_examples --only abs # one function (prefix match), prints the differences
    python -m tools.sql_examples --check    # fail if an example listed as passing fails (CI)

Functions whose result changes from run to run (random values, the current time, the session
user) are recorded but not compared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import json
import math
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "sql_examples.json"
PASSING_LIST = ROOT / "tests" / "conformance" / "sql_examples_passing.txt"
DOC_OUT = ROOT / "docs" / "sql-examples.md"
NOT_DETERMINISTIC = (
    "rand",
    "randn",
    "random",
    "randstr",
    "uniform",
    "uuid",
    "shuffle",
    "current_",
    "now",
    "curdate",
    "localtimestamp",
    "session_user",
    "user",
    "input_file",
    "monotonically_increasing_id",
    "spark_partition_id",
    "version",
    "reflect",
    "java_method",
    "try_reflect",
)


def _statements(examples: str) -> list[str]:
    """The ``> SELECT ...;`` statements of a function's examples text."""
    statements: list[str] = []
    current: str | None = None
    for line in examples.splitlines():
        text = line.strip()
        if text.startswith("> "):
            current = text[2:]
        elif current is not None:
            current += " " + text
        else:
            continue
        if current.endswith(";"):
            statements.append(current[:-1])
            current = None
    return statements


def _comparable(value: Any) -> Any:
    """A JSON form of a collected value, equal across the two engines when the values are."""
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else repr(round(value, 9))
    if isinstance(value, dict):
        return sorted(([_comparable(k), _comparable(v)] for k, v in value.items()), key=repr)
    if isinstance(value, list | tuple):
        return [_comparable(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return "binary:" + bytes(value).hex()
    if isinstance(value, decimal.Decimal):
        return "decimal:" + str(value.normalize())
    if isinstance(value, dt.datetime):
        return "timestamp:" + value.replace(tzinfo=None).isoformat()
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return f"{type(value).__name__}:{value}"
    if hasattr(value, "toPython") and hasattr(value, "metadata"):  # a VariantVal
        return "variant:" + repr(value.toPython())
    if value is None or isinstance(value, bool | int | str):
        return value
    return repr(value)


def run_statement(spark: Any, sql: str) -> dict[str, Any]:
    """One statement's outcome: the result's names, types and rows, or the error's class."""
    try:
        df = spark.sql(sql)
        rows = df.collect()
        return {
            "names": [f.name for f in df.schema.fields],
            "types": [f.dataType.simpleString() for f in df.schema.fields],
            "rows": _comparable([list(r) for r in rows]),
        }
    except Exception as e:  # noqa: BLE001 - every failure is an outcome to compare
        condition = e.getCondition() if hasattr(e, "getCondition") else None
        return {"error": condition or type(e).__name__}


def record() -> None:
    """Extract the examples from PySpark's JVM and record PySpark's outcomes."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("FATAL")
    registry = spark._jvm.org.apache.spark.sql.catalyst.analysis.FunctionRegistry.builtin()  # type: ignore[union-attr]
    names = registry.listFunction().iterator()
    functions: dict[str, Any] = {}
    while names.hasNext():
        ident = names.next()
        info = registry.lookupFunction(ident)
        if info.isEmpty():
            continue
        functions[ident.funcName()] = _statements(info.get().getExamples())
    recorded: dict[str, Any] = {}
    for name in sorted(functions):
        for index, sql in enumerate(functions[name]):
            spark.conf.set("spark.sql.session.timeZone", "UTC")
            recorded[f"{name}#{index}"] = {"sql": sql, "pyspark": run_statement(spark, sql)}
    FIXTURE.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
    print(f"{len(recorded)} examples of {len(functions)} functions recorded in {FIXTURE}")


def _compared(key: str) -> bool:
    return not key.startswith(NOT_DETERMINISTIC)


def verdict(sql: str, expected: dict[str, Any], got: dict[str, Any]) -> str:
    """``same``, or how kaspar's outcome differs from PySpark's (rows in order only where the
    statement ends with an ORDER BY)."""
    if "error" in expected or "error" in got:
        if "error" in expected and "error" in got:
            return "same"
        return "raises" if "error" in got else "no error"
    ordered = re.search(r"ORDER BY [^)]*$", sql, re.IGNORECASE) is not None
    if not ordered:  # rows in any order: compare them sorted
        expected = {**expected, "rows": sorted(expected["rows"], key=repr)}
        got = {**got, "rows": sorted(got["rows"], key=repr)}
    if expected["rows"] != got["rows"]:
        return "values"
    if expected["types"] != got["types"]:
        return "types"
    if expected["names"] != got["names"]:
        return "names"
    return "same"


def check_all(only: str | None) -> dict[str, tuple[str, dict[str, Any], dict[str, Any]]]:
    """Run every compared example on kaspar: key -> (verdict, PySpark's, kaspar's outcome)."""
    from kaspar.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    recorded = json.loads(FIXTURE.read_text())
    saved = spark.conf.getAll()  # examples SET values: restored after them
    outcomes = {}
    try:
        for key, entry in sorted(recorded.items()):
            if not _compared(key) or (only and not key.startswith(only)):
                continue
            spark.conf.set("spark.sql.session.timeZone", "UTC")
            got = run_statement(spark, entry["sql"])
            outcomes[key] = (verdict(entry["sql"], entry["pyspark"], got), entry["pyspark"], got)
    finally:
        for name in set(spark.conf.getAll()) - set(saved):
            spark.conf.unset(name)
        for name, value in saved.items():
            spark.conf.set(name, value)
    return outcomes


def _write_report(outcomes: dict[str, tuple[str, dict[str, Any], dict[str, Any]]]) -> None:
    counts = Counter(v for v, _, _ in outcomes.values())
    passing = sorted(k for k, (v, _, _) in outcomes.items() if v == "same")
    PASSING_LIST.write_text("\n".join(passing) + "\n")
    lines = [
        "# Spark SQL's function examples on kaspar",
        "",
        "Generated by `python -m tools.sql_examples` (the examples of Spark's built-in function",
        "documentation, recorded on PySpark by `--record`). CI checks that the passing ones keep",
        "passing (`tests/conformance/test_sql_examples.py`).",
        "",
        f"- examples compared: {len(outcomes)}",
        f"- same names, types and values (or both raise): {counts['same']}",
        *(f"- {what}: {n}" for what, n in sorted(counts.items()) if what != "same"),
        "",
        "## Not passing",
        "",
    ]
    for key, (what, _, _) in sorted(outcomes.items()):
        if what != "same":
            lines.append(f"- `{key}`: {what}")
    DOC_OUT.write_text("\n".join(lines) + "\n")
    print(f"{counts['same']} of {len(outcomes)} pass; {dict(counts)}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--only")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.record:
        record()
        return 0
    outcomes = check_all(args.only)
    if args.check:
        listed = PASSING_LIST.read_text().split()
        broken = [k for k in listed if k in outcomes and outcomes[k][0] != "same"]
        for key in broken:
            what, expected, got = outcomes[key]
            print(f"{key}: {what}\n  pyspark: {expected}\n  kaspar:  {got}")
        return 1 if broken else 0
    if args.only:
        for key, (what, expected, got) in outcomes.items():
            if what != "same":
                print(f"{key}: {what}\n  pyspark: {expected}\n  kaspar:  {got}")
        return 0
    _write_report(outcomes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
