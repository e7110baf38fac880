#!/usr/bin/env bash
# The package as users install it (make wheel-check; CI runs it too):
#   1. python -m build: the sdist and the wheel into dist/ (build and twine go into .venv if missing)
#   2. twine check --strict on both
#   3. the wheel holds py.typed, LICENSE, the provider entry point, every module of the package and the
#      example DAGs (airflow_provider_signalwire/example_dags/), and no tests
#   4. a clean venv in a temporary directory: apache-airflow==$AIRFLOW_VERSION and the wheel[testing]
#      (pip's cache makes this about a minute)
#   5. from that directory (so the checkout is not importable): `airflow providers list` shows the
#      provider, the package is imported from the venv, and the demo runs from the installed package
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
VENV=${VENV:-$REPO/.venv}
PYTHON=${PYTHON:-python3}
AIRFLOW_VERSION=${AIRFLOW_VERSION:-3.3.2}
start=$(date +%s)
say() { echo "wheel-check: $* ($(( $(date +%s) - start ))s)"; }

if [ ! -x "$VENV/bin/python" ]; then
    echo "wheel-check: no venv at $VENV; run 'make venv' first" >&2
    exit 2
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/signalwire-wheel-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# Show a step's output only when it fails.
quiet() { local log="$WORK/step.log"; if ! "$@" >"$log" 2>&1; then cat "$log" >&2; return 1; fi; }

if ! "$VENV/bin/python" -c "import build, twine" 2>/dev/null; then
    say "installing build and twine into $VENV"
    quiet "$VENV/bin/pip" install -q build twine
fi

rm -rf dist
quiet "$VENV/bin/python" -m build --outdir dist .
WHEEL=$(ls dist/*.whl)
SDIST=$(ls dist/*.tar.gz)
say "built $(basename "$SDIST") and $(basename "$WHEEL")"

"$VENV/bin/twine" check --strict dist/*

"$VENV/bin/python" - "$WHEEL" <<'EOF'
import pathlib
import sys
import zipfile

wheel = sys.argv[1]
names = set(zipfile.ZipFile(wheel).namelist())
package = pathlib.Path("airflow_provider_signalwire")
expected = {p.as_posix() for p in package.rglob("*.py") if "__pycache__" not in p.parts}
expected |= {f"{package}/example_dags/{p.name}" for p in pathlib.Path("dags_examples").glob("*.py")}
expected |= {f"{package}/py.typed", f"{package}/example_dags/signalwire_video_rooms.py"}
problems = [f"missing {name}" for name in sorted(expected - names)]
if not any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith(".dist-info/LICENSE") for n in names):
    problems.append("missing LICENSE in .dist-info")
entry_points = next((n for n in names if n.endswith(".dist-info/entry_points.txt")), None)
if entry_points is None or "apache_airflow_provider" not in zipfile.ZipFile(wheel).read(entry_points).decode():
    problems.append("missing the apache_airflow_provider entry point")
tests = sorted(n for n in names if n.split("/")[0] in ("tests", "test") or n.endswith("conftest.py"))
problems += [f"carries test file {name}" for name in tests]
if problems:
    sys.exit("wheel-check: " + wheel + ":\n  " + "\n  ".join(problems))
print(f"wheel-check: {len(names)} files in the wheel: every module, py.typed, LICENSE, example DAGs, no tests")
EOF

say "installing apache-airflow==$AIRFLOW_VERSION and the wheel into a clean venv in $WORK"
"$PYTHON" -m venv "$WORK/venv"
quiet "$WORK/venv/bin/pip" install -q "apache-airflow==$AIRFLOW_VERSION" "$REPO/$WHEEL[testing]"
say "installed"

# From outside the checkout, with no ambient Airflow settings or PYTHONPATH.
cd "$WORK"
run() { env -u PYTHONPATH $(env | grep -o '^AIRFLOW[A-Z0-9_]*' | sed 's/^/-u /') \
    AIRFLOW_HOME="$WORK/airflow-home" AIRFLOW__CORE__LOAD_EXAMPLES=False "$@"; }

location=$(run "$WORK/venv/bin/python" -c "import airflow_provider_signalwire as p; print(p.__file__)")
case "$location" in
    "$WORK/venv/"*) echo "wheel-check: imported from the wheel: $location" ;;
    *) echo "wheel-check: airflow_provider_signalwire imported from $location, not the clean venv" >&2; exit 1 ;;
esac

providers=$(run "$WORK/venv/bin/airflow" providers list 2>&1) || { echo "$providers" >&2; exit 1; }
if ! grep -q "airflow-provider-signalwire" <<<"$providers"; then
    echo "$providers" >&2
    echo "wheel-check: airflow providers list does not show airflow-provider-signalwire" >&2
    exit 1
fi
echo "wheel-check: airflow providers list: $(grep "airflow-provider-signalwire" <<<"$providers" | tr -s ' ')"

say "the demo from the installed package"
run "$WORK/venv/bin/python" -m airflow_provider_signalwire.testing demo
say "passed"
