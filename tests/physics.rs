//! Physics anchors on every backend: 1D correlations, Onsager's and Kaufman's energies, Yang's
//! magnetisation; every tolerance is 5 standard errors over independent chains.

mod common;

use common::{assert_within_5_se, backends};
use ising_wgpu::Backend;
use ising_wgpu::physics::{
    kaufman_energy_per_site, onsager_energy_per_site, open_chain_correlation, ring_correlation,
    yang_magnetization,
};
use ising_wgpu::{
    Blocks, Init, Lattice, SamplerConfig, SamplingProgram, SamplingSchedule, UpdatePath,
    exact_moments, mean_and_stderr,
};
use ndarray::{Array2, Array3, Axis};

/// Which sweep a lattice program takes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Path {
    /// CSR weights, as for any graph.
    General,
    /// Neighbours by index arithmetic (`Lattice::program`), where the lattice allows it.
    Lattice,
}

const PATHS: [Path; 2] = [Path::General, Path::Lattice];

fn lattice_program(lattice: &Lattice, beta: f32, path: Path) -> SamplingProgram {
    match path {
        Path::General => {
            let model = lattice.model(1.0, 0.0, beta).unwrap();
            SamplingProgram::new(model, Blocks::Given(lattice.blocks().to_vec()), &[]).unwrap()
        }
        Path::Lattice => lattice.program(1.0, 0.0, beta).unwrap(),
    }
}

/// Energy per site of each chain, `-(sum of edge means) / sites`, with its mean and standard error.
fn energy_per_site(
    backend: &Backend,
    lattice: &Lattice,
    beta: f32,
    chains: usize,
    schedule: SamplingSchedule,
    seed: u64,
    path: Path,
) -> (f64, f64) {
    let program = lattice_program(lattice, beta, path);
    let mut sampler = backend
        .sampler(&program, &SamplerConfig::new(chains).seed(seed))
        .unwrap();
    assert_eq!(
        (sampler.update_path() == UpdatePath::Lattice),
        program.lattice_sides().is_some(),
        "{path:?} on {:?}",
        lattice.dims()
    );
    let moments = sampler.estimate_moments(&schedule).unwrap();
    let sites = lattice.num_sites() as f64;
    let per_chain: Vec<f64> = moments
        .chain_edge_means()
        .sum_axis(Axis(1))
        .iter()
        .map(|s| -s / sites)
        .collect();
    mean_and_stderr(&per_chain)
}

/// Per-chain mean over samples and over sites `i` of `s_i s_(i+r)` (pairs within the chain only).
fn chain_correlation(samples: &Array3<i8>, r: usize, periodic: bool) -> Vec<f64> {
    let n = samples.shape()[2];
    let pairs: Vec<(usize, usize)> = if periodic {
        (0..n).map(|i| (i, (i + r) % n)).collect()
    } else {
        (0..n - r).map(|i| (i, i + r)).collect()
    };
    let per_chain = Array2::from_shape_fn((samples.shape()[0], samples.shape()[1]), |(t, c)| {
        pairs
            .iter()
            .map(|&(i, j)| f64::from(samples[(t, c, i)] * samples[(t, c, j)]))
            .sum::<f64>()
            / pairs.len() as f64
    });
    per_chain.mean_axis(Axis(0)).unwrap().to_vec()
}

#[test]
fn one_dimensional_correlations() {
    let k = 0.5f32;
    for backend in backends() {
        for (periodic, n) in [(true, 12usize), (false, 14)] {
            let lattice = Lattice::chain(n, periodic).unwrap();
            let program = lattice_program(&lattice, k, Path::General);
            let mut sampler = backend
                .sampler(&program, &SamplerConfig::new(128).seed(11))
                .unwrap();
            let nodes: Vec<u32> = (0..n as u32).collect();
            let schedule = SamplingSchedule::new(100, 2000, 1).unwrap();
            let samples = sampler.sample(&schedule, &nodes).unwrap();
            for r in 1..=6 {
                let (mean, se) = mean_and_stderr(&chain_correlation(&samples, r, periodic));
                let k = f64::from(k);
                let exact = if periodic {
                    ring_correlation(n, r, k)
                } else {
                    open_chain_correlation(r, k)
                };
                let what = format!("{} periodic={periodic} r={r}", backend.name());
                assert_within_5_se(&what, &[mean], &[se], &[exact]);
            }
        }
    }
}

#[test]
fn onsager_energy_on_a_64_by_64_torus_at_beta_0_3() {
    let lattice = Lattice::square(64, 64, true).unwrap();
    let k = f64::from(0.3f32);
    // At K = 0.3 the correlation length is about one site: the 64 x 64 torus is the infinite lattice
    // to far better than the statistical error (Kaufman's exact finite-size value says so too).
    assert!((kaufman_energy_per_site(64, 64, k) - onsager_energy_per_site(k)).abs() < 1e-9);
    for (backend, path) in backends().iter().flat_map(|b| PATHS.map(|p| (b, p))) {
        let schedule = SamplingSchedule::new(200, 1000, 1).unwrap();
        let (u, se) = energy_per_site(backend, &lattice, 0.3, 64, schedule, 1, path);
        let what = format!("{} {path:?} u(0.3)", backend.name());
        assert_within_5_se(&what, &[u], &[se], &[onsager_energy_per_site(k)]);
    }
}

