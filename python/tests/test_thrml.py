"""ising_wgpu.thrml as a drop-in for THRML's Ising API: the three examples of THRML's Ising page
with only the import and key lines changed, and its estimators against exact enumeration."""

import itertools

import numpy as np
import pytest

import ising_wgpu as iw
from ising_wgpu import thrml
from conftest import BACKENDS

# As THRML's examples write `jnp`, with numpy in its place (the one changed import).
import numpy as jnp


@pytest.fixture(params=BACKENDS, ids=lambda b: "gpu" if b.is_gpu else "cpu", autouse=True)
def on_each_backend(request):
    thrml.set_backend(request.param)
    yield
    thrml.set_backend("cpu")


def test_example_1_define_a_chain():
    from ising_wgpu.thrml import Block, IsingEBM, IsingSamplingProgram, SpinNode

    nodes = [SpinNode() for _ in range(5)]
    edges = [(nodes[i], nodes[i + 1]) for i in range(4)]
    biases = jnp.zeros((5,))
    weights = jnp.ones((4,)) * 0.5
    beta = jnp.array(1.0)
    model = IsingEBM(nodes, edges, biases, weights, beta)

    free_blocks = [Block(nodes[::2]), Block(nodes[1::2])]
    program = IsingSamplingProgram(model, free_blocks, clamped_blocks=[])
    assert [len(b) for b in program.free_blocks] == [3, 2]
    # Blocks are checked for independence, which THRML does not do.
    with pytest.raises(ValueError, match="not independent"):
        IsingSamplingProgram(model, [Block(nodes[:2]), Block(nodes[2:])], clamped_blocks=[])


def test_example_2_sample_the_chain_with_hinton_init_and_sample_states():
    from ising_wgpu.thrml import Block, IsingEBM, IsingSamplingProgram, SamplingSchedule, SpinNode
    from ising_wgpu.thrml import hinton_init, sample_states

    nodes = [SpinNode() for _ in range(5)]
    edges = [(nodes[i], nodes[i + 1]) for i in range(4)]
    biases = jnp.zeros((5,))
    weights = jnp.ones((4,)) * 0.5
    beta = jnp.array(1.0)
    model = IsingEBM(nodes, edges, biases, weights, beta)
    free_blocks = [Block(nodes[::2]), Block(nodes[1::2])]
    program = IsingSamplingProgram(model, free_blocks, clamped_blocks=[])

    key = thrml.key(0)  # was jax.random.key(0)
    k_init, k_samp = thrml.split(key, 2)  # was jax.random.split(key, 2)
    init_state = hinton_init(k_init, model, free_blocks, ())
    schedule = SamplingSchedule(n_warmup=100, n_samples=1000, steps_per_sample=2)

    samples = sample_states(k_samp, program, schedule, init_state, [], [Block(nodes)])

    assert len(samples) == 1 and samples[0].shape == (1000, 5) and samples[0].dtype == np.bool_
    # The chain's nearest-neighbour correlation is tanh(beta J) exactly; the standard error of one
    # chain's correlated samples from the spread of the means of 20 batches of 50.
    s = np.where(samples[0], 1.0, -1.0)
    pairs = (s[:, :-1] * s[:, 1:]).mean(axis=1)
    batches = pairs.reshape(20, 50).mean(axis=1)
    se = batches.std(ddof=1) / np.sqrt(20)
    assert abs(pairs.mean() - np.tanh(0.5)) < 5 * se, (pairs.mean(), np.tanh(0.5), se)


def exact_kl_grad(b, w, beta, edges, data_idx, data_spins):
    """The exact gradient of THRML's 4-node test by brute force (independent of the library)."""
    n = len(b)
    states = np.array(list(itertools.product([-1.0, 1.0], repeat=n)))
    pair = np.stack([states[:, i] * states[:, j] for i, j in edges], axis=1)
    energy = -beta * (states @ b + pair @ w)
    p = np.exp(-energy - np.max(-energy))
    p /= p.sum()
    mask = np.all(states[:, data_idx] == data_spins[None, :], axis=1)
    pc = p * mask / (p * mask).sum()
    return -beta * (pc @ pair - p @ pair), -beta * (pc @ states - p @ states)


