"""Ising models (energy-based models of +/-1 spins) by block Gibbs sampling on any GPU wgpu reaches,
or on the CPU, with THRML's conventions: ``E(s) = -beta (sum_i b_i s_i + sum_k J_k s_i s_j)``.

The core (``IsingModel``, ``SamplingProgram``, ``SamplingSchedule``, ``Sampler``, exact
enumeration, KL gradients, annealing and tempering) is the Rust library's; ``ising_wgpu.thrml`` is
THRML's Ising API on top of it and ``ising_wgpu.dimod`` a dimod sampler (when dimod is installed).

>>> import ising_wgpu as iw
>>> model = iw.IsingModel(5, [(i, i + 1) for i in range(4)], [0.5] * 4, [0.0] * 5, beta=1.0)
>>> sampler = iw.Sampler(iw.SamplingProgram(model), 64, backend="cpu", seed=0)
>>> sampler.sample(iw.SamplingSchedule(100, 1000, 2), nodes=[0, 4]).shape
(1000, 64, 2)
"""

from ._core import (
    Annealed,
    Backend,
    IsingModel,
    Lattice,
    Moments,
    Problem,
    Sampler,
    SamplingProgram,
    SamplingSchedule,
    SitePackedLattice,
    SitePackedSampler,
    Tempered,
    TrainingSpec,
    __version__,
    anneal,
    default_schedule,
    estimate_kl_grad,
    exact_kl_grad,
    exact_moments,
    temper,
    train,
)

__all__ = [
    "Annealed",
    "Backend",
    "IsingModel",
    "Lattice",
    "Moments",
    "Problem",
    "Sampler",
    "SamplingProgram",
    "SamplingSchedule",
    "SitePackedLattice",
    "SitePackedSampler",
    "Tempered",
    "TrainingSpec",
    "__version__",
    "anneal",
    "default_schedule",
    "estimate_kl_grad",
    "exact_kl_grad",
    "exact_moments",
    "temper",
    "train",
]
