#!/usr/bin/env bash
# The main job: start the embedded sandbox and drive it with the official SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/stripekit demo "$@"
