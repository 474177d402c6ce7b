#!/usr/bin/env bash
# The main job on the embedded default: set up, simulate the world if there is none, import it
# into SQLite, train and register the model, create the demo users, start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
M=.venv/bin/matcher
WORLD=${MATCHER_WORLD_DIR:-worlds/default}
if [ ! -f "$WORLD/citizens.csv" ]; then
  $M simulate --out "$WORLD"
fi
$M import "$WORLD"
$M train
$M evaluate --truth "$WORLD"
$M demo-users
if [ "${MATCHER_NO_APP:-0}" != "1" ]; then
  $M serve --port "${MATCHER_PORT:-8501}"
fi
