#!/usr/bin/env bash
# Runs our sampler and training benchmarks and THRML on the same configurations, one after the other, on this
# machine: the numbers for BENCHMARKS.md. THRML needs a virtualenv outside the crate:
#   python3 -m venv V && V/bin/pip install thrml && PEER_PYTHON=V/bin/python benches/peers/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
python=${PEER_PYTHON:-python3}
echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== ising-wgpu: cargo bench --bench sampler"
cargo bench --bench sampler 2>&1 | grep -E "flips/ns|adapter"
for chains in 64 1024; do
  sweeps=$(( chains == 64 ? 50 : 4 ))
  echo "== THRML: torus 256x256, $chains chains, $sweeps sweeps"
  "$python" benches/peers/thrml_graph.py --torus 256 --chains "$chains" --sweeps "$sweeps" | tail -1
  sweeps=$(( chains == 64 ? 200 : 20 ))
  echo "== THRML: pegasus P14, $chains chains, $sweeps sweeps"
  "$python" benches/peers/thrml_graph.py --graph data/pegasus14.edges --chains "$chains" --sweeps "$sweeps" | tail -1
done
echo "== ising-wgpu: cargo bench --bench training"
cargo bench --bench training 2>&1 | grep -E "steps/s|adapter"
for config in digits pegasus; do
  echo "== THRML: estimate_kl_grad, $config"
  (cd benches/peers && "$python" thrml_kl_grad.py "$config" | tail -1)
done
echo "== ising-wgpu: J = 1 torus (exact fields: the CPU's counting path), ising bench"
for backend in cpu gpu; do
  cargo run --release -q --bin ising -- bench --lattice 2d --size 256 --chains 64 --beta 0.44068679 --sweeps 200 --backend "$backend" --json 2>/dev/null
done
if [ -f ../shared/peers/thrml_ising_peer.py ]; then
  echo "== THRML: J = 1 torus, ../shared/peers/thrml_ising_peer.py"
  "$python" ../shared/peers/thrml_ising_peer.py ising --L 256 --beta 0.44068679 --chains 64 --sweeps 200 --samples 1 --repeats 2 | grep per_sec
fi
