"""THRML's Ising API (``thrml`` and ``thrml.models``) on ising-wgpu's samplers, as a drop-in.

Names, argument order, shapes, dtypes (bool spins, True = +1) and return layouts are THRML's. The
differences: ``key`` is an int, a ``key(seed)`` (``split`` splits it) or a JAX key when jax is
installed; leading batch axes of initial states are chains, run natively (no ``jax.vmap``), and the
results gain the same leading axes; blocks are checked for independence (THRML does not check).
Arrays in are anything numpy takes (JAX arrays too); arrays out are numpy.

>>> from ising_wgpu.thrml import Block, IsingEBM, IsingSamplingProgram, SamplingSchedule, SpinNode
>>> from ising_wgpu.thrml import hinton_init, sample_states, key, split
>>> nodes = [SpinNode() for _ in range(5)]
>>> edges = [(nodes[i], nodes[i + 1]) for i in range(4)]
>>> model = IsingEBM(nodes, edges, [0.0] * 5, [0.5] * 4, 1.0)
>>> free_blocks = [Block(nodes[::2]), Block(nodes[1::2])]
>>> program = IsingSamplingProgram(model, free_blocks, clamped_blocks=[])
>>> k_init, k_samp = split(key(0), 2)
>>> init_state = hinton_init(k_init, model, free_blocks, ())
>>> schedule = SamplingSchedule(n_warmup=100, n_samples=1000, steps_per_sample=2)
>>> samples = sample_states(k_samp, program, schedule, init_state, [], [Block(nodes)])
>>> samples[0].shape, samples[0].dtype
((1000, 5), dtype('bool'))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence, Union

import numpy as np

from . import _core

__all__ = [
    "Block",
    "IsingEBM",
    "IsingSamplingProgram",
    "IsingTrainingSpec",
    "Key",
    "SamplingSchedule",
    "SpinNode",
    "estimate_kl_grad",
    "estimate_moments",
    "hinton_init",
    "key",
    "sample_states",
    "set_backend",
    "split",
]

_MASK64 = (1 << 64) - 1
_backend: Any = None


def set_backend(backend: Union[str, "_core.Backend"]) -> None:
    """Chooses where this module's samplers run: "auto" (the default), "cpu", "gpu" or a Backend."""
    global _backend
    _backend = backend if isinstance(backend, _core.Backend) else _core.Backend(backend)


def _get_backend() -> "_core.Backend":
    global _backend
    if _backend is None:
        _backend = _core.Backend("auto")
    return _backend


@dataclass(frozen=True)
class Key:
    """A random key: a 64-bit seed of the samplers' Philox streams (``split`` derives new ones)."""

    seed: int


def key(seed: int) -> Key:
    """The key of ``seed``, as ``jax.random.key(seed)``."""
    return Key(int(seed) & _MASK64)


def _seed(k: Any) -> int:
    """The 64-bit seed of an int, a Key or a JAX key."""
    if isinstance(k, Key):
        return k.seed
    if isinstance(k, (int, np.integer)):
        return int(k) & _MASK64
    try:
        import jax

        data = np.asarray(jax.random.key_data(k), dtype=np.uint64).ravel()
    except Exception as e:  # not a JAX key either
        raise TypeError(f"a key must be an int, ising_wgpu.thrml.key(seed) or a JAX key, not {type(k).__name__}") from e
    seed = 0
    for word in data:
        seed = ((seed << 32) | int(word)) & _MASK64
    return seed


def split(k: Any, num: int = 2) -> tuple:
    """``num`` new keys derived from ``k``, as ``jax.random.split``."""
    children = np.random.SeedSequence(_seed(k)).spawn(num)
    return tuple(Key(int(c.generate_state(1, np.uint64)[0])) for c in children)


class SpinNode:
    """A spin variable, identified by the object itself."""

    __slots__ = ()


