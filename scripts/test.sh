#!/usr/bin/env bash
# The whole test suite: lint, then every test (both sandbox doors), with the OpenAPI checks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
exec .venv/bin/python -m pytest "$@"
