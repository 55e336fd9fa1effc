#!/usr/bin/env bash
# Set up .venv, install kaspar, run `kaspar demo` (extra arguments are passed on).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/kaspar demo "$@"
