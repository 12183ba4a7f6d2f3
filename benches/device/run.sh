#!/usr/bin/env bash
# On a GPU machine, from the repository root with device-bin/ (benches/device/prepare.sh) carried:
# the GPU tests, then the throughput table of BENCHMARKS.md's configurations, into $OUT (or ./device-out).
#   bash benches/device/run.sh
set -uo pipefail
out=${OUT:-device-out}
mkdir -p "$out"
bin=device-bin
export ISING_REQUIRE_GPU=1
{
  echo "== $(date -u) on $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi')"
  echo "== ising devices"
  "$bin/ising" devices 2>&1
  echo "== GPU tests"
  for t in gpu gpu_app adapters site_packed physics; do (cd "$bin" && "./$t" --test-threads 1 2>&1 | grep -E "test result|FAILED|panicked"); done
  echo "== ising bench (json lines)"
  b() { "$bin/ising" bench "$@" --backend gpu --json 2>/dev/null || echo "{\"failed\": \"$*\"}"; }
  b --lattice 2d --size 256 --chains 64 --beta 0.44068679 --sweeps 2000
  b --lattice 2d --size 256 --chains 1024 --beta 0.44068679 --sweeps 400
  b --lattice 2d --size 1024 --chains 1024 --beta 0.44068679 --sweeps 50
  b --lattice 3d --size 64 --chains 1024 --beta 0.2216544 --sweeps 50
  b --lattice 2d --size 16384 --chains 1 --beta 0.44068679 --sweeps 200
  b --lattice 2d --size 32768 --chains 1 --beta 0.44068679 --sweeps 50
  b --lattice 3d --size 1024 --chains 1 --beta 0.2216544 --sweeps 20
  b --graph "$bin/data/pegasus14.edges" --chains 1024 --sweeps 500
  b --graph "$bin/data/pegasus14.edges" --chains 8192 --sweeps 100
  echo "== cargo bench --bench kernels"
  (cd "$bin" && ./kernels --bench 2>&1 | grep -E "^[a-z].*/|thrpt")
} 2>&1 | tee "$out/device-run.txt"
