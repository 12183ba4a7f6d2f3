"""The core from Python: errors as exceptions naming the problem, sampling against exact
enumeration, identical draws on every backend, Ctrl-C, exact and sampled KL gradients."""

import os
import signal
import threading
import time

import numpy as np
import pytest

import ising_wgpu as iw
from conftest import BACKENDS, assert_within_5_se, random_model


def test_bad_models_raise_value_errors_naming_the_problem():
    with pytest.raises(ValueError, match="edge 0"):
        iw.IsingModel(3, [(0, 3)], [1.0], [0.0] * 3)
    with pytest.raises(ValueError, match="self-loop"):
        iw.IsingModel(3, [(1, 1)], [1.0], [0.0] * 3)
    with pytest.raises(ValueError, match="weights"):
        iw.IsingModel(3, [(0, 1)], [1.0, 2.0], [0.0] * 3)
    with pytest.raises(ValueError, match="edge 1 names node -2"):
        iw.IsingModel(3, [(0, 1), (-2, 1)], [1.0, 2.0], [0.0] * 3)
    with pytest.raises(ValueError, match="not a finite number"):
        iw.IsingModel(2, [(0, 1)], [float("nan")], [0.0] * 2)
    with pytest.raises(FileNotFoundError, match="no-such-model.json"):
        iw.IsingModel.read("no-such-model.json")
    model = iw.IsingModel(3, [(0, 1), (1, 2)], [1.0, 1.0], [0.0] * 3)
    with pytest.raises(ValueError, match="block 0 is not independent"):
        iw.SamplingProgram(model, [[0, 1], [2]])
    with pytest.raises(ValueError, match="backend 'tpu'"):
        iw.Sampler(iw.SamplingProgram(model), 32, backend="tpu")


def test_model_round_trips_through_json_and_energy_includes_beta():
    model = iw.IsingModel(3, [(0, 1), (1, 2)], [0.5, -0.25], [0.1, 0.0, -0.2], beta=2.0)
    again = iw.IsingModel.from_json(model.to_json())
    assert np.array_equal(again.edges, model.edges) and again.beta == 2.0
    s = np.array([[1, -1, 1]], dtype=np.int8)
    h = -(0.1 * 1 - 0.2 * 1 + 0.5 * -1 - 0.25 * -1)
    assert model.energy(s)[0] == pytest.approx(2.0 * h)
    assert model.energy(np.array([[True, False, True]]))[0] == pytest.approx(2.0 * h)


def test_sampled_moments_match_exact_enumeration(backend):
    model = random_model(10, 0.4, seed=3, beta=0.8)
    program = iw.SamplingProgram(model, clamped=[4])
    sampler = iw.Sampler(program, 256, backend=backend, seed=11, clamp_values=[[1]])
    sampler.sweep(100)
    m = sampler.estimate_moments(iw.SamplingSchedule(0, 400, 2))
    exact = iw.exact_moments(model, {4: 1})
    assert m.chains == 256 and m.samples_per_chain == 400
    assert_within_5_se(np.delete(m.node_means, 4), np.delete(m.node_stderr, 4), np.delete(exact["node_means"], 4), "nodes")
    assert_within_5_se(m.edge_means, m.edge_stderr, exact["edge_means"], "edges")


def test_every_backend_draws_the_same_spins():
    model = random_model(12, 0.3, seed=5)
    program = iw.SamplingProgram(model)
    runs = []
    for backend in BACKENDS:
        sampler = iw.Sampler(program, 70, backend=backend, seed=9)
        samples = sampler.sample(iw.SamplingSchedule(3, 4, 2))
        runs.append((samples, sampler.state()))
    for samples, state in runs[1:]:
        assert np.array_equal(samples, runs[0][0]) and np.array_equal(state, runs[0][1])
    assert runs[0][0].shape == (4, 70, 12) and runs[0][0].dtype == np.int8