class Block:
    """Nodes sampled together; a block's nodes must be independent (no edge inside it)."""

    __slots__ = ("nodes",)

    def __init__(self, nodes: Sequence[Any]) -> None:
        self.nodes = tuple(nodes)
        if self.nodes and len({type(n) for n in self.nodes}) != 1:
            raise ValueError("All nodes in a block must be of the same type")

    def __len__(self) -> int:
        return len(self.nodes)

    def __iter__(self):
        return iter(self.nodes)

    def __getitem__(self, index):
        return self.nodes[index]

    def __add__(self, other: "Block") -> "Block":
        return Block(self.nodes + tuple(other.nodes))

    def __repr__(self) -> str:
        return f"Block({len(self.nodes)} nodes)"


@dataclass(frozen=True)
class SamplingSchedule:
    """``n_warmup`` sweeps, then ``n_samples`` samples ``steps_per_sample`` sweeps apart."""

    n_warmup: int
    n_samples: int
    steps_per_sample: int

    @property
    def _core(self) -> "_core.SamplingSchedule":
        return _core.SamplingSchedule(int(self.n_warmup), int(self.n_samples), int(self.steps_per_sample))


class IsingEBM:
    """``E(s) = -beta (sum_i b_i s_i + sum_(i,j) J_ij s_i s_j)`` over ``nodes`` and ``edges``."""

    def __init__(self, nodes: Sequence[Any], edges: Sequence[tuple], biases: Any, weights: Any, beta: Any):
        self.nodes = list(nodes)
        self.edges = list(edges)
        self.biases = np.asarray(biases, dtype=np.float32)
        self.weights = np.asarray(weights, dtype=np.float32)
        self.beta = np.asarray(beta, dtype=np.float32)
        self._index = {node: i for i, node in enumerate(self.nodes)}
        if len(self._index) != len(self.nodes):
            raise ValueError("a node appears twice in nodes")
        pairs = np.array([[self.index(a, "edges"), self.index(b, "edges")] for a, b in self.edges], dtype=np.int64)
        self._model = _core.IsingModel(len(self.nodes), pairs.reshape(-1, 2), self.weights, self.biases, float(self.beta))
        self._edge_index = {}
        for k, (i, j) in enumerate(pairs.tolist()):
            self._edge_index[(i, j)] = k
            self._edge_index[(j, i)] = k

    @property
    def ising_model(self) -> "_core.IsingModel":
        """The model as the core's ``IsingModel`` (nodes numbered in the order of ``nodes``)."""
        return self._model

    def index(self, node: Any, where: str = "a block") -> int:
        """The position of ``node`` in ``nodes``."""
        try:
            return self._index[node]
        except (KeyError, TypeError):
            raise ValueError(f"{where} names a node that is not one of the model's nodes") from None

    def indices(self, nodes: Sequence[Any], where: str = "a block") -> np.ndarray:
        """The positions of ``nodes``."""
        try:
            return np.fromiter(map(self._index.__getitem__, nodes), dtype=np.int64, count=len(nodes))
        except (KeyError, TypeError):
            raise ValueError(f"{where} names a node that is not one of the model's nodes") from None

    def energy(self, state: Sequence[Any], blocks: Sequence[Block]) -> np.float32:
        """THRML's energy ``E(s)`` (beta included) of the block states ``state`` of ``blocks``."""
        spins = np.zeros(len(self.nodes), dtype=np.int8)
        seen = np.zeros(len(self.nodes), dtype=bool)
        for values, block in zip(state, blocks):
            idx = self.indices(block.nodes)
            spins[idx] = np.where(np.asarray(values, dtype=bool), 1, -1)
            seen[idx] = True
        if not seen.all():
            raise ValueError("the blocks do not cover every node of the model")
        return np.float32(self._model.energy(spins[None, :])[0])


def _flatten(blocks: Sequence[Any]) -> list:
    """Super blocks (a Block, or a tuple of Blocks sampled together) as their list of Blocks."""
    out = []
    for b in blocks:
        out.extend([b] if isinstance(b, Block) else list(b))
    return out


