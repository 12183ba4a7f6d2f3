"""THRML's Ising tutorial on ising-wgpu: the same code with ``ising_wgpu.thrml`` in place of
``thrml`` and integer keys in place of JAX's. Defines a 5-spin chain, samples it, and compares the
sampled nearest-neighbour correlation with the exact ``tanh(beta J)``; then estimates the KL gradient
of a 4-node model and prints it beside the exact gradient.

    python examples/python/thrml_tutorial.py
"""

import numpy as np

import ising_wgpu as iw
from ising_wgpu.thrml import (
    Block,
    IsingEBM,
    IsingSamplingProgram,
    IsingTrainingSpec,
    SamplingSchedule,
    SpinNode,
    estimate_kl_grad,
    hinton_init,
    key,
    sample_states,
    split,
)

# A chain of 5 spins, coupling 0.5, no field.
nodes = [SpinNode() for _ in range(5)]
edges = [(nodes[i], nodes[i + 1]) for i in range(4)]
model = IsingEBM(nodes, edges, np.zeros(5), np.full(4, 0.5), 1.0)
free_blocks = [Block(nodes[::2]), Block(nodes[1::2])]
program = IsingSamplingProgram(model, free_blocks, clamped_blocks=[])

k_init, k_samp = split(key(0), 2)
# A leading batch axis is chains, run natively (THRML would need jax.vmap).
init_state = hinton_init(k_init, model, free_blocks, (256,))
schedule = SamplingSchedule(n_warmup=100, n_samples=1000, steps_per_sample=2)
samples = sample_states(k_samp, program, schedule, init_state, [], [Block(nodes)])
spins = np.where(samples[0], 1.0, -1.0)  # chains x samples x nodes
print(f"samples: {samples[0].shape} {samples[0].dtype}")
print(f"<s_i s_i+1> = {(spins[..., :-1] * spins[..., 1:]).mean():.4f}   exact tanh(0.5) = {np.tanh(0.5):.4f}")

# The KL gradient of a 4-node chain whose nodes 0 and 2 are data (one data point, both down).
rng = np.random.default_rng(0)
nodes = [SpinNode() for _ in range(4)]
edges = [(nodes[0], nodes[1]), (nodes[1], nodes[2]), (nodes[2], nodes[3])]
biases, weights = rng.uniform(size=4), rng.uniform(size=3)
model = IsingEBM(nodes, edges, biases, weights, 1.0)
data_nodes, latent_nodes = [nodes[0], nodes[2]], [nodes[1], nodes[3]]
pos_blocks = [Block(latent_nodes)]
neg_blocks = [Block(latent_nodes), Block(data_nodes)]
sched = SamplingSchedule(n_warmup=100, n_samples=500, steps_per_sample=2)
spec = IsingTrainingSpec(model, [Block(data_nodes)], [], pos_blocks, neg_blocks, sched, sched)
data = [np.zeros((1, 2), dtype=bool)]
k, k_pos, k_neg = split(key(1), 3)
init_pos = hinton_init(k_pos, model, pos_blocks, (256, 1))
init_neg = hinton_init(k_neg, model, neg_blocks, (1024,))
grad_w, grad_b, _, _ = estimate_kl_grad(k, spec, nodes, edges, data, [], init_pos, init_neg)

exact = iw.exact_kl_grad(model.ising_model, [0, 2], np.array([[-1, -1]]))
np.set_printoptions(precision=4, suppress=True)
print(f"estimate_kl_grad  grad_w = {grad_w}  grad_b = {grad_b}")
print(f"exact             grad_w = {exact['grad_weights']}  grad_b = {exact['grad_biases']}")
