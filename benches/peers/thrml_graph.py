#!/usr/bin/env python3
"""THRML (PyPI `thrml`) block Gibbs throughput on an edge-list graph, for BENCHMARKS.md.

Random normal biases and weights (numpy seed), beta = 1, blocks from a greedy colouring, `--chains`
parallel chains (jax.vmap over per-chain keys), hinton_init. Prints flips/ns (node updates per ns),
JIT compile time excluded, best of `--repeats` timed runs.

    python thrml_graph.py --graph ../../data/pegasus14.edges --chains 64 --sweeps 50
    python thrml_graph.py --torus 256 --chains 64 --sweeps 50
"""

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np
import thrml
from thrml import Block, SamplingSchedule, SpinNode, sample_states
from thrml.models import IsingEBM, IsingSamplingProgram, hinton_init

from graphs import greedy_colouring, read_edges, torus_edges


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--graph", help="edge-list file")
    source.add_argument("--torus", type=int, help="side of a periodic square lattice")
    p.add_argument("--chains", type=int, default=64)
    p.add_argument("--sweeps", type=int, default=50)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    n, edges = read_edges(args.graph) if args.graph else torus_edges(args.torus)
    name = args.graph or f"torus {args.torus}x{args.torus}"
    rng = np.random.default_rng(args.seed)
    nodes = [SpinNode() for _ in range(n)]
    model = IsingEBM(
        nodes,
        [(nodes[a], nodes[b]) for a, b in edges],
        jnp.asarray(rng.standard_normal(n), jnp.float32),
        jnp.asarray(rng.standard_normal(len(edges)), jnp.float32),
        jnp.array(1.0, jnp.float32),
    )
    colours = greedy_colouring(n, edges)
    blocks = [Block([nodes[v] for v in c]) for c in colours]
    program = IsingSamplingProgram(model, blocks, clamped_blocks=[])
    schedule = SamplingSchedule(n_warmup=args.sweeps, n_samples=1, steps_per_sample=1)

    key = jax.random.key(args.seed)
    k_init, k_run = jax.random.split(key)
    init = hinton_init(k_init, model, blocks, (args.chains,))
    keys = jax.random.split(k_run, args.chains)

    def run(keys, init):
        one = lambda k, s0: sample_states(k, program, schedule, s0, [], [blocks[0]])
        return jax.vmap(one)(keys, init)

    t0 = time.perf_counter()
    compiled = jax.jit(run).lower(keys, init).compile()
    compile_s = time.perf_counter() - t0
    best = float("inf")
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(compiled(keys, init))
        best = min(best, time.perf_counter() - t0)
    flips = args.sweeps * n * args.chains
    print(f"thrml {thrml.__version__} jax {jax.__version__} backend {jax.default_backend()}")
    print(f"graph {name}: {n} nodes, {len(edges)} edges, {len(colours)} colours; chains {args.chains}, "
          f"sweeps {args.sweeps}; compile {compile_s:.2f} s, run (best of {args.repeats}) {best:.3f} s")
    print(f"flips_per_ns={flips / best / 1e9:.4f}")


if __name__ == "__main__":
    main()