class IsingSamplingProgram:
    """``ebm`` with ``free_blocks`` (super blocks, sampled in order each sweep) and ``clamped_blocks``."""

    def __init__(self, ebm: IsingEBM, free_blocks: Sequence[Any], clamped_blocks: Sequence[Block]):
        self.ebm = ebm
        self.free_super_blocks = list(free_blocks)
        self.free_blocks = _flatten(free_blocks)
        self.clamped_blocks = list(clamped_blocks)
        groups = [
            np.concatenate([ebm.indices(b.nodes) for b in ([sb] if isinstance(sb, Block) else sb)]).tolist()
            for sb in self.free_super_blocks
        ]
        clamped = [i for b in self.clamped_blocks for i in ebm.indices(b.nodes).tolist()]
        self._program = _core.SamplingProgram(ebm._model, groups, clamped)
        self._free_idx = [ebm.indices(b.nodes) for b in self.free_blocks]
        self._clamped_idx = [ebm.indices(b.nodes) for b in self.clamped_blocks]


class IsingTrainingSpec:
    """The positive (data and conditioning clamped) and negative (conditioning clamped) programs and
    schedules of a KL-gradient estimate."""

    def __init__(
        self,
        ebm: IsingEBM,
        data_blocks: Sequence[Block],
        conditioning_blocks: Sequence[Block],
        positive_sampling_blocks: Sequence[Any],
        negative_sampling_blocks: Sequence[Any],
        schedule_positive: SamplingSchedule,
        schedule_negative: SamplingSchedule,
    ):
        self.ebm = ebm
        self.program_positive = IsingSamplingProgram(ebm, positive_sampling_blocks, list(data_blocks) + list(conditioning_blocks))
        self.program_negative = IsingSamplingProgram(ebm, negative_sampling_blocks, list(conditioning_blocks))
        self.schedule_positive = schedule_positive
        self.schedule_negative = schedule_negative


def hinton_init(k: Any, model: IsingEBM, blocks: Sequence[Block], batch_shape: tuple) -> list:
    """Each spin of each block up independently with probability ``sigmoid(beta * b_i)``: one bool
    array ``(*batch_shape, len(block))`` per block."""
    rng = np.random.Generator(np.random.Philox(_seed(k)))
    beta = float(model.beta)
    out = []
    for block in blocks:
        p = 1.0 / (1.0 + np.exp(-beta * model.biases[model.indices(block.nodes)].astype(np.float64)))
        out.append(rng.random((*tuple(batch_shape), len(block))) < p)
    return out


def _spins(values: Any) -> np.ndarray:
    """Bool (True = +1) or -1/+1 values as int8 spins."""
    a = np.asarray(values)
    return np.where(a, 1, -1).astype(np.int8) if a.dtype == np.bool_ else a.astype(np.int8)


def _ups(values: Any) -> np.ndarray:
    """Bool (True = +1) or -1/+1 values as bools, True for up."""
    a = np.asarray(values)
    return a if a.dtype == np.bool_ else a > 0