#[test]
fn kaufman_energy_on_small_tori() {
    for (backend, path) in backends().iter().flat_map(|b| PATHS.map(|p| (b, p))) {
        for (m, n, beta) in [
            (8, 8, 0.3f32),
            (8, 8, 0.440_686_8),
            (6, 10, 0.6),
            (5, 5, 0.4),
        ] {
            let lattice = Lattice::square(m, n, true).unwrap();
            let schedule = SamplingSchedule::new(500, 4000, 1).unwrap();
            let (u, se) = energy_per_site(backend, &lattice, beta, 128, schedule, 2, path);
            let exact = kaufman_energy_per_site(m, n, f64::from(beta));
            let what = format!("{} {path:?} {m}x{n} at beta {beta}", backend.name());
            assert_within_5_se(&what, &[u], &[se], &[exact]);
        }
    }
}

#[test]
fn yang_magnetisation_in_the_ordered_phase() {
    // Started all up, at K = 0.6 the chains stay in the + phase; a 48 x 48 torus is far larger than
    // the correlation length there, so the magnetisation per site is Yang's.
    let lattice = Lattice::square(48, 48, true).unwrap();
    let chains = 32;
    let up = Array2::<i8>::ones((chains, lattice.num_sites()));
    for (backend, path) in backends().iter().flat_map(|b| PATHS.map(|p| (b, p))) {
        let program = lattice_program(&lattice, 0.6, path);
        let mut sampler = backend
            .sampler(
                &program,
                &SamplerConfig::new(chains)
                    .seed(3)
                    .init(Init::States(up.clone())),
            )
            .unwrap();
        let schedule = SamplingSchedule::new(100, 1000, 1).unwrap();
        let moments = sampler.estimate_moments(&schedule).unwrap();
        let per_chain: Vec<f64> = moments
            .chain_node_means()
            .mean_axis(Axis(1))
            .unwrap()
            .to_vec();
        let (m, se) = mean_and_stderr(&per_chain);
        let exact = yang_magnetization(f64::from(0.6f32));
        let what = format!("{} {path:?} m(0.6)", backend.name());
        assert_within_5_se(&what, &[m], &[se], &[exact]);
    }
}

#[test]
fn lattice_path_matches_exact_moments_with_field_and_antiferromagnetic_coupling() {
    // A 4 x 4 torus is the smallest lattice-path lattice and small enough to enumerate.
    let lattice = Lattice::square(4, 4, true).unwrap();
    let uniform = lattice.program(-0.5, 0.25, 0.7).unwrap();
    // And a random field of two values, one per site.
    let mut random_field = uniform.clone();
    let mut model = random_field.model().clone();
    let fields = (0..16).map(|i| if (i * 5 + 3) % 7 < 3 { 0.5 } else { -0.25 });
    model.set_biases(fields.collect()).unwrap();
    random_field.set_parameters(&model).unwrap();
    for (backend, program) in backends()
        .iter()
        .flat_map(|b| [(b, &uniform), (b, &random_field)])
    {
        let exact = exact_moments(program.model(), &[]).unwrap();
        let mut sampler = backend
            .sampler(
                program,
                &SamplerConfig::new(256).seed(5).init(Init::Uniform),
            )
            .unwrap();
        assert!(
            sampler.update_path() == UpdatePath::Lattice,
            "{}",
            backend.name()
        );
        let moments = sampler
            .estimate_moments(&SamplingSchedule::new(100, 2000, 1).unwrap())
            .unwrap();
        for (what, estimate, stderr, exact) in [
            (
                "node",
                moments.node_means(),
                moments.node_stderr(),
                &exact.node_means,
            ),
            (
                "edge",
                moments.edge_means(),
                moments.edge_stderr(),
                &exact.edge_means,
            ),
        ] {
            let what = format!("{} lattice path {what}", backend.name());
            assert_within_5_se(
                &what,
                estimate.as_slice().unwrap(),
                stderr.as_slice().unwrap(),
                exact.as_slice().unwrap(),
            );
        }
    }
}

#[test]
fn lattice_path_agrees_with_the_general_path_in_three_dimensions() {
    let lattice = Lattice::cubic(6, 4, 8, true).unwrap();
    let general = SamplingProgram::new(
        lattice.model(0.5, -0.25, 0.35).unwrap(),
        Blocks::Given(lattice.blocks().to_vec()),
        &[],
    )
    .unwrap();
    let on_lattice = lattice.program(0.5, -0.25, 0.35).unwrap();
    let schedule = SamplingSchedule::new(200, 1000, 1).unwrap();
    for backend in backends() {
        let estimate = |program: &SamplingProgram| {
            let mut sampler = backend
                .sampler(program, &SamplerConfig::new(64).seed(9))
                .unwrap();
            let moments = sampler.estimate_moments(&schedule).unwrap();
            let per_chain = |m: Array2<f64>| -> (f64, f64) {
                mean_and_stderr(&m.mean_axis(Axis(1)).unwrap().to_vec())
            };
            (
                (sampler.update_path() == UpdatePath::Lattice),
                per_chain(moments.chain_node_means()),
                per_chain(moments.chain_edge_means()),
            )
        };
        let (general_path, m0, e0) = estimate(&general);
        let (lattice_path, m1, e1) = estimate(&on_lattice);
        assert!(!general_path && lattice_path);
        for (what, (a, sa), (b, sb)) in [("magnetisation", m0, m1), ("edge mean", e0, e1)] {
            let z = (a - b) / sa.hypot(sb);
            assert!(
                z.abs() < 5.0,
                "{}: {what} {a} (general) vs {b} (lattice): {z:.1} standard errors",
                backend.name()
            );
        }
    }
}
