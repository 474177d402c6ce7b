#!/usr/bin/env bash
# Sets up the Python environment in .venv (idempotent). PyTorch is pinned to the CPU build
# 2.13.0 first: any looser requirement would pull several GB of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "torch==2.13.0"
.venv/bin/python -m pip install -q -e ".[test]"
echo "environment ready: $(.venv/bin/python --version), matcher $(.venv/bin/python -c 'import matcher; print(matcher.__version__)')"
