"""A dimod sampler: simulated annealing of binary quadratic models on ising-wgpu, with the
parameters of dwave-samplers' ``SimulatedAnnealingSampler``.

>>> import dimod
>>> from ising_wgpu.dimod import SimulatedAnnealingSampler
>>> bqm = dimod.BinaryQuadraticModel({"a": -1.0}, {("a", "b"): 2.0}, 0.5, "BINARY")
>>> sampleset = SimulatedAnnealingSampler(backend="cpu").sample(bqm, num_reads=10, seed=1)
>>> float(sampleset.first.energy)
-0.5
"""

from __future__ import annotations

from typing import Any, Optional

import dimod
import numpy as np

from . import _core

__all__ = ["SimulatedAnnealingSampler"]


class SimulatedAnnealingSampler(dimod.Sampler):
    """Anneals ``num_reads`` independent reads for ``num_sweeps`` sweeps (block updates of the whole
    model per sweep, by ``proposal_acceptance_criteria``: "Metropolis", the default, or "Gibbs",
    the heat bath) through a ``linear``, ``geometric`` or ``custom`` beta schedule.

    Each read reports its lowest-energy state of the anneal (checked after every sweep), where
    dwave-samplers reports its last. ``backend`` ("auto", "cpu", "gpu" or a Backend) says where the
    reads run; reads are 32 to a machine word, so 32 cost about what 1 does.
    """

    parameters = {
        "beta_range": [],
        "num_reads": [],
        "num_sweeps": [],
        "beta_schedule_type": ["beta_schedule_options"],
        "beta_schedule": [],
        "seed": [],
        "initial_states": [],
        "initial_states_generator": [],
        "proposal_acceptance_criteria": [],
    }
    properties = {"beta_schedule_options": ("linear", "geometric", "custom")}

    def __init__(self, backend: Any = "auto") -> None:
        self.backend = backend if isinstance(backend, _core.Backend) else _core.Backend(backend)

    def sample(
        self,
        bqm: dimod.BinaryQuadraticModel,
        num_reads: Optional[int] = None,
        num_sweeps: Optional[int] = None,
        beta_range: Optional[tuple] = None,
        beta_schedule_type: str = "geometric",
        seed: Optional[int] = None,
        initial_states: Any = None,
        initial_states_generator: str = "random",
        beta_schedule: Any = None,
        proposal_acceptance_criteria: str = "Metropolis",
        **kwargs: Any,
    ) -> dimod.SampleSet:
        """Anneals ``bqm``; returns a SampleSet of ``num_reads`` reads in ``bqm``'s vartype, with the
        energies of ``bqm`` and ``info`` holding ``beta_range`` and ``beta_schedule_type``."""
        for name in kwargs:
            raise TypeError(f"sample() got an unexpected keyword argument '{name}'")
        labels = list(bqm.variables)
        if not labels:
            return dimod.SampleSet.from_samples([], bqm.vartype, energy=[])
        index = {v: i for i, v in enumerate(labels)}
        vartype = "SPIN" if bqm.vartype is dimod.SPIN else "BINARY"
        terms = [(index[v], index[v], float(b)) for v, b in bqm.linear.items() if b != 0]
        terms += [(index[u], index[v], float(b)) for (u, v), b in bqm.quadratic.items() if b != 0]
        problem = _core.Problem.quadratic(len(labels), vartype, terms, float(bqm.offset))

        initial = None
        if initial_states is not None:
            rows, given = dimod.as_samples(initial_states)
            position = {v: i for i, v in enumerate(given)}
            missing = [v for v in labels if v not in position]
            if missing:
                raise ValueError(f"initial_states has no value for variable {missing[0]!r}")
            order = [position[v] for v in labels]
            initial = np.asarray(rows)[:, order].astype(np.int8)
            if initial_states_generator not in ("random", "none", "tile"):
                raise ValueError(f"initial_states_generator '{initial_states_generator}' is none of 'none', 'tile' and 'random'")
        if num_reads is None:
            num_reads = 1 if initial is None else initial.shape[0]
        if initial is not None and initial.shape[0] != num_reads:
            if initial_states_generator == "tile":
                initial = np.resize(initial, (num_reads, initial.shape[1]))
            elif initial.shape[0] != 1:
                raise ValueError(f"{initial.shape[0]} initial states for {num_reads} reads; give one, one per read, or initial_states_generator='tile'")

        if beta_schedule_type == "custom":
            if beta_schedule is None:
                raise ValueError("beta_schedule_type 'custom' needs a beta_schedule")
            schedule = [float(b) for b in beta_schedule]
            if num_sweeps is not None and num_sweeps != len(schedule):
                raise ValueError(f"num_sweeps {num_sweeps} differs from the custom beta_schedule's length {len(schedule)}")
        elif beta_schedule_type in ("linear", "geometric"):
            if beta_schedule is not None:
                raise ValueError("beta_schedule is only for beta_schedule_type 'custom'")
            hot, cold = beta_range if beta_range is not None else _core.default_schedule(problem.model)
            schedule = f"{beta_schedule_type}:{float(hot)}:{float(cold)}"
        else:
            raise ValueError(f"beta_schedule_type '{beta_schedule_type}' is none of 'linear', 'geometric' and 'custom'")
        rules = {"Metropolis": "metropolis", "Gibbs": "heat-bath"}
        if proposal_acceptance_criteria not in rules:
            raise ValueError(f"proposal_acceptance_criteria '{proposal_acceptance_criteria}' is neither 'Metropolis' nor 'Gibbs'")
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])

        result = _core.anneal(
            problem,
            reads=int(num_reads),
            sweeps=None if num_sweeps is None else int(num_sweeps),
            schedule=schedule,
            seed=int(seed) & ((1 << 64) - 1),
            backend=self.backend,
            initial_states=initial,
            rule=rules[proposal_acceptance_criteria],
        )
        betas = np.asarray(result.betas)
        info = {
            "beta_range": (float(betas[0]), float(betas[-1])),
            "beta_schedule_type": beta_schedule_type,
            "backend": result.backend,
        }
        return dimod.SampleSet.from_samples(
            (np.asarray(result.states), labels), bqm.vartype, energy=np.asarray(result.energies), info=info
        )
