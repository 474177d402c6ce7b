#!/usr/bin/env bash
# Sets up everything the tests need (Python environment, Debian's Chromium for the browser test,
# a local PostgreSQL for the PostgreSQL tests) and runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/browser.sh
export MATCHER_TEST_PG_URL=${MATCHER_TEST_PG_URL:-$(bash scripts/postgres.sh | tail -n 1)}
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
exec .venv/bin/python -m pytest -q "$@"
