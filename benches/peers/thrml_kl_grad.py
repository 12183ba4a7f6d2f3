#!/usr/bin/env python3
"""THRML (PyPI `thrml`) `estimate_kl_grad` steps per second, on the configurations of
`benches/training.rs`, for BENCHMARKS.md.

    python thrml_kl_grad.py digits     # 138 visible + 64 latent spins, 100 rows x 1 chain, 512 negative chains
    python thrml_kl_grad.py pegasus    # Pegasus P14, half observed, 16 rows x 64 chains, 1024 negative chains

Weights and biases uniform in (-0.5, 0.5), beta = 1; blocks from a greedy colouring. Prints gradient
steps per second, JIT compilation excluded (best of --repeats calls).
"""

import argparse
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
import thrml
from thrml import Block, SamplingSchedule, SpinNode
from thrml.models import IsingEBM, IsingTrainingSpec, estimate_kl_grad, hinton_init

from graphs import greedy_colouring, read_edges


def digits_config():
    visible, hidden, pixels = 138, 64, 128
    edges = [(v, visible + h) for v in range(visible) for h in range(hidden)]
    edges += [(v, pixels + l) for v in range(pixels) for l in range(10)]
    return visible + hidden, edges, list(range(visible)), 100, 1, 512, (1, 4, 1)


def pegasus_config():
    here = os.path.dirname(os.path.abspath(__file__))
    n, edges = read_edges(os.path.join(here, "..", "..", "data", "pegasus14.edges"))
    return n, edges, list(range(n // 2)), 16, 64, 1024, (10, 10, 1)


def colour_blocks(nodes, n, edges, members):
    members = set(members)
    sub = [(a, b) for a, b in edges if a in members and b in members]
    colours = greedy_colouring(n, sub)
    return [Block([nodes[v] for v in c if v in members]) for c in colours if any(v in members for v in c)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", choices=["digits", "pegasus"])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    n, edges, data_idx, rows, chains_per_row, neg_chains, (warmup, samples, steps) = (
        digits_config() if args.config == "digits" else pegasus_config())

    rng = np.random.default_rng(0)
    nodes = [SpinNode() for _ in range(n)]
    edge_nodes = [(nodes[a], nodes[b]) for a, b in edges]
    model = IsingEBM(nodes, edge_nodes, jnp.asarray(rng.uniform(-0.5, 0.5, n), jnp.float32),
                     jnp.asarray(rng.uniform(-0.5, 0.5, len(edges)), jnp.float32), jnp.array(1.0, jnp.float32))
    latent = [v for v in range(n) if v not in set(data_idx)]
    pos_blocks = colour_blocks(nodes, n, edges, latent)
    neg_blocks = colour_blocks(nodes, n, edges, range(n))
    schedule = SamplingSchedule(n_warmup=warmup, n_samples=samples, steps_per_sample=steps)
    spec = IsingTrainingSpec(model, [Block([nodes[v] for v in data_idx])], [], pos_blocks, neg_blocks, schedule, schedule)
    data = [jnp.asarray(rng.random((rows, len(data_idx))) < 0.5)]

    key = jax.random.key(0)
    k1, k2, k3 = jax.random.split(key, 3)
    init_pos = hinton_init(k1, model, pos_blocks, (chains_per_row, rows))
    init_neg = hinton_init(k2, model, neg_blocks, (neg_chains,))

    step = jax.jit(lambda k, d, ip, ineg: estimate_kl_grad(k, spec, nodes, edge_nodes, d, [], ip, ineg)[:2])
    t0 = time.perf_counter()
    jax.block_until_ready(step(k3, data, init_pos, init_neg))
    compile_s = time.perf_counter() - t0
    best = float("inf")
    for r in range(args.repeats):
        t0 = time.perf_counter()
        jax.block_until_ready(step(jax.random.fold_in(k3, r), data, init_pos, init_neg))
        best = min(best, time.perf_counter() - t0)
    print(f"thrml {thrml.__version__} jax {jax.__version__} backend {jax.default_backend()}")
    print(f"{args.config}: {n} nodes, {len(edges)} edges, {len(pos_blocks)}/{len(neg_blocks)} blocks, {rows} rows x "
          f"{chains_per_row} chains, {neg_chains} negative chains, schedule ({warmup}, {samples}, {steps}); "
          f"first call {compile_s:.1f} s")
    print(f"gradient_steps_per_s={1.0 / best:.3f}")


if __name__ == "__main__":
    main()
