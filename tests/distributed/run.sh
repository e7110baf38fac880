#!/usr/bin/env bash
# The whole distributed check (make e2e-distributed): up.sh, the pytest suite in tests/distributed, down.
# Everything started is stopped on exit, failure or interruption (trap). Extra arguments go to pytest.
# The last lines are pytest's summary, the stage timings and the total time.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${DIST_VENV:-$PWD/build/.venv-dist}
t0=$(date +%s)
cleanup() {
    rc=$?
    if [ -x "$VENV/bin/python" ]; then "$VENV/bin/python" tests/distributed/deploy.py down || true; fi
    echo "run: total $(( $(date +%s) - t0 ))s (exit $rc)"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
bash tests/distributed/up.sh
t1=$(date +%s)
echo "run: deployment up in $(( t1 - t0 ))s"
DIST_E2E=1 "$VENV/bin/python" -m pytest tests/distributed -p no:cacheprovider -rfEs --durations=10 "$@"
echo "run: tests took $(( $(date +%s) - t1 ))s"
