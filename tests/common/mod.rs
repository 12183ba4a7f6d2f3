//! Helpers shared by the integration tests: random small models and 5-standard-error checks.

#![allow(dead_code, unreachable_pub)]

pub mod compute;

use ising_wgpu::IsingModel;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// A random model on `n` nodes: each pair joined with probability `p`, weights uniform in
/// (-0.8, 0.8), biases uniform in (-0.5, 0.5), beta 1.
pub fn random_model(seed: u64, n: usize, p: f64) -> IsingModel {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut edges = Vec::new();
    for i in 0..n as u32 {
        for j in i + 1..n as u32 {
            if rng.random_bool(p) {
                edges.push(if rng.random_bool(0.5) { (i, j) } else { (j, i) });
            }
        }
    }
    edges.shuffle(&mut rng);
    let weights = (0..edges.len())
        .map(|_| rng.random_range(-0.8..0.8))
        .collect();
    let biases = (0..n).map(|_| rng.random_range(-0.5..0.5)).collect();
    IsingModel::new(n, edges, weights, biases, 1.0).expect("random model is valid")
}

/// `k` distinct random nodes of `0..n` with random spins.
pub fn random_clamp(seed: u64, n: usize, k: usize) -> Vec<(u32, bool)> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
    let mut nodes: Vec<u32> = (0..n as u32).collect();
    nodes.shuffle(&mut rng);
    nodes.truncate(k);
    nodes
        .into_iter()
        .map(|i| (i, rng.random_bool(0.5)))
        .collect()
}

/// Asserts `|estimate - exact| <= 5 * stderr` for every item; an item with zero error must be exact.
/// Returns the largest deviation in standard errors.
pub fn assert_within_5_se(what: &str, estimate: &[f64], stderr: &[f64], exact: &[f64]) -> f64 {
    let mut worst = 0.0f64;
    for (k, ((&e, &se), &x)) in estimate.iter().zip(stderr).zip(exact).enumerate() {
        let dev = (e - x).abs();
        if se == 0.0 {
            assert!(
                dev < 1e-12,
                "{what}[{k}]: estimate {e} with zero standard error, exact {x}"
            );
            continue;
        }
        assert!(se.is_finite(), "{what}[{k}]: standard error {se}");
        assert!(
            dev <= 5.0 * se,
            "{what}[{k}]: estimate {e} +/- {se}, exact {x} ({:.1} standard errors off)",
            dev / se
        );
        worst = worst.max(dev / se);
    }
    worst
}

/// A device for GPU tests, or `None` with a printed notice when there is none; with
/// `ISING_REQUIRE_GPU=1` (as in CI) a missing adapter fails the test instead.
pub fn gpu() -> Option<ising_wgpu::GpuContext> {
    match ising_wgpu::GpuContext::new() {
        Ok(ctx) => Some(ctx),
        Err(e) if std::env::var("ISING_REQUIRE_GPU").as_deref() == Ok("1") => {
            panic!("ISING_REQUIRE_GPU=1 but no GPU adapter: {e}")
        }
        Err(e) => {
            eprintln!("skipping GPU test (set ISING_REQUIRE_GPU=1 to fail instead): {e}");
            None
        }
    }
}

/// The backends a statistical test runs on: the CPU always, the GPU when an adapter exists.
pub fn backends() -> Vec<ising_wgpu::Backend> {
    let mut all = vec![ising_wgpu::Backend::Cpu { threads: None }];
    all.extend(gpu().map(|ctx| ising_wgpu::Backend::Gpu(Box::new(ctx))));
    all
}

/// Asserts node and edge means of `m` within 5 standard errors of `exact`'s ([`assert_within_5_se`]).
pub fn assert_moments_within_5_se(
    what: &str,
    m: &ising_wgpu::Moments,
    exact: &ising_wgpu::ExactMoments,
) {
    assert_within_5_se(
        &format!("{what} nodes"),
        &m.node_means().to_vec(),
        &m.node_stderr().to_vec(),
        &exact.node_means.to_vec(),
    );
    assert_within_5_se(
        &format!("{what} edges"),
        &m.edge_means().to_vec(),
        &m.edge_stderr().to_vec(),
        &exact.edge_means.to_vec(),
    );
}
