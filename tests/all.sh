#!/usr/bin/env bash
# Every test: the Rust suite (`cargo test --release`), the runs under `mpirun` where Open MPI is
# installed (the `mpi` feature; ISING_REQUIRE_MPI=1 makes a missing mpirun a failure), then the
# Python package built and installed into a virtualenv (target/python-venv, or $ISING_VENV) and its
# pytest suite with the modules' doctests. README.md's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --release

if command -v mpirun >/dev/null && command -v mpicc >/dev/null; then
    cargo test --release --features mpi --test mpi
elif [ "${ISING_REQUIRE_MPI:-0}" = 1 ]; then
    echo "tests/all.sh: ISING_REQUIRE_MPI=1 but mpirun or mpicc is missing" >&2
    exit 1
else
    echo "tests/all.sh: notice: skipping the MPI tests (install libopenmpi-dev openmpi-bin libclang-dev to run them)" >&2
fi

venv="${ISING_VENV:-target/python-venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "./python[test]"
"$venv/bin/python" -m pytest -q python/tests
"$venv/bin/python" -m pytest -q --doctest-modules --pyargs ising_wgpu
