#!/usr/bin/env bash
# Installs tslab (the TypeScript Jupyter kernel) into .tslab/, outside the project's own
# dependencies: its bundled TypeScript 5.0 would otherwise take over the `tsc` bin. With
# --register it also registers the kernel with Jupyter for this user, to open the notebooks,
# using the Python in $PYTHON (default python3), which needs Jupyter installed.
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --prefix .tslab --no-audit --no-fund --no-save tslab@1.0.22 >/dev/null
if [ "${1:-}" = "--register" ]; then
  python="${PYTHON:-python3}"
  if ! found="$(command -v "$python")"; then
    echo "setup-tslab: --register: expected a Python with Jupyter, found no '$python' on PATH; choose one with PYTHON=/path/to/python $0 --register" >&2
    exit 1
  fi
  echo "setup-tslab: registering the kernel with Jupyter through $found (choose another with PYTHON=/path/to/python)"
  if ! .tslab/node_modules/.bin/tslab install --python="$python" --binary "$PWD/.tslab/node_modules/.bin/tslab"; then
    echo "setup-tslab: --register: $found could not register the kernel (is Jupyter installed for it? try '$python -m pip install jupyter'); choose another Python with PYTHON=/path/to/python $0 --register" >&2
    exit 1
  fi
fi
echo "$(.tslab/node_modules/.bin/tslab --version) in .tslab/"