def test_calls_continue_the_chains():
    model = random_model(8, 0.5, seed=1)
    program = iw.SamplingProgram(model)
    whole = iw.Sampler(program, 32, backend="cpu", seed=4).sample(iw.SamplingSchedule(5, 6, 3))
    parts = iw.Sampler(program, 32, backend="cpu", seed=4)
    parts.sweep(5)
    first = parts.sample(iw.SamplingSchedule(0, 3, 3))
    rest = parts.sample(iw.SamplingSchedule(3, 3, 3))
    assert np.array_equal(whole, np.concatenate([first, rest]))


@pytest.fixture
def python_sigint_handler():
    """Python's own SIGINT handler for the test, whatever the process inherited: a shell without job
    control starts a background job (`cmd &`) with SIGINT ignored, and Python then installs none, so
    the signal would be dropped and the long call below would never end."""
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, inherited)


def test_ctrl_c_stops_a_long_call_with_keyboard_interrupt(python_sigint_handler):
    lattice = iw.Lattice.square(64, 64)
    sampler = iw.Sampler(lattice.program(1.0, 0.0, 0.44), 64, backend="cpu")
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        sampler.sweep(10**9)
    assert time.monotonic() - start < 5.0
    # The sampler is still usable.
    assert sampler.state().shape == (64, 64 * 64)
    # Annealing and tempering stop between their runs of sweeps.
    program = lattice.program(1.0, 0.0, 0.44)
    for call in [
        lambda: iw.anneal(iw.Problem.from_model(program.model), reads=64, sweeps=10**7, backend="cpu"),
        lambda: iw.temper(program, [0.3, 0.44], iw.SamplingSchedule(10**7, 1, 1), backend="cpu"),
    ]:
        timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
        start = time.monotonic()
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            call()
        assert time.monotonic() - start < 5.0


def test_exact_and_sampled_kl_gradients_agree(backend):
    model = random_model(8, 0.5, seed=2, beta=1.0)
    data = np.array([[1, -1, 1], [-1, -1, 1], [1, 1, -1]], dtype=np.int8)
    exact = iw.exact_kl_grad(model, [0, 3, 5], data)
    schedule = iw.SamplingSchedule(50, 200, 1)
    spec = iw.TrainingSpec([0, 3, 5], positive=schedule, negative=schedule, chains_per_row=64, negative_chains=256)
    g = iw.estimate_kl_grad(model, spec, data, seed=1, backend=backend)
    assert_within_5_se(g["grad_weights"], g["grad_weights_stderr"], exact["grad_weights"], "weights")
    assert_within_5_se(g["grad_biases"], g["grad_biases_stderr"], exact["grad_biases"], "biases")


def test_tempering_samples_every_beta_of_the_ladder_exactly(backend):
    model = random_model(12, 0.4, seed=7)
    betas = [0.3, 0.6, 1.0]
    t = iw.temper(iw.SamplingProgram(model), betas, iw.SamplingSchedule(100, 300, 2), replicas=64, backend=backend, seed=3)
    assert len(t.moments) == 3 and len(t.acceptance) == 2
    assert all(0 < a <= 1 for a in t.acceptance)
    for beta, m in zip(betas, t.moments):
        model.beta = beta
        exact = iw.exact_moments(model)
        assert_within_5_se(m.edge_means, m.edge_stderr, exact["edge_means"], f"edges at beta {beta}")


def test_annealing_reaches_a_planted_ground_state_and_reports_the_problems_energy(backend):
    # A ferromagnetic ring with a field: the ground state is all up, energy -(n + n h).
    n, h = 40, 0.1
    terms = [(i, (i + 1) % n, -1.0) for i in range(n)] + [(i, i, -h) for i in range(n)]
    problem = iw.Problem.quadratic(n, "SPIN", terms, offset=2.5)
    for rule in ["metropolis", "heat-bath"]:
        result = iw.anneal(problem, reads=32, sweeps=300, schedule="geometric:0.1:5", backend=backend, seed=2, rule=rule)
        assert result.best_energy == pytest.approx(-(n + n * h) + 2.5)
        assert np.all(result.best_state == 1)
        assert result.states.shape == (32, n) and result.energies.shape == (32,)
        assert problem.energy(result.states) == pytest.approx(result.energies)
    with pytest.raises(ValueError, match="rule 'gibbs' is neither"):
        iw.anneal(problem, reads=32, sweeps=3, backend=backend, rule="gibbs")