def test_example_3_the_kl_gradient_of_a_4_node_model_against_the_exact_gradient():
    from ising_wgpu.thrml import Block, IsingEBM, IsingTrainingSpec, SamplingSchedule, SpinNode
    from ising_wgpu.thrml import estimate_kl_grad, hinton_init

    rng = np.random.default_rng(44)  # was jax.random.split(key) and jax.random.uniform
    beta = jnp.array(1.0)
    nodes = [SpinNode() for _ in range(4)]
    data_nodes = [nodes[0], nodes[2]]
    latent_nodes = [nodes[1], nodes[3]]
    edges = [(nodes[0], nodes[1]), (nodes[1], nodes[2]), (nodes[2], nodes[3])]
    biases = rng.uniform(size=(4,)).astype(np.float32)
    weights = rng.uniform(size=(3,)).astype(np.float32)
    model = IsingEBM(nodes, edges, biases, weights, beta)

    pos_blocks = [Block(latent_nodes)]
    neg_blocks = [Block(latent_nodes), Block(data_nodes)]
    data = [jnp.zeros((1, 2), dtype=jnp.bool_)]
    sched = SamplingSchedule(n_warmup=100, n_samples=400, steps_per_sample=2)
    spec = IsingTrainingSpec(model, [Block(data_nodes)], [], pos_blocks, neg_blocks, sched, sched)

    key = thrml.key(3)
    key, sk = thrml.split(key)
    init_pos = hinton_init(sk, model, pos_blocks, (256, data[0].shape[0]))
    key, sk = thrml.split(key)
    init_neg = hinton_init(sk, model, neg_blocks, (1024,))
    grad_w, grad_b, pos, neg = estimate_kl_grad(key, spec, nodes, edges, data, [], init_pos, init_neg)

    assert grad_w.shape == (3,) and grad_b.shape == (4,) and grad_w.dtype == np.float32
    assert pos[0].shape == (256, 1, 4) and pos[1].shape == (256, 1, 3)
    assert neg[0].shape == (1024, 4) and neg[1].shape == (1024, 3)
    g_w, g_b = exact_kl_grad(biases.astype(float), weights.astype(float), 1.0, [(0, 1), (1, 2), (2, 3)], [0, 2], np.array([-1.0, -1.0]))
    # Standard errors from the spread of the per-chain moments THRML returns.
    se_w = np.sqrt(pos[1].reshape(256, -1).var(axis=0, ddof=1) / 256 + neg[1].var(axis=0, ddof=1) / 1024)
    se_b = np.sqrt(pos[0].reshape(256, -1).var(axis=0, ddof=1) / 256 + neg[0].var(axis=0, ddof=1) / 1024)
    assert np.all(np.abs(grad_w - g_w) < 5 * se_w + 1e-6), (grad_w, g_w, se_w)
    # Data nodes are clamped in the positive phase: their spread there is zero.
    assert np.all(np.abs(grad_b - g_b) < 5 * se_b + 1e-6), (grad_b, g_b, se_b)


def test_estimate_moments_per_chain_against_exact_with_clamping():
    from ising_wgpu.thrml import Block, IsingEBM, IsingSamplingProgram, SamplingSchedule, SpinNode
    from ising_wgpu.thrml import estimate_moments, hinton_init

    rng = np.random.default_rng(8)
    nodes = [SpinNode() for _ in range(9)]
    edges = [(nodes[i], nodes[j]) for i in range(9) for j in range(i + 1, 9) if rng.random() < 0.4]
    model = IsingEBM(nodes, edges, rng.normal(size=9) * 0.5, rng.normal(size=len(edges)) * 0.5, 1.0)
    clamped = Block([nodes[0]])
    free = [Block([n]) for n in nodes[1:]]  # one node a block: valid whatever the edges
    program = IsingSamplingProgram(model, free, [clamped])
    init = hinton_init(5, model, free, (128,))
    schedule = SamplingSchedule(50, 300, 1)
    node_m, edge_m = estimate_moments(7, nodes, edges, program, schedule, init, [np.array([True])])
    assert node_m.shape == (128, 9) and edge_m.shape == (128, len(edges))
    exact = iw.exact_moments(model.ising_model, {0: 1})
    for est, ex, what in [(node_m[:, 1:], exact["node_means"][1:], "nodes"), (edge_m, exact["edge_means"], "edges")]:
        se = est.std(axis=0, ddof=1) / np.sqrt(128)
        assert np.all(np.abs(est.mean(axis=0) - ex) < 5 * se + 1e-6), what
    assert np.all(node_m[:, 0] == 1.0)


def test_keys_are_ints_keys_or_jax_keys():
    assert thrml._seed(5) == 5 and thrml._seed(thrml.key(5)) == 5
    a, b = thrml.split(thrml.key(1))
    assert a != b and thrml.split(thrml.key(1)) == (a, b)
    with pytest.raises(TypeError, match="a key must be"):
        thrml._seed("seed")


def test_a_jax_key_is_taken_when_jax_is_installed():
    jax = pytest.importorskip("jax")
    k = jax.random.key(7)
    seed = thrml._seed(k)
    assert seed == thrml._seed(jax.random.key(7)) != thrml._seed(jax.random.key(8))
    nodes = [thrml.SpinNode() for _ in range(3)]
    model = thrml.IsingEBM(nodes, [(nodes[0], nodes[1]), (nodes[1], nodes[2])], [0.0] * 3, [0.5, 0.5], 1.0)
    blocks = [thrml.Block([nodes[0], nodes[2]]), thrml.Block([nodes[1]])]
    program = thrml.IsingSamplingProgram(model, blocks, [])
    init = thrml.hinton_init(k, model, blocks, (4,))
    a = thrml.sample_states(k, program, thrml.SamplingSchedule(2, 3, 1), init, [], [thrml.Block(nodes)])
    b = thrml.sample_states(seed, program, thrml.SamplingSchedule(2, 3, 1), init, [], [thrml.Block(nodes)])
    assert np.array_equal(a[0], b[0]) and a[0].shape == (4, 3, 3)
