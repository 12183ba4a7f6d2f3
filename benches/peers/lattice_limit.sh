#!/usr/bin/env bash
# The CPU-limit rows of BENCHMARKS.md: our lattice and site-packed paths against the hand-written C heat
# bath (../shared/peers/msc_heatbath_indep.c, built here into target/, not copied), alternating with it
# round by round so that both see the same machine; then THRML and dwave-samplers once.
#   PEER_PYTHON=V/bin/python ROUNDS=3 benches/peers/lattice_limit.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PEER_PYTHON:-python3}
peers=../shared/peers
rounds=${ROUNDS:-3}
. benches/peers/lattice_peers.sh
cargo build --release -q --bin ising
ising() { target/release/ising "$@" --json 2>/dev/null | tr ',' '\n' | grep -E 'flips_per_ns|backend"' | tr '\n' ' '; echo; }
c_peer
for round in $(seq "$rounds"); do
  echo "== round $round: 256 x 256 at beta_c"
  peer 256 500 0.44068679
  ising bench --lattice 2d --size 256 --chains 64 --beta 0.44068679 --sweeps 500 --backend cpu
  ising bench --lattice 2d --size 256 --chains 64 --beta 0.44068679 --sweeps 200 --backend gpu
  ising bench --lattice 2d --size 256 --chains 1024 --beta 0.44068679 --sweeps 40 --backend cpu
  ising bench --lattice 3d --size 64 --chains 64 --beta 0.2216544 --sweeps 50 --backend cpu
  echo "== round $round: 4096 x 4096 at beta_c (the peer: 64 lattices, ours: one, site-packed)"
  peer 4096 10 0.44068679
  ising bench --lattice 2d --size 4096 --chains 1 --beta 0.44068679 --sweeps 20 --backend cpu
  ising bench --lattice 2d --size 4096 --chains 1 --beta 0.44068679 --sweeps 10 --backend gpu
  ising bench --lattice 2d --size 256 --chains 1 --beta 0.44068679 --sweeps 1000 --backend cpu
done
thrml_lattice 64 200
dwave_lattice
