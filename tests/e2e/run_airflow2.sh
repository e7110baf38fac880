#!/usr/bin/env bash
# The test suite and the example DAGs on Airflow 2.11 (make test-airflow2; CI runs it too).
#   1. .venv-airflow2: apache-airflow==2.11.2 + providers http/common-compat + this package -e .[test]
#      (airflow pinned in the same pip command so nothing upgrades it), rebuilt when setup.cfg or
#      pyproject.toml change.
#   2. pytest -q -m "not e2e" -n 2 (unit + integration tests, two workers)
#   3. pytest tests/e2e/test_e2e_cli.py tests/e2e/test_e2e_ui.py -m e2e   (providers list, import errors,
#      connections test, `airflow dags test` of every example DAG against the fake space, in a throwaway
#      AIRFLOW_HOME with `airflow db migrate` first -- the same code make e2e runs on Airflow 3; and the
#      webserver's connection form in headless Chromium: falsy extras survive an edit).
set -uo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
VENV=${VENV2:-.venv-airflow2}
AIRFLOW2_VERSION=${AIRFLOW2_VERSION:-2.11.2}
start=$(date +%s)

if [ ! -f "$VENV/.installed" ] || [ setup.cfg -nt "$VENV/.installed" ] || [ pyproject.toml -nt "$VENV/.installed" ]; then
    t0=$(date +%s)
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV" || exit 2
    "$VENV/bin/pip" install -q --upgrade pip || exit 2
    "$VENV/bin/pip" install -q "apache-airflow==$AIRFLOW2_VERSION" apache-airflow-providers-http \
        apache-airflow-providers-common-compat -e ".[test]" || exit 2
    touch "$VENV/.installed"
    echo "run_airflow2: venv built in $(( $(date +%s) - t0 ))s"
fi

installed=$("$VENV/bin/python" -c "from importlib.metadata import version as v; print(v('apache-airflow'))")
if [ "$installed" != "$AIRFLOW2_VERSION" ]; then
    echo "run_airflow2: $VENV has apache-airflow $installed, expected $AIRFLOW2_VERSION (pip upgraded it?)" >&2
    exit 2
fi
echo "run_airflow2: apache-airflow $installed; $("$VENV/bin/python" -c "
from importlib.metadata import version as v
print(', '.join(f'{p} {v(p)}' for p in ('apache-airflow-providers-http', 'apache-airflow-providers-common-compat', 'fastapi', 'uvicorn', 'starlette', 'pydantic', 'sqlalchemy', 'flask')))")"
echo "run_airflow2: pip check: $("$VENV/bin/pip" check 2>&1 | tr '\n' ';')"

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    echo "run_airflow2: installing Debian chromium and chromium-driver ..."
    SUDO=""
    if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null || exit 2
fi
if ! "$VENV/bin/python" -c "import selenium" 2>/dev/null; then
    echo "run_airflow2: installing selenium into $VENV (browser test of the connection form)"
    "$VENV/bin/pip" install -q selenium || exit 2
fi

export PATH="$PWD/$VENV/bin:$PATH"
t0=$(date +%s)
"$VENV/bin/python" -m pytest -q -m "not e2e" -n 2 -p no:cacheprovider
unit_rc=$?
unit_s=$(( $(date +%s) - t0 ))

t0=$(date +%s)
mkdir -p build/e2e-screenshots
"$VENV/bin/python" -m pytest tests/e2e/test_e2e_cli.py tests/e2e/test_e2e_messaging.py tests/e2e/test_e2e_ui.py tests/e2e/test_e2e_tokens.py tests/e2e/test_e2e_retention.py tests/e2e/test_e2e_fax.py -m e2e -q -p no:cacheprovider -rfEs
cli_rc=$?
cli_s=$(( $(date +%s) - t0 ))

echo "run_airflow2: Airflow $installed: unit+integration rc=$unit_rc (${unit_s}s), CLI + dags test + UI form rc=$cli_rc (${cli_s}s), total $(( $(date +%s) - start ))s"
[ "$unit_rc" = 0 ] && [ "$cli_rc" = 0 ]