def _chains_state(program: IsingSamplingProgram, init_state_free: Sequence[Any], state_clamp: Sequence[Any]):
    """The batch shape, the chains x nodes initial spins (bool, True = up) and the clamp values of
    a call."""
    if len(init_state_free) != len(program.free_blocks):
        raise ValueError(f"init_state_free has {len(init_state_free)} arrays; the program has {len(program.free_blocks)} free blocks")
    if len(state_clamp) != len(program.clamped_blocks):
        raise ValueError(f"state_clamp has {len(state_clamp)} arrays; the program has {len(program.clamped_blocks)} clamped blocks")
    arrays = [_ups(a) for a in init_state_free]
    batch = arrays[0].shape[:-1] if arrays else ()
    chains = math.prod(batch)
    state = np.zeros((chains, len(program.ebm.nodes)), dtype=np.bool_)
    for k, (a, idx) in enumerate(zip(arrays, program._free_idx)):
        if a.shape != (*batch, len(idx)):
            raise ValueError(f"init_state_free[{k}] has shape {a.shape}; expected {(*batch, len(idx))}")
        state[:, idx] = a.reshape(chains, len(idx))
    clamp = None
    if program.clamped_blocks:
        parts = []
        for k, (a, idx) in enumerate(zip(state_clamp, program._clamped_idx)):
            a = _ups(a)
            if a.shape == (len(idx),):
                a = np.broadcast_to(a, (chains, len(idx)))
            elif a.shape == (*batch, len(idx)):
                a = a.reshape(chains, len(idx))
            else:
                raise ValueError(f"state_clamp[{k}] has shape {a.shape}; expected {(len(idx),)} or {(*batch, len(idx))}")
            parts.append(a)
        clamp = np.ascontiguousarray(np.concatenate(parts, axis=1))
        state[:, np.concatenate(program._clamped_idx)] = clamp
    return batch, state, clamp


def _sampler(k: Any, program: IsingSamplingProgram, state: np.ndarray, clamp: Any) -> "_core.Sampler":
    return _core.Sampler(
        program._program, state.shape[0], backend=_get_backend(), seed=_seed(k), init=state, clamp_values=clamp
    )


def sample_states(
    k: Any,
    program: IsingSamplingProgram,
    schedule: SamplingSchedule,
    init_state_free: Sequence[Any],
    state_clamp: Sequence[Any],
    nodes_to_sample: Sequence[Block],
) -> list:
    """The states of each block of ``nodes_to_sample`` at every sample point: one bool array
    ``(*batch, n_samples, len(block))`` per block."""
    batch, state, clamp = _chains_state(program, init_state_free, state_clamp)
    idx = [program.ebm.indices(b.nodes, "nodes_to_sample") for b in nodes_to_sample]
    flat = np.concatenate(idx) if idx else np.zeros(0, dtype=np.int64)
    samples = _sampler(k, program, state, clamp).sample(schedule._core, flat)
    # samples x chains x nodes -> chains x samples x nodes
    up = (samples > 0).swapaxes(0, 1)
    out, start = [], 0
    for i in idx:
        out.append(up[:, :, start : start + len(i)].reshape(*batch, schedule.n_samples, len(i)))
        start += len(i)
    return out


def _moments(k, program, schedule, state, clamp, node_idx, pairs):
    """Per-chain means of the spins of ``node_idx`` and the products of ``pairs`` (chains x ...)."""
    ebm = program.ebm
    edge_k = [ebm._edge_index.get((int(i), int(j))) for i, j in pairs]
    sampler = _sampler(k, program, state, clamp)
    if all(e is not None for e in edge_k):
        m = sampler.estimate_moments(schedule._core)
        nodes = m.chain_node_means[:, node_idx]
        edges = m.chain_edge_means[:, np.array(edge_k, dtype=np.int64)] if edge_k else np.zeros((state.shape[0], 0))
        return nodes.astype(np.float32), edges.astype(np.float32)
    # Some pair is not an edge of the model: from the samples.
    s = sampler.sample(schedule._core).astype(np.float32)
    nodes = s[:, :, node_idx].mean(axis=0)
    p = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    edges = (s[:, :, p[:, 0]] * s[:, :, p[:, 1]]).mean(axis=0)
    return nodes, edges


