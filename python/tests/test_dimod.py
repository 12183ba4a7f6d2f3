"""ising_wgpu.dimod's sampler against dimod's exact solver, in both vartypes, with dwave-samplers'
parameters."""

import numpy as np
import pytest

dimod = pytest.importorskip("dimod")

from ising_wgpu.dimod import SimulatedAnnealingSampler  # noqa: E402
from conftest import BACKENDS  # noqa: E402


def random_bqm(n, seed, vartype):
    rng = np.random.default_rng(seed)
    linear = {f"v{i}": float(rng.normal()) for i in range(n)}
    quadratic = {(f"v{i}", f"v{j}"): float(rng.normal()) for i in range(n) for j in range(i + 1, n) if rng.random() < 0.5}
    return dimod.BinaryQuadraticModel(linear, quadratic, 0.75, vartype)


@pytest.mark.parametrize("vartype", ["SPIN", "BINARY"])
@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: "gpu" if b.is_gpu else "cpu")
def test_the_sampler_finds_the_exact_ground_state_and_reports_bqm_energies(vartype, backend):
    sampler = SimulatedAnnealingSampler(backend=backend)
    for seed in range(3):
        bqm = random_bqm(12, seed, vartype)
        ground = dimod.ExactSolver().sample(bqm).first.energy
        for rule in ["Metropolis", "Gibbs"]:
            sampleset = sampler.sample(bqm, num_reads=32, num_sweeps=500, seed=seed, proposal_acceptance_criteria=rule)
            assert len(sampleset) == 32 and sampleset.vartype is bqm.vartype
            assert np.allclose(sampleset.record.energy, bqm.energies(sampleset))
            assert sampleset.first.energy == pytest.approx(ground)


def test_parameters_mirror_dwave_samplers():
    bqm = random_bqm(6, 1, "SPIN")
    sampler = SimulatedAnnealingSampler(backend="cpu")
    assert set(sampler.parameters) >= {"num_reads", "num_sweeps", "beta_range", "beta_schedule_type", "seed", "initial_states"}
    one = sampler.sample(bqm)
    assert len(one) == 1
    custom = sampler.sample(bqm, num_reads=4, beta_schedule_type="custom", beta_schedule=[0.1, 0.5, 1.0, 2.0], seed=3)
    assert custom.info["beta_range"] == (pytest.approx(0.1), pytest.approx(2.0))
    linear = sampler.sample(bqm, num_reads=4, beta_range=(0.2, 4.0), beta_schedule_type="linear", seed=3)
    assert linear.info["beta_schedule_type"] == "linear"
    same = sampler.sample(bqm, num_reads=4, beta_range=(0.2, 4.0), beta_schedule_type="linear", seed=3)
    assert np.array_equal(linear.record.sample, same.record.sample)
    # Reverse annealing from given states, kept at a cold beta: they stay or improve.
    start = dimod.ExactSolver().sample(bqm).first.sample
    cold = sampler.sample(bqm, num_reads=2, initial_states=start, beta_schedule_type="custom", beta_schedule=[20.0] * 10)
    assert cold.first.energy == pytest.approx(bqm.energy(start))
    with pytest.raises(ValueError, match="beta_schedule_type 'cubic'"):
        sampler.sample(bqm, beta_schedule_type="cubic")
    # The rules draw other numbers from one seed; an unknown rule is named.
    gibbs = sampler.sample(bqm, num_reads=4, beta_range=(0.2, 4.0), beta_schedule_type="linear", seed=3,
                           proposal_acceptance_criteria="Gibbs", num_sweeps=3)
    metropolis = sampler.sample(bqm, num_reads=4, beta_range=(0.2, 4.0), beta_schedule_type="linear", seed=3, num_sweeps=3)
    assert not np.array_equal(gibbs.record.sample, metropolis.record.sample)
    with pytest.raises(ValueError, match="proposal_acceptance_criteria 'Glauber'"):
        sampler.sample(bqm, proposal_acceptance_criteria="Glauber")
    with pytest.raises(TypeError, match="unexpected keyword argument 'num_sweep'"):
        sampler.sample(bqm, num_sweep=10)
