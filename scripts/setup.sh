#!/usr/bin/env bash
# Create .venv (if missing) and install kaspar into it in editable mode.
#   ./scripts/setup.sh          kaspar and its runtime dependencies
#   ./scripts/setup.sh test     plus the test extras (pytest, kafka clients, ruff, mypy, ...)
# Idempotent: pip runs again only when pyproject.toml or the extras change.
set -euo pipefail
cd "$(dirname "$0")/.."

extras="${1:-}"
python="${PYTHON:-python3}"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else return 1
    fi
}

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "kaspar needs Python >= 3.11; $python is $("$python" --version 2>&1)" >&2
    exit 1
fi

if [ ! -x .venv/bin/python ]; then
    if ! "$python" -m venv .venv 2>/dev/null; then
        # Debian ships venv/ensurepip separately.
        rm -rf .venv
        version="$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        as_root apt-get update -qq
        as_root apt-get install -y -qq "python${version}-venv" || as_root apt-get install -y -qq python3-venv
        "$python" -m venv .venv
    fi
fi

target="."
[ -n "$extras" ] && target=".[${extras}]"
stamp=".venv/.kaspar-install-${extras:-base}"
# pyproject.toml, setup.py and the C sources: a change to any of them reinstalls (and rebuilds).
wanted="$(cat pyproject.toml setup.py src/kaspar/protocol/*.c | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e "$target"
    echo "$wanted" > "$stamp"
fi
