#!/usr/bin/env python3
"""The same THRML program run through ``thrml`` (JAX on the CPU) and through ``ising_wgpu.thrml``
(the CPU backend by default), one after the other in one process: the Python figures of
BENCHMARKS.md.

1. Pegasus P14 sampling: random normal biases and weights, beta 1, blocks from a greedy colouring,
   ``--chains`` chains from ``hinton_init``, ``sample_states`` of ``--sweeps`` warm-up sweeps and one
   sample of one block. THRML runs the chains with ``jax.vmap`` under ``jax.jit`` (compile excluded);
   ours takes the batch axis as chains. Prints flips/ns (node updates per ns), best of ``--repeats``.
2. ``estimate_kl_grad`` on the 4-node model of THRML's tests (data nodes 0 and 2, one data row):
   256 positive and 1024 negative chains, schedules of 100 warm-up sweeps and 500 samples 2 apart;
   THRML jitted (compile excluded). Prints seconds per gradient.
3. Call overhead: ``sample_states`` of one sample of one 5-node chain, no warm-up (THRML's first
   example), median of many calls; THRML both as written (no jit) and jitted.

    python benches/python/thrml_api.py [--backend cpu] [--chains 64] [--sweeps 200]
"""

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "peers"))
from graphs import greedy_colouring, read_edges  # noqa: E402


def best_of(repeats, f):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return min(times)


def median_call(f, calls):
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def thrml_lib():
    import jax
    import thrml
    from thrml import models

    class Lib:
        name = f"thrml {thrml.__version__} (jax {jax.__version__}, {jax.default_backend()})"
        SpinNode, Block, SamplingSchedule, sample_states = thrml.SpinNode, thrml.Block, thrml.SamplingSchedule, thrml.sample_states
        IsingEBM, IsingSamplingProgram, IsingTrainingSpec = models.IsingEBM, models.IsingSamplingProgram, models.IsingTrainingSpec
        hinton_init, estimate_kl_grad = models.hinton_init, models.estimate_kl_grad
        key, split = staticmethod(jax.random.key), staticmethod(jax.random.split)

        @staticmethod
        def batched(f, keys_of, n):
            """f(key, init) over n chains: jax.vmap under jax.jit, compiled before timing."""
            run = jax.jit(jax.vmap(f))
            return lambda k, init: jax.block_until_ready(run(keys_of(k, n), init))

        @staticmethod
        def jit(f):
            import equinox as eqx

            g = eqx.filter_jit(f)
            return lambda *a: jax.block_until_ready(g(*a))

    Lib.keys_of = staticmethod(lambda k, n: jax.random.split(k, n))
    return Lib


def ours_lib(backend):
    import ising_wgpu
    from ising_wgpu import thrml as t

    t.set_backend(backend)

    class Lib:
        name = f"ising_wgpu {ising_wgpu.__version__} ({ising_wgpu.Backend(backend).name})"
        SpinNode, Block, SamplingSchedule, sample_states = t.SpinNode, t.Block, t.SamplingSchedule, t.sample_states
        IsingEBM, IsingSamplingProgram, IsingTrainingSpec = t.IsingEBM, t.IsingSamplingProgram, t.IsingTrainingSpec
        hinton_init, estimate_kl_grad = t.hinton_init, t.estimate_kl_grad
        key, split = staticmethod(t.key), staticmethod(t.split)

        keys_of = None

        @staticmethod
        def batched(f, keys_of, n):
            """Leading batch axes are chains: no vmap."""
            return f

        @staticmethod
        def jit(f):
            return f

    return Lib


