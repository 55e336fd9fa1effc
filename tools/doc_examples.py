"""Run the examples of PySpark's own API documentation on kaspar, unchanged.

PySpark's docstrings are doctests: ``>>> spark.range(1).select(sf.abs(sf.lit(-1))).show()``
followed by the table PySpark prints. A user pastes exactly these into kaspar, so they are the
checklist of issue 16. This tool takes the docstrings from the installed PySpark (in a child
process, so the real package is imported there and not here), runs every example on kaspar with
``kaspar.activate()`` in effect, compares the output the way PySpark's own doctest run does
(``ELLIPSIS | NORMALIZE_WHITESPACE``, and ``IGNORE_EXCEPTION_DETAIL`` where that module's
own ``_test`` adds it) and reports, per class or module, how many docstrings pass
whole.

    python -m tools.doc_examples                       # all, writes docs/doc-examples.md
    python -m tools.doc_examples --only functions.abs  # one name (prefix match), prints failures
    python -m tools.doc_examples --json /tmp/doc.json  # every docstring's outcome
    python -m tools.doc_examples --check               # fail if a docstring listed as passing fails

Regenerating writes docs/doc-examples.md and PASSING_LIST, the docstrings that pass; `--check`
(run by tests/conformance/test_doc_examples.py in CI) fails when one of those stops passing.

Docstrings run in PySpark's test time zone (America/Los_Angeles), each with fresh globals
(the functions module's names, ``spark``, ``sc`` and ``df`` where PySpark's test sets one up),
each under a time limit.
"""

from __future__ import annotations

import argparse
import contextlib
import doctest
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC_OUT = ROOT / "docs" / "doc-examples.md"
PASSING_LIST = ROOT / "tests" / "conformance" / "doc_examples_passing.txt"
TIME_LIMIT_S = 60
# Files PySpark's examples read relative to SPARK_HOME, where its doctests run (the repository's
# python/test_support), written into the scratch directory the examples run in.
TEST_SUPPORT = {
    "python/test_support/sql/ages_newlines.csv": (
        'Joe,20,"Hi,\nI am Jeo"\nTom,30,"My name is Tom"\nHyukjin,25,"I am Hyukjin\n\n'
        'I love Spark!"\n'
    ),
}

# (label, module, attribute or None for module-level functions)
TARGETS: list[tuple[str, str, str | None]] = [
    ("functions", "pyspark.sql.functions.builtin", None),
    ("DataFrame", "pyspark.sql.dataframe", "DataFrame"),
    ("Column", "pyspark.sql.column", "Column"),
    ("GroupedData", "pyspark.sql.group", "GroupedData"),
    ("Window", "pyspark.sql.window", "Window"),
    ("WindowSpec", "pyspark.sql.window", "WindowSpec"),
    ("DataFrameReader", "pyspark.sql.readwriter", "DataFrameReader"),
    ("DataFrameWriter", "pyspark.sql.readwriter", "DataFrameWriter"),
    ("DataFrameWriterV2", "pyspark.sql.readwriter", "DataFrameWriterV2"),
    ("SparkSession", "pyspark.sql.session", "SparkSession"),
    ("Catalog", "pyspark.sql.catalog", "Catalog"),
    ("DataFrameNaFunctions", "pyspark.sql.dataframe", "DataFrameNaFunctions"),
    ("DataFrameStatFunctions", "pyspark.sql.dataframe", "DataFrameStatFunctions"),
    ("Row", "pyspark.sql.types", "Row"),
    ("PandasGroupedOps", "pyspark.sql.pandas.group_ops", "PandasGroupedOpsMixin"),
    ("PandasCogroupedOps", "pyspark.sql.pandas.group_ops", "PandasCogroupedOps"),
]


def _module_globals(module: types.ModuleType) -> dict[str, list[str]]:
    """Where each name of a PySpark module comes from, so kaspar's equivalent can stand in."""
    where: dict[str, list[str]] = {}
    for name, obj in vars(module).items():
        if name.startswith("__"):
            continue
        if isinstance(obj, types.ModuleType):
            where[name] = [obj.__name__, ""]
        elif getattr(obj, "__module__", None) and getattr(obj, "__qualname__", None):
            where[name] = [obj.__module__, obj.__qualname__]
    return where


