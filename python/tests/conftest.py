"""Shared fixtures: the backends every test runs on (the CPU, and a GPU adapter when there is one;
with ``ISING_REQUIRE_GPU=1``, as in CI, a missing adapter fails instead of being skipped)."""

import os

import numpy as np
import pytest

import ising_wgpu as iw


def _gpu():
    try:
        return iw.Backend("gpu")
    except RuntimeError as e:
        if os.environ.get("ISING_REQUIRE_GPU") == "1":
            raise
        print(f"notice: no GPU adapter ({e}); the Python GPU tests are skipped")
        return None


GPU = _gpu()
BACKENDS = [iw.Backend("cpu")] + ([GPU] if GPU is not None else [])


@pytest.fixture(params=BACKENDS, ids=lambda b: "gpu" if b.is_gpu else "cpu")
def backend(request):
    return request.param


def random_model(n, p, seed, beta=1.0):
    """A model of ``n`` nodes, each pair an edge with probability ``p``, normal weights and biases."""
    rng = np.random.default_rng(seed)
    edges = [(i, j) for i in range(n) for j in range(i + 1, n) if rng.random() < p]
    return iw.IsingModel.random_normal(n, edges, beta=beta, seed=seed)


def assert_within_5_se(estimate, stderr, exact, what):
    """Every estimate within 5 of its standard errors of the exact value."""
    estimate, stderr, exact = map(np.asarray, (estimate, stderr, exact))
    assert np.all(np.isfinite(stderr)) and np.all(stderr > 0), f"{what}: standard errors {stderr}"
    z = np.abs(estimate - exact) / stderr
    assert z.max() < 5, f"{what}: worst |z| = {z.max():.2f} at {z.argmax()}"
