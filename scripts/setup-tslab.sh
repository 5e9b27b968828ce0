#!/usr/bin/env bash
# Installs tslab (the TypeScript Jupyter kernel) into .tslab/, outside the project's own
# dependencies: its bundled TypeScript 5.0 would otherwise take over the `tsc` bin. With
# --register it also registers the kernel with Jupyter for this user, to open the notebooks.
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --prefix .tslab --no-audit --no-fund --no-save tslab@1.0.22 >/dev/null
if [ "${1:-}" = "--register" ]; then
  .tslab/node_modules/.bin/tslab install --python="${PYTHON:-python3}" --binary "$PWD/.tslab/node_modules/.bin/tslab"
fi
echo "$(.tslab/node_modules/.bin/tslab --version) in .tslab/"
