#!/usr/bin/env bash
# Runs our benchmarks and the peers (THRML on JAX CPU, dwave-samplers) on the same configurations, one
# after the other on this machine: the numbers for BENCHMARKS.md. The peers need a virtualenv outside
# the crate:
#   python3 -m venv V && V/bin/pip install thrml dwave-samplers dimod numpy
#   PEER_PYTHON=V/bin/python benches/peers/run.sh
# The lattice peers' scripts are ../shared/peers/thrml_ising_peer.py and dwave_peer.py (not copied here).
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PEER_PYTHON:-python3}
peers=../shared/peers
. benches/peers/lattice_peers.sh
ising() { cargo run --release -q --bin ising -- "$@" --json 2>/dev/null; }
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

echo "== general path: cargo bench --bench sampler (random normal couplings)"
cargo bench --bench sampler 2>&1 | grep -E "flips/ns|adapter"
for chains in 64 1024; do
  sweeps=$(( chains == 64 ? 50 : 4 ))
  echo "== THRML: torus 256x256 normal, $chains chains, $sweeps sweeps"
  "$python" benches/peers/thrml_graph.py --torus 256 --chains "$chains" --sweeps "$sweeps" | tail -1
  sweeps=$(( chains == 64 ? 200 : 20 ))
  echo "== THRML: pegasus P14 normal, $chains chains, $sweeps sweeps"
  "$python" benches/peers/thrml_graph.py --graph data/pegasus14.edges --chains "$chains" --sweeps "$sweeps" | tail -1
done

echo "== lattice path: J = 1 torus 256x256 at beta_c, 64 and 1024 chains; 3D 64^3, 64 chains"
for backend in cpu gpu; do
  ising bench --lattice 2d --size 256 --chains 64 --beta 0.44068679 --sweeps 200 --backend "$backend"
  ising bench --lattice 2d --size 256 --chains 1024 --beta 0.44068679 --sweeps 40 --backend "$backend"
  ising bench --lattice 3d --size 64 --chains 64 --beta 0.2216544 --sweeps 20 --backend "$backend"
done
thrml_lattice 64 200
thrml_lattice 1024 40

echo "== site-packed: one J = 1 lattice at beta_c, 256^2, 1024^2, 4096^2, 128^3"
for backend in cpu gpu; do
  ising bench --lattice 2d --size 256 --chains 1 --beta 0.44068679 --sweeps 1000 --backend "$backend"
  ising bench --lattice 2d --size 1024 --chains 1 --beta 0.44068679 --sweeps 200 --backend "$backend"
  ising bench --lattice 2d --size 4096 --chains 1 --beta 0.44068679 --sweeps 10 --backend "$backend"
  ising bench --lattice 3d --size 128 --chains 1 --beta 0.2216544 --sweeps 10 --backend "$backend"
done
thrml_lattice 1 200
dwave_lattice

echo "== training: cargo bench --bench training"
cargo bench --bench training 2>&1 | grep -E "steps/s|adapter"
for config in digits pegasus; do
  echo "== THRML: estimate_kl_grad, $config"
  (cd benches/peers && "$python" thrml_kl_grad.py "$config" | tail -1)
done