def estimate_moments(
    k: Any,
    first_moment_nodes: Sequence[Any],
    second_moment_edges: Sequence[tuple],
    program: IsingSamplingProgram,
    schedule: SamplingSchedule,
    init_state: Sequence[Any],
    clamped_data: Sequence[Any],
):
    """``(<s_i>, <s_i s_j>)`` over the schedule's samples, for each chain: arrays ``(*batch, nodes)``
    and ``(*batch, edges)``, float32."""
    ebm = program.ebm
    batch, state, clamp = _chains_state(program, init_state, clamped_data)
    node_idx = ebm.indices(first_moment_nodes, "first_moment_nodes")
    pairs = [(ebm.index(a, "second_moment_edges"), ebm.index(b, "second_moment_edges")) for a, b in second_moment_edges]
    nodes, edges = _moments(k, program, schedule, state, clamp, node_idx, pairs)
    return nodes.reshape(*batch, -1), edges.reshape(*batch, -1)


def estimate_kl_grad(
    k: Any,
    training_spec: IsingTrainingSpec,
    bias_nodes: Sequence[Any],
    weight_edges: Sequence[tuple],
    data: Sequence[Any],
    conditioning_values: Sequence[Any],
    init_state_positive: Sequence[Any],
    init_state_negative: Sequence[Any],
) -> tuple:
    """THRML's two-phase estimate of the KL gradient: ``(grad_w, grad_b, (moms_b_pos, moms_w_pos),
    (moms_b_neg, moms_w_neg))`` with ``grad = -beta (<.>_positive - <.>_negative)``; the positive
    moments are ``(n_chains_pos, batch, ...)`` (``(1, batch, ...)`` straight from the data when
    there are no positive chains), the negative ones ``(n_chains_neg, ...)``."""
    spec = training_spec
    ebm = spec.ebm
    key_pos, key_neg = split(k, 2)
    node_idx = ebm.indices(bias_nodes, "bias_nodes")
    pairs = [(ebm.index(a, "weight_edges"), ebm.index(b, "weight_edges")) for a, b in weight_edges]
    data = [_spins(d) for d in data]
    rows = data[0].shape[0]
    conditioning = [_spins(c) for c in conditioning_values]
    if len(init_state_positive) == 0:
        spins = data[0].astype(np.float32)
        position = {int(i): p for p, i in enumerate(node_idx)}
        ei = np.array([position[i] for i, _ in pairs], dtype=np.int64)
        ej = np.array([position[j] for _, j in pairs], dtype=np.int64)
        moms_b_pos = spins[None]
        moms_w_pos = (spins[:, ei] * spins[:, ej])[None]
    else:
        program = spec.program_positive
        first = np.asarray(init_state_positive[0])
        n_pos = first.shape[0]
        if first.shape[1] != rows:
            raise ValueError(f"init_state_positive has {first.shape[1]} rows per chain; data has {rows}")
        clamp_rows = [np.broadcast_to(d[None], (n_pos, *d.shape)) for d in data]
        clamp_rows += [np.broadcast_to(c, (n_pos, rows, c.shape[-1])) for c in conditioning]
        batch, state, clamp = _chains_state(program, init_state_positive, clamp_rows)
        nodes, edges = _moments(key_pos, program, spec.schedule_positive, state, clamp, node_idx, pairs)
        moms_b_pos = nodes.reshape(n_pos, rows, -1)
        moms_w_pos = edges.reshape(n_pos, rows, -1)
    program = spec.program_negative
    batch, state, clamp = _chains_state(program, init_state_negative, conditioning)
    moms_b_neg, moms_w_neg = _moments(key_neg, program, spec.schedule_negative, state, clamp, node_idx, pairs)
    moms_b_neg = moms_b_neg.reshape(*batch, -1)
    moms_w_neg = moms_w_neg.reshape(*batch, -1)
    beta = np.float32(ebm.beta)
    grad_b = -beta * (moms_b_pos.mean(axis=(0, 1), dtype=np.float32) - moms_b_neg.mean(axis=0, dtype=np.float32))
    grad_w = -beta * (moms_w_pos.mean(axis=(0, 1), dtype=np.float32) - moms_w_neg.mean(axis=0, dtype=np.float32))
    return grad_w, grad_b, (moms_b_pos, moms_w_pos), (moms_b_neg, moms_w_neg)
