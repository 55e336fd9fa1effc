#!/usr/bin/env bash
# Set up .venv, install kaspar with the examples' extras (vaderSentiment for the sentiment
# pipeline), run `kaspar demo` (extra arguments are passed on, e.g. --duration 0).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh examples
exec .venv/bin/kaspar demo "$@"
