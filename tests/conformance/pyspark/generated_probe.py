"""Find, on PySpark, one argument list each ``pyspark.sql.functions`` function accepts.

Run (needs PySpark and Java 17; a few minutes)::

    .venv/bin/python -m tests.conformance.pyspark.generated_probe [function ...]

For each function (all of them, or the ones named) it tries argument lists built from the
parameters PySpark declares: the columns of ``cases_generated.data`` of each type (all
parameters on the same column first), then typical literals for the parameter's name, and
keeps the first list that PySpark analyses and runs. The lists go to
``tests/fixtures/parity/generated_calls.json``; then record the cases with ``python -m
tests.conformance.pyspark.record gen_``.
"""

from __future__ import annotations

import inspect
import itertools
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

from tests.conformance.pyspark.cases_generated import CALLS, call, data
from tests.conformance.pyspark.conftest import pyspark_session

COLUMNS = ("i", "d", "s", "dt", "ts", "arr", "m", "b", "l", "bin")

# Literals tried for a parameter, by its name.
LITERALS: dict[str, tuple[Any, ...]] = {
    "format": ("yyyy-MM-dd", "999.9"),
    "fmt": ("yyyy-MM-dd",),
    "pattern": (",", "l+", "(\\w+) (\\w+)"),
    "regex": ("(\\w+)",),
    "regexp": ("(\\w+)",),
    "delimiter": (",",),
    "sep": (",",),
    "tz": ("America/New_York",),
    "timezone": ("America/New_York",),
    "unit": ("day",),
    "field": ("YEAR",),
    "limit": (2,),
    "scale": (1,),
    "len": (5,),
    "length": (2,),
    "pos": (2,),
    "count": (2,),
    "n": (2,),
    "num": (2,),
    "idx": (1,),
    "index": (1,),
    "replace": ("x",),
    "replacement": ("x",),
    "pad": ("*",),
    "trim": ("a",),
    "days": (1,),
    "months": (1,),
    "percentage": (0.5,),
    "accuracy": (100,),
    "seed": (1,),
    "base": (2.0,),
    "numBits": (256,),
    "fromBase": (10,),
    "toBase": (16,),
    "charset": ("UTF-8",),
    "substr": ("b",),
    "substring": ("b",),
    "search": ("b",),
    "matching": ("b",),
    "windowDuration": ("1 hour",),
    "gapDuration": ("10 minutes",),
    "key": ("a",),
    "extraction": ("a",),
    "value": (1,),
    "element": (1,),
    "rsd": (0.05,),
    "fields": ("a",),
    "schema": ("a int",),
    "path": ("$.a",),
    "url": ("https://spark.apache.org/path?q=1",),
    "partToExtract": ("HOST",),
    "sourceTz": ("America/Los_Angeles",),
    "targetTz": ("UTC",),
    "sourceTs": ("2024-01-01 10:00:00",),
}
_BY_TYPE: dict[str, tuple[Any, ...]] = {
    "int": (2,),
    "float": (0.5,),
    "str": ("x",),
    "bool": (True,),
}
EXCLUDED = frozenset(
    "udf udtf pandas_udf arrow_udf arrow_udtf broadcast call_udf col column lit expr "
    "asc desc asc_nulls_first asc_nulls_last desc_nulls_first desc_nulls_last".split()
)
MAX_ATTEMPTS = 40
PROGRESS = CALLS.with_suffix(".progress")  # functions probed by an interrupted run
_PREFERRED: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset("str string src substr input".split()), "s"),
    (frozenset("date date1 date2 start end startDate endDate".split()), "dt"),
    (frozenset("timestamp ts timeColumn".split()), "ts"),
    (frozenset("condition".split()), "b"),
)
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("array", "arr"),
    ("map_", "m"),
    ("str", "s"),
    ("bool", "b"),
    ("every", "b"),
    ("some", "b"),
    ("date", "dt"),
    ("to_date", "s"),
    ("to_timestamp", "s"),
    ("unix", "ts"),
    ("try_to", "s"),
    ("regexp", "s"),
    ("json", "s"),
    ("url", "s"),
    ("base64", "s"),
)


def _columns(function: str, param: str) -> tuple[str, ...]:
    """The columns to try, the likeliest type first (by the parameter's and function's name)."""
    first = next((c for words, c in _PREFERRED if param in words), None)
    if first is None:
        first = next((c for prefix, c in _PREFIXES if function.startswith(prefix)), "i")
    return (first, *(c for c in COLUMNS if c != first))


def _options(function: str, param: inspect.Parameter) -> list[list[Any]]:
    annotation = str(param.annotation)
    takes_column = "Column" in annotation
    literals = LITERALS.get(param.name, ())
    if not literals:
        literals = next((v for t, v in _BY_TYPE.items() if t in annotation), ())
    options: list[list[Any]] = []
    if not takes_column or any(t in annotation for t in _BY_TYPE):
        options += [["py", v] for v in literals]
    if takes_column:
        options += [["lit", v] for v in literals]
    if param.name not in LITERALS:  # a named literal first, else a column
        options = []
    if takes_column:
        options += [["col", c] for c in _columns(function, param.name)]
    if param.name not in LITERALS:
        if not takes_column or any(t in annotation for t in _BY_TYPE):
            options += [["py", v] for v in literals]
        if takes_column:
            options += [["lit", v] for v in literals]
    return options


def candidates(function: str, fn: Any) -> Iterator[list[list[Any]]]:
    """Argument lists for ``fn``: required parameters (``*cols``: two columns)."""
    params = []
    for p in inspect.signature(fn).parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            params += [p, p]
        elif p.default is p.empty and p.kind is not p.VAR_KEYWORD:
            params.append(p)
    if not params:
        yield []
        return
    options = [_options(function, p) for p in params]
    if any(not o for o in options):
        return
    for column in _columns(function, params[0].name):  # every column parameter on one column
        same = [next((o for o in opts if o == ["col", column]), opts[0]) for opts in options]
        yield same
    yield from itertools.islice(itertools.product(*options), MAX_ATTEMPTS)


def probe(spark: Any, F: Any, name: str) -> list[list[Any]] | None:
    df = data(spark)
    for args in candidates(name, getattr(F, name)):
        try:
            selected = df.select(call(F, name, list(args)))
            selected.schema  # analysis only: fast  # noqa: B018
            selected.collect()
        except Exception:  # try the next argument list
            continue
        return [list(a) for a in args]
    return None


def main(names: list[str]) -> None:
    spark = pyspark_session()
    spark.sparkContext.setLogLevel("FATAL")
    for logger in ("DataFrameQueryContextLogger", "SQLQueryContextLogger"):
        logging.getLogger(logger).setLevel(logging.CRITICAL)
    from pyspark.sql import functions as F

    from tools.function_coverage import reference_functions

    found: dict[str, Any] = json.loads(CALLS.read_text()) if CALLS.exists() else {}
    tried = PROGRESS.read_text().split() if PROGRESS.exists() and not names else []
    for name in names or reference_functions():
        if name in EXCLUDED or name in tried or not hasattr(F, name):
            continue
        args = probe(spark, F, name)
        if args is None:
            print(f"no argument list found for {name}", flush=True)
            found.pop(name, None)
        else:
            found[name] = args
        CALLS.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
        if not names:
            with PROGRESS.open("a") as progress:
                progress.write(name + "\n")
    PROGRESS.unlink(missing_ok=True)
    print(f"{len(found)} functions with an argument list")
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
