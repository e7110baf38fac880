#!/usr/bin/env bash
# Start the distributed deployment (tests/distributed/README.md): installs Debian's postgresql and
# redis-server when missing (as root, or with sudo), builds build/.venv-dist when missing, then
# `deploy.py up`, which stops any earlier deployment first and stops everything it started on failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
VENV=${DIST_VENV:-$REPO/build/.venv-dist}
AIRFLOW_VERSION=${AIRFLOW_VERSION:-3.3.2}
PY=${PYTHON:-python3}
t0=$(date +%s)

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
missing=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
    echo "up: installing Debian packages: ${missing[*]} ..."
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts the packaged services on install; this deployment runs its own on free ports.
    $SUDO service redis-server stop >/dev/null 2>&1 || true
    $SUDO service postgresql stop >/dev/null 2>&1 || true
fi
if [ -z "${DIST_PG_BIN:-}" ]; then
    DIST_PG_BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1)")
    export DIST_PG_BIN
fi

if [ ! -f "$VENV/.installed" ]; then
    echo "up: building $VENV (Airflow $AIRFLOW_VERSION, celery, amazon[s3fs], openlineage, moto, this package) ..."
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    "$VENV/bin/pip" install -q "apache-airflow==$AIRFLOW_VERSION" apache-airflow-providers-celery "celery<5.7" \
        "apache-airflow-providers-amazon[s3fs]" apache-airflow-providers-openlineage \
        apache-airflow-providers-postgres psycopg2-binary asyncpg redis "moto[server]" -e ".[test]"
    touch "$VENV/.installed"
fi
echo "up: prerequisites ready in $(( $(date +%s) - t0 ))s"
exec "$VENV/bin/python" tests/distributed/deploy.py up
