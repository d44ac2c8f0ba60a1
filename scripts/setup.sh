#!/usr/bin/env bash
# Creates .venv (once) and installs stripekit with its development tools into it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    echo "creating .venv with $("$PYTHON" --version)"
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.stripekit-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "installing stripekit and its dependencies into .venv"
    log=.venv/install.log
    # pip's output goes to a log, shown only if the install fails.
    if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
           .venv/bin/python -m pip install --disable-pip-version-check -e ".[dev]"; } >"$log" 2>&1; then
        cat "$log"
        echo "install failed (log: $log)" >&2
        exit 1
    fi
    touch "$stamp"
fi