def dump_docstrings() -> dict[str, Any]:
    """In a process where the real pyspark is importable: every public docstring with examples,
    and the globals of each module, which PySpark's own doctest run gives its examples."""
    import importlib
    import inspect

    out: list[dict[str, str]] = []
    module_globals: dict[str, dict[str, list[str]]] = {}
    module_files: dict[str, str] = {}
    ignore_detail: list[str] = []
    for label, module_name, attr in TARGETS:
        module = importlib.import_module(module_name)
        module_globals[label] = _module_globals(module)
        module_files[label] = str(module.__file__)  # an example's ``__file__``
        test = getattr(module, "_test", None)  # the module's own doctest run and its flags
        if test is not None and "IGNORE_EXCEPTION_DETAIL" in inspect.getsource(test):
            ignore_detail.append(label)
        if attr is None:
            names = [
                n
                for n, obj in vars(module).items()
                if not n.startswith("_")
                and inspect.isfunction(obj)
                and obj.__module__ == module_name
            ]
            owner: Any = module
        else:
            owner = getattr(module, attr)
            names = [n for n in vars(owner) if not n.startswith("_")]
        for name in sorted(names):
            obj = getattr(owner, name, None)
            if isinstance(obj, property):
                obj = obj.fget
            doc = inspect.getdoc(obj) if obj is not None else None
            if doc and ">>>" in doc:
                out.append({"label": label, "name": name, "doc": doc})
    return {
        "docs": out,
        "globals": module_globals,
        "files": module_files,
        "ignore_exception_detail": ignore_detail,
    }


def _load_docstrings(cache: Path) -> dict[str, Any]:
    if not cache.exists():
        code = (
            "import json, sys; from tools.doc_examples import dump_docstrings; "
            "json.dump(dump_docstrings(), sys.stdout)"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        )
        cache.write_text(proc.stdout)
    loaded: dict[str, Any] = json.loads(cache.read_text())
    return loaded


class _TimeLimit(Exception):
    pass


def _alarm(_signum: int, _frame: types.FrameType | None) -> None:
    raise _TimeLimit(f"example ran past {TIME_LIMIT_S} s")


def _resolve_globals(where: dict[str, list[str]]) -> dict[str, Any]:
    """kaspar's stand-ins for a PySpark module's globals (with ``kaspar.activate()`` in effect);
    names kaspar has no equivalent for are left out, so an example using them fails visibly."""
    import importlib

    globs: dict[str, Any] = {}
    for name, (source, qualname) in where.items():
        functions = source.startswith("pyspark.sql.functions")
        module_name = "pyspark.sql.functions" if functions else source
        try:
            obj: Any = importlib.import_module(module_name)
            for part in qualname.split(".") if qualname else ():
                obj = getattr(obj, part)
        except (ImportError, AttributeError):
            continue
        globs[name] = obj
    return globs


def _globals(spark: Any, base: dict[str, Any], file: str | None = None) -> dict[str, Any]:
    globs = dict(base)
    if file is not None:
        globs["__file__"] = file  # PySpark's doctests run with their module's globals
    globs["spark"] = spark
    globs["sc"] = getattr(spark, "sparkContext", None)
    return globs


def run(loaded: dict[str, Any], only: str | None) -> list[dict[str, Any]]:
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    import kaspar

    kaspar.activate()
    from kaspar.sql import SparkSession

    spark = (
        SparkSession.builder.appName("doc-examples")
        .master("local[4]")  # as PySpark's doctests run
        .config("spark.sql.session.timeZone", "America/Los_Angeles")
        .getOrCreate()
    )
    bases = {label: _resolve_globals(where) for label, where in loaded["globals"].items()}
    entries: list[dict[str, str]] = loaded["docs"]
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    parser = doctest.DocTestParser()
    results: list[dict[str, Any]] = []
    signal.signal(signal.SIGALRM, _alarm)
    for entry in entries:
        key = f"{entry['label']}.{entry['name']}"
        if only and not key.startswith(only):
            continue
        # PySpark tests each module in a process of its own: one warehouse per module here,
        # so a table one module's examples leave behind is not in another's catalog
        warehouse = Path.cwd() / "spark-warehouse" / entry["label"]
        spark.conf.set("spark.sql.warehouse.dir", str(warehouse))
        globs = _globals(spark, bases[entry["label"]], loaded["files"].get(entry["label"]))
        test = parser.get_doctest(entry["doc"], globs, key, None, 0)
        detail = entry["label"] in loaded["ignore_exception_detail"]
        runner = doctest.DocTestRunner(
            optionflags=flags | doctest.IGNORE_EXCEPTION_DETAIL if detail else flags
        )
        report = io.StringIO()
        signal.alarm(TIME_LIMIT_S)
        try:
            with contextlib.redirect_stderr(io.StringIO()):
                outcome = runner.run(test, out=report.write, clear_globs=True)
        except _TimeLimit as exc:
            outcome = doctest.TestResults(failed=1, attempted=len(test.examples))
            report.write(str(exc))
        finally:
            signal.alarm(0)
        for view in spark.catalog.listTables():
            if getattr(view, "isTemporary", False):
                with contextlib.suppress(Exception):
                    spark.catalog.dropTempView(view.name)
        results.append(
            {
                "key": key,
                "label": entry["label"],
                "examples": outcome.attempted,
                "failed": outcome.failed,
                "report": report.getvalue()[:4000],
            }
        )
    return results


