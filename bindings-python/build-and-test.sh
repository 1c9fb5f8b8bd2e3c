#!/usr/bin/env bash
# Builds the anysctp wheel from source and runs the Python test suite in a
# fresh virtual environment (bindings-python/.venv-test, git-ignored).
# Idempotent: the venv is recreated and the wheel rebuilt on every run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
python="${PYTHON:-python3}"
venv="$here/.venv-test"
rm -rf "$venv" "$here/dist"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "maturin>=1.5,<2" pytest
# mypy is optional: the typing test skips without it.
"$venv/bin/pip" install --quiet mypy || echo "mypy not installable; typing test will be skipped"
"$venv/bin/maturin" build --release --quiet --out "$here/dist" -i "$venv/bin/python"
"$venv/bin/pip" install --quiet --force-reinstall "$here"/dist/anysctp-*.whl
cd "$here/tests"
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"
