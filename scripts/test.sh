#!/usr/bin/env bash
# The whole test suite: lint, then every test (both sandbox doors), with the OpenAPI checks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The browser tests need Chromium; install it when missing and we can (root with apt-get).
# Best effort: quiet, logged, never fatal (the browser tests skip without it).
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing chromium for the browser tests (log: .venv/chromium-install.log)"
    { apt-get update -qq && apt-get install -y -qq chromium; } >.venv/chromium-install.log 2>&1 ||
        echo "chromium install failed; browser tests will skip" >&2
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
