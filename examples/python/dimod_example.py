"""MaxCut of a Gset graph with ising-wgpu's dimod sampler, the interface of dwave-samplers'
``SimulatedAnnealingSampler``: the graph as a dimod BQM, annealed on the CPU (or a GPU), the cut
read off the best sample.

    python examples/python/dimod_example.py [data/gset/G11.txt]
"""

import sys
import time

import dimod

from ising_wgpu.dimod import SimulatedAnnealingSampler

path = sys.argv[1] if len(sys.argv) > 1 else "data/gset/G11.txt"
with open(path) as f:
    n, _ = map(int, f.readline().split())
    edges = [tuple(int(x) for x in line.split()) for line in f if line.strip()]

# MaxCut as an Ising problem: minimise sum w s_i s_j; cut = (sum w - energy) / 2.
bqm = dimod.BinaryQuadraticModel({}, {(i - 1, j - 1): w for i, j, w in edges}, 0.0, "SPIN")
total = sum(w for _, _, w in edges)

sampler = SimulatedAnnealingSampler(backend="cpu")
start = time.perf_counter()
sampleset = sampler.sample(bqm, num_reads=64, num_sweeps=1000, seed=0)
seconds = time.perf_counter() - start
best = sampleset.first
print(f"{path}: {n} nodes, {len(edges)} edges")
print(f"best cut {(total - best.energy) / 2:.0f} of 64 reads x 1000 sweeps in {seconds:.2f} s ({sampleset.info['backend']})")
