#!/usr/bin/env bash
# Stop everything the distributed deployment started (safe to run when nothing runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${DIST_VENV:-$PWD/build/.venv-dist}
exec "$VENV/bin/python" tests/distributed/deploy.py down
