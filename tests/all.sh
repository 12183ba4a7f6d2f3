#!/usr/bin/env bash
# Every test: the Rust suite (`cargo test --release`), then the Python package built and installed
# into a virtualenv (target/python-venv, or $ISING_VENV) and its pytest suite with the modules'
# doctests. README.md's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --release

venv="${ISING_VENV:-target/python-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "./python[test]"
"$venv/bin/python" -m pytest -q python/tests
"$venv/bin/python" -m pytest -q --doctest-modules --pyargs ising_wgpu