def write_report(results: list[dict[str, Any]], path: Path) -> None:
    by_label: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        by_label.setdefault(r["label"], []).append(r)
    passed = sum(1 for r in results if r["failed"] == 0)
    share = 100.0 * passed / max(len(results), 1)
    lines = [
        "# PySpark's documentation examples, run on kaspar",
        "",
        "Generated by `python -m tools.doc_examples`: every docstring of PySpark "
        f"{_pyspark_version()} with examples, run unchanged on kaspar (`kaspar.activate()`) "
        "and compared as PySpark's own doctest run compares (ellipsis, whitespace normalised). "
        "A docstring passes when all its examples print what PySpark's documentation shows.",
        "",
        f"**{passed} of {len(results)} docstrings pass ({share:.1f} %)**",
        "",
        "| API | docstrings | pass | examples failing |",
        "|---|---:|---:|---|",
    ]
    for label, items in by_label.items():
        ok = sum(1 for r in items if r["failed"] == 0)
        failing = ", ".join(f"`{r['key'].split('.', 1)[1]}`" for r in items if r["failed"])
        lines.append(f"| {label} | {len(items)} | {ok} | {failing or 'none'} |")
    path.write_text("\n".join(lines) + "\n")


def _pyspark_version() -> str:
    from importlib.metadata import version

    return version("pyspark")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="run docstrings whose key (e.g. functions.abs) starts with this")
    ap.add_argument("--json", type=Path, help="write every docstring's outcome here")
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "kaspar-doc-examples-v5.json",
        help="where the extracted docstrings are kept between runs",
    )
    ap.add_argument(
        "--check",
        action="store_true",
        help=f"fail when a docstring named in {PASSING_LIST.name} no longer passes",
    )
    args = ap.parse_args(argv)
    home = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="kaspar-doc-examples-") as scratch:
        os.chdir(scratch)  # examples write tables and files relative to the working directory
        for name, text in TEST_SUPPORT.items():
            Path(name).parent.mkdir(parents=True, exist_ok=True)
            Path(name).write_text(text)
        try:
            loaded = _load_docstrings(args.cache)
            results = run(loaded, args.only)
            if args.check:
                results = _retry_broken(loaded, results)
        finally:
            os.chdir(home)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    if args.check:
        return _check(results)
    if args.only:
        for r in results:
            if r["failed"]:
                print(r["report"])
        print(f"{sum(1 for r in results if not r['failed'])} of {len(results)} pass")
    else:
        write_report(results, DOC_OUT)
        passing = sorted(r["key"] for r in results if not r["failed"])
        PASSING_LIST.write_text("\n".join(passing) + "\n")
        print(next(line for line in DOC_OUT.read_text().splitlines() if line.startswith("**")))
    return 0


def _retry_broken(loaded: dict[str, Any], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run once more each expected docstring that failed: a row order that DuckDB's threads
    choose (a group-by without ORDER BY) can differ from run to run, as Spark's can; one that
    fails twice is broken."""
    expected = set(PASSING_LIST.read_text().split())
    by_key = {r["key"]: r for r in results}
    for key in sorted(k for k in expected if k in by_key and by_key[k]["failed"]):
        again = [r for r in run(loaded, key) if r["key"] == key]
        if again and not again[0]["failed"]:
            print(f"== {key} failed once, passed when run again")
            by_key[key] = again[0]
    return list(by_key.values())


def _check(results: list[dict[str, Any]]) -> int:
    expected = set(PASSING_LIST.read_text().split())
    outcome = {r["key"]: r for r in results}
    broken = sorted(k for k in expected if k not in outcome or outcome[k]["failed"])
    for key in broken:
        print(f"== {key} no longer passes")
        print(outcome[key]["report"] if key in outcome else "(no such docstring any more)")
    now = sum(1 for r in results if not r["failed"])
    print(f"{now} of {len(results)} docstrings pass; {len(expected)} are expected to")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
