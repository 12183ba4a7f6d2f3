#!/usr/bin/env bash
# The MPI rows of BENCHMARKS.md on one machine: one process with two threads against two ranks with one
# thread each (`mpirun -np 2`), chains over ranks and one lattice in slabs, alternating round by round
# with the hand-written C heat bath (../shared/peers/msc_heatbath_indep.c, built here into target/, not
# copied); then `cargo bench --features mpi --bench halo_exchange` once.
#   ROUNDS=3 benches/peers/mpi_ranks.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
peers=../shared/peers
rounds=${ROUNDS:-3}
. benches/peers/lattice_peers.sh
cargo build --release -q --features mpi --bin ising
row() { tr ',' '\n' | grep -E 'flips_per_ns|energy_per_site|"ranks' | tr '\n' ' '; echo; }
one() { target/release/ising "$@" --threads 2 --json 2>/dev/null | row; }
ranks() {
  mpirun --allow-run-as-root -np 2 target/release/ising "$@" --threads 1 --json 2>/dev/null | row
}
c_peer
for round in $(seq "$rounds"); do
  echo "== round $round: chains over ranks"
  peer 256 500 0.44068679
  for run in one ranks; do
    $run bench --lattice 2d --size 256 --chains 128 --sweeps 1000 --backend cpu
    $run bench --graph data/pegasus14.edges --chains 256 --sweeps 200 --backend cpu
  done
  echo "== round $round: one lattice in slabs (the peer: 64 lattices of 4096 x 4096)"
  peer 4096 10 0.44068679
  for run in one ranks; do
    $run bench --lattice 2d --size 4096 --chains 1 --beta 0.44068679 --sweeps 40 --backend cpu
    $run bench --lattice 2d --size 16384 --chains 1 --beta 0.44068679 --sweeps 4 --backend cpu
    $run bench --lattice 3d --size 256 --chains 1 --beta 0.2216544 --sweeps 10 --backend cpu
  done
done
cargo bench -q --features mpi --bench halo_exchange 2>/dev/null
