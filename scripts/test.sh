#!/usr/bin/env bash
# Set up .venv with the test extras, install kcat and PostgreSQL (apt) if possible, then run
# lint, types, import contracts and the test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh test

# kcat for the kcat conformance tests; PostgreSQL (initdb, postgres) for the Connect CDC tests
missing=()
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq && apt-get install -y -qq "${missing[@]}" || echo "${missing[*]} not installed: their tests skip" >&2
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo apt-get update -qq && sudo apt-get install -y -qq "${missing[@]}" || echo "${missing[*]} not installed: their tests skip" >&2
    else
        echo "${missing[*]} missing and apt needs root: their tests skip" >&2
    fi
fi

echo "== ruff" && .venv/bin/ruff check src
echo "== mypy" && .venv/bin/mypy src
echo "== import contracts" && .venv/bin/lint-imports
# two workers (pytest-xdist), one per core: every test binds port 0 and writes under its own
# tmp_path, so they run side by side; loadfile keeps each module on one worker, in order
# (module-scoped servers start once; some modules' tests build on the ones before them).
# The suites that drive a PySpark JVM run in fresh workers of their own: py4j waits with
# select(), which fails once a worker has over 1,024 descriptors open, as long runs reach.
JVM_SUITES=(tests/conformance/pyspark tests/conformance/pyspark_streaming)
echo "== pytest" && .venv/bin/pytest tests -n 2 --dist loadfile \
    "${JVM_SUITES[@]/#/--ignore=}" "$@"
echo "== pytest (PySpark parity)" && .venv/bin/pytest "${JVM_SUITES[@]}" -n 2 --dist loadfile "$@"