def pegasus(lib, args, n, edges, colours, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    nodes = [lib.SpinNode() for _ in range(n)]
    model = lib.IsingEBM(
        nodes, [(nodes[a], nodes[b]) for a, b in edges],
        np.asarray(rng.standard_normal(n), np.float32), np.asarray(rng.standard_normal(len(edges)), np.float32),
        np.float32(1.0),
    )
    blocks = [lib.Block([nodes[v] for v in c]) for c in colours]
    program = lib.IsingSamplingProgram(model, blocks, clamped_blocks=[])
    schedule = lib.SamplingSchedule(n_warmup=args.sweeps, n_samples=1, steps_per_sample=1)
    k_init, k_run = lib.split(lib.key(0), 2)
    init = lib.hinton_init(k_init, model, blocks, (args.chains,))
    run = lib.batched(lambda k, s0: lib.sample_states(k, program, schedule, s0, [], [blocks[0]]), lib.keys_of, args.chains)
    run(k_run, init)  # compile (THRML) / warm caches
    seconds = best_of(args.repeats, lambda: run(k_run, init))
    return args.sweeps * n * args.chains / seconds / 1e9, seconds


def kl_grad(lib, args):
    nodes = [lib.SpinNode() for _ in range(4)]
    data_nodes, latent_nodes = [nodes[0], nodes[2]], [nodes[1], nodes[3]]
    edges = [(nodes[0], nodes[1]), (nodes[1], nodes[2]), (nodes[2], nodes[3])]
    rng = np.random.default_rng(44)
    model = lib.IsingEBM(nodes, edges, rng.uniform(size=4).astype(np.float32), rng.uniform(size=3).astype(np.float32), np.float32(1.0))
    pos_blocks, neg_blocks = [lib.Block(latent_nodes)], [lib.Block(latent_nodes), lib.Block(data_nodes)]
    sched = lib.SamplingSchedule(n_warmup=100, n_samples=500, steps_per_sample=2)
    spec = lib.IsingTrainingSpec(model, [lib.Block(data_nodes)], [], pos_blocks, neg_blocks, sched, sched)
    data = [np.zeros((1, 2), dtype=bool)]
    k, k_pos, k_neg = lib.split(lib.key(1), 3)
    init_pos = lib.hinton_init(k_pos, model, pos_blocks, (256, 1))
    init_neg = lib.hinton_init(k_neg, model, neg_blocks, (1024,))
    grad = lib.jit(lambda k, ip, ineg: lib.estimate_kl_grad(k, spec, nodes, edges, data, [], ip, ineg)[:2])
    grad(k, init_pos, init_neg)  # compile
    return best_of(args.repeats, lambda: grad(k, init_pos, init_neg))


def overhead(lib, jitted, calls):
    nodes = [lib.SpinNode() for _ in range(5)]
    edges = [(nodes[i], nodes[i + 1]) for i in range(4)]
    model = lib.IsingEBM(nodes, edges, np.zeros(5, np.float32), np.full(4, 0.5, np.float32), np.float32(1.0))
    blocks = [lib.Block(nodes[::2]), lib.Block(nodes[1::2])]
    program = lib.IsingSamplingProgram(model, blocks, clamped_blocks=[])
    schedule = lib.SamplingSchedule(n_warmup=0, n_samples=1, steps_per_sample=1)
    k_init, k = lib.split(lib.key(0), 2)
    init = lib.hinton_init(k_init, model, blocks, ())
    call = lambda k, s0: lib.sample_states(k, program, schedule, s0, [], [lib.Block(nodes)])
    if jitted:
        call = lib.jit(call)
    call(k, init)
    return median_call(lambda: call(k, init), calls)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", default="cpu", help="ising_wgpu's backend: cpu, gpu or auto")
    p.add_argument("--chains", type=int, default=64)
    p.add_argument("--sweeps", type=int, default=200)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--graph", default="data/pegasus14.edges")
    p.add_argument("--skip-thrml", action="store_true", help="run ising_wgpu only")
    args = p.parse_args()

    n, edges = read_edges(args.graph)
    colours = greedy_colouring(n, edges)
    libs = [ours_lib(args.backend)] + ([] if args.skip_thrml else [thrml_lib()])
    for lib in libs:
        print(f"== {lib.name}")
        rate, seconds = pegasus(lib, args, n, edges, colours)
        print(f"pegasus P14 ({n} nodes, {len(colours)} colours), {args.chains} chains, {args.sweeps} sweeps: "
              f"{rate:.4f} flips/ns ({seconds:.3f} s)")
        print(f"estimate_kl_grad, 4-node model, 256 + 1024 chains, 1000 sweeps: {kl_grad(lib, args) * 1e3:.1f} ms")
        is_thrml = lib.name.startswith("thrml")
        calls = 20 if is_thrml else 2000
        print(f"sample_states call, 5-node chain, 1 sample: {overhead(lib, False, calls) * 1e6:.1f} us"
              + (f" (jitted: {overhead(lib, True, 200) * 1e6:.1f} us)" if is_thrml else ""))


if __name__ == "__main__":
    main()
