#!/usr/bin/env bash
# End-to-end checks in real Airflow (make e2e; CI runs it too):
#   CLI (providers list, import errors, connections test, dags test of one example DAG: the standalone
#   run below runs every one),
#   airflow standalone driven through the REST API, and the connection form in headless Chromium.
# Needs the main venv (make venv). Installs Debian chromium + chromium-driver itself if missing.
# The last line printed is pytest's summary.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
VENV=${VENV:-$REPO/.venv}
start=$(date +%s)

if [ ! -x "$VENV/bin/python" ]; then
    echo "run_e2e: no venv at $VENV; run 'make venv' first" >&2
    exit 2
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    echo "run_e2e: installing Debian chromium and chromium-driver ..."
    t0=$(date +%s)
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
    echo "run_e2e: chromium installed in $(( $(date +%s) - t0 ))s: $(/usr/bin/chromium --version 2>/dev/null || true)"
fi

if ! "$VENV/bin/python" -c "import selenium" 2>/dev/null; then
    echo "run_e2e: selenium missing from $VENV; installing the e2e extra"
    "$VENV/bin/pip" install -q -e ".[test,e2e]"
fi

if ! "$VENV/bin/python" -c "import sphinx, myst_parser, furo" 2>/dev/null; then
    echo "run_e2e: the docs group missing from $VENV; installing it (test_e2e_docs.py builds the site)"
    "$VENV/bin/pip" install -q --group docs
fi

mkdir -p build/e2e-screenshots
export PATH="$VENV/bin:$PATH"
echo "run_e2e: setup took $(( $(date +%s) - start ))s"
# -p no:cacheprovider: nothing written into the repo; -rfEs: a line per failure/error/skip at the end.
exec "$VENV/bin/python" -m pytest tests/e2e -m e2e -p no:cacheprovider -rfEs --durations=8 "$@"