def test_qubo_problems_are_reported_in_zero_one_variables():
    # min x0 + x1 - 3 x0 x1 + 1: x = (1, 1) with energy 0.
    problem = iw.Problem.quadratic(2, "BINARY", [(0, 0, 1.0), (1, 1, 1.0), (0, 1, -3.0)], offset=1.0)
    result = iw.anneal(problem, reads=8, sweeps=50, backend="cpu")
    assert result.best_energy == pytest.approx(0.0)
    assert result.best_state.tolist() == [1, 1]
    with pytest.raises(ValueError, match="variable 0 is -1"):
        iw.anneal(problem, reads=8, sweeps=10, backend="cpu", initial_states=[[-1, 1]])


def test_training_moves_a_fully_visible_model_to_the_datas_moments():
    truth = iw.IsingModel(4, [(0, 1), (1, 2), (2, 3), (3, 0)], [0.8, -0.5, 0.6, 0.3], [0.2, -0.1, 0.0, 0.3])
    # Exact samples of the truth: every state drawn by its exact probability.
    states = np.array([[1 if k >> i & 1 else -1 for i in range(4)] for k in range(16)], dtype=np.int8)
    p = np.exp(-truth.energy(states))
    rows = np.random.default_rng(0).choice(16, size=4000, p=p / p.sum())
    data = states[rows]
    start = iw.IsingModel(4, truth.edges, [0.0] * 4, [0.0] * 4)
    steps = []
    spec = iw.TrainingSpec([0, 1, 2, 3], positive=iw.SamplingSchedule(0, 1, 1), negative=iw.SamplingSchedule(2, 20, 1),
                           chains_per_row=1, negative_chains=256)
    trained = iw.train(
        start, spec, data, epochs=20, batch_rows=1000, learning_rate=0.05, learning_rate_decay=0.9,
        backend="cpu", seed=1, callback=lambda info: steps.append(info["step"]),
    )
    assert steps == list(range(80))
    # The maximum-likelihood model matches the data's moments (each pinned to about 0.016, one
    # standard error over 4000 rows): the trained model's exact moments within 5 of those.
    exact = iw.exact_moments(trained)
    edges = trained.edges
    data_edges = (data[:, edges[:, 0]] * data[:, edges[:, 1]]).mean(axis=0)
    se = np.sqrt((1 - data_edges**2) / len(data))
    assert np.all(np.abs(exact["edge_means"] - data_edges) < 5 * se), (exact["edge_means"], data_edges, se)

    def stop(info):
        if info["step"] == 3:
            raise RuntimeError("enough")

    with pytest.raises(RuntimeError, match="enough"):
        iw.train(start, spec, data, epochs=2, batch_rows=1000, learning_rate=0.05, backend="cpu", callback=stop)
    with pytest.raises(ValueError, match="invalid learning_rate: NaN is not a finite number above 0"):
        iw.train(start, spec, data, epochs=1, batch_rows=10, learning_rate=float("nan"))


def test_a_site_packed_lattice_matches_yangs_magnetisation_and_draws_alike_everywhere():
    lattice = iw.SitePackedLattice.square(128, 128, 1.0, 0.0, 0.6)
    states = []
    for backend in BACKENDS:
        sampler = iw.SitePackedSampler(lattice, backend=backend, seed=3, init="all_up")
        sampler.sweep(7)
        states.append(sampler.state())
    for state in states[1:]:
        assert np.array_equal(state, states[0])
    sampler = iw.SitePackedSampler(lattice, backend="cpu", seed=4, init="all_up")
    sampler.sweep(100)
    m = []
    for _ in range(200):
        sampler.sweep(2)
        m.append(sampler.observables()[1])
    batches = np.array(m).reshape(20, 10).mean(axis=1)
    se = batches.std(ddof=1) / np.sqrt(20)
    yang = (1 - np.sinh(1.2) ** -4) ** 0.125
    assert abs(np.mean(m) - yang) < 5 * se, (np.mean(m), yang, se)
