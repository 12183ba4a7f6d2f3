//! The site-packed lattice (one huge lattice, 32 sites a word): GPU and CPU draw identical spins, also
//! with each colour split over two bindings and folded dispatches; energies and magnetisations match
//! Kaufman, Onsager and Yang, and the chain-major lattice path in 3D, within 5 standard errors over
//! independent lattices.

mod common;

use common::{assert_within_5_se, backends, gpu};
use ising_wgpu::physics::{kaufman_energy_per_site, onsager_energy_per_site, yang_magnetization};
use ising_wgpu::{
    Backend, CpuSitePacked, GpuSitePacked, Init, Lattice, PlanLimits, SamplerConfig,
    SamplingSchedule, SitePackedKernel, SitePackedLattice, SitePackedSampler, UpdatePath,
    mean_and_stderr,
};
use ndarray::Axis;

#[test]
fn gpu_and_cpu_draw_identical_site_packed_spins() {
    let Some(ctx) = gpu() else { return };
    let device = PlanLimits::of_device(&ctx.device().limits());
    for (lattice, seed) in [
        (
            SitePackedLattice::square(128, 6, 1.0, 0.1, 0.44).unwrap(),
            3,
        ),
        (
            SitePackedLattice::square(192, 4, -0.5, 0.0, 20.0).unwrap(),
            4,
        ),
        (
            SitePackedLattice::cubic(64, 4, 6, 0.5, -0.25, 0.3).unwrap(),
            5,
        ),
        // Several tiles along x and y, partial ones at the ends.
        (
            SitePackedLattice::square(64 * 40, 12, 0.8, 0.05, 0.5).unwrap(),
            6,
        ),
    ] {
        let words = lattice.words_per_colour() as u64;
        // Each colour split over two bindings, and at most 8 workgroups of 32 a dimension.
        let small = PlanLimits {
            max_binding_bytes: 4 * (words / 2 + 1),
            max_workgroups_per_dim: 8,
            workgroup_size: 32,
            ..device
        };
        // And workgroups of 256: one row a tile per invocation.
        let wide = PlanLimits {
            workgroup_size: 256,
            ..device
        };
        let runs = [device, small, wide]
            .into_iter()
            .flat_map(|l| [SitePackedKernel::Words, SitePackedKernel::Tiles].map(|k| (l, k)));
        for (limits, kernel) in runs {
            let mut cpu = CpuSitePacked::new(&lattice, seed, Init::Uniform)
                .unwrap()
                .with_threads(3);
            let init = Init::Uniform;
            let mut gpu =
                GpuSitePacked::with_limits(&ctx, &lattice, seed, init, limits, kernel).unwrap();
            assert_eq!(gpu.split_bindings(), limits == small);
            assert_eq!(cpu.state().unwrap(), gpu.state().unwrap(), "initial spins");
            for step in 0..4 {
                if step == 2 {
                    // New parameters mid-run, on both.
                    for s in [&mut cpu as &mut dyn SitePackedSampler, &mut gpu] {
                        s.set_parameters(0.75, -0.5, 0.6).unwrap();
                    }
                }
                cpu.sweep(step + 1).unwrap();
                gpu.sweep(step + 1).unwrap();
                let (a, b) = (cpu.state().unwrap(), gpu.state().unwrap());
                let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
                let sides = lattice.sides();
                assert_eq!(differing, 0, "{sides:?}, {kernel:?}, after call {step}");
                assert_eq!(cpu.observables().unwrap(), gpu.observables().unwrap());
            }
        }
    }
}

#[test]
fn a_colour_larger_than_two_bindings_is_a_clear_error() {
    let Some(ctx) = gpu() else { return };
    let lattice = SitePackedLattice::square(256, 64, 1.0, 0.0, 0.4).unwrap();
    let limits = PlanLimits {
        max_binding_bytes: 256,
        ..PlanLimits::of_device(&ctx.device().limits())
    };
    let kernel = SitePackedKernel::Tiles;
    let e = GpuSitePacked::with_limits(&ctx, &lattice, 0, Init::AllUp, limits, kernel)
        .err()
        .expect("too large")
        .to_string();
    assert!(
        e.contains("[256, 64, 1]") && e.contains("1024 bytes") && e.contains("two bindings"),
        "{e}"
    );
}

/// Per independent lattice (seed), the mean over `measured` sweeps (after `warmup`) of `observe`.
fn per_lattice(
    backend: &Backend,
    lattice: &SitePackedLattice,
    init: Init,
    (lattices, warmup, measured): (u64, u64, u64),
    observe: impl Fn(ising_wgpu::Observables) -> f64,
) -> (f64, f64) {
    let means: Vec<f64> = (0..lattices)
        .map(|seed| {
            let mut sampler = backend
                .site_packed(lattice, 100 + seed, init.clone())
                .unwrap();
            sampler.sweep(warmup).unwrap();
            (0..measured)
                .map(|_| {
                    sampler.sweep(1).unwrap();
                    observe(sampler.observables().unwrap())
                })
                .sum::<f64>()
                / measured as f64
        })
        .collect();
    mean_and_stderr(&means)
}

#[test]
fn site_packed_energies_match_kaufman_and_onsager() {
    for backend in backends() {
        for (lx, ly, beta) in [(64, 8, 0.440_686_8f32), (64, 4, 0.35)] {
            let lattice = SitePackedLattice::square(lx, ly, 1.0, 0.0, beta).unwrap();
            let (u, se) = per_lattice(&backend, &lattice, Init::Uniform, (24, 200, 300), |o| {
                o.energy_per_site
            });
            let exact = kaufman_energy_per_site(lx as usize, ly as usize, f64::from(beta));
            let what = format!("{} site-packed {lx}x{ly} at beta {beta}", backend.name());
            assert_within_5_se(&what, &[u], &[se], &[exact]);
        }
        let lattice = SitePackedLattice::square(128, 64, 1.0, 0.0, 0.3).unwrap();
        let (u, se) = per_lattice(&backend, &lattice, Init::Uniform, (12, 100, 50), |o| {
            o.energy_per_site
        });
        let what = format!("{} site-packed u(0.3)", backend.name());
        assert_within_5_se(
            &what,
            &[u],
            &[se],
            &[onsager_energy_per_site(0.3f32.into())],
        );
    }
}

#[test]
fn site_packed_magnetisation_matches_yang() {
    // Started all up, at K = 0.6 a 128 x 64 torus stays in the + phase, far larger than the
    // correlation length.
    for backend in backends() {
        let lattice = SitePackedLattice::square(128, 64, 1.0, 0.0, 0.6).unwrap();
        let (m, se) = per_lattice(&backend, &lattice, Init::AllUp, (12, 100, 100), |o| {
            o.magnetization
        });
        let what = format!("{} site-packed m(0.6)", backend.name());
        assert_within_5_se(&what, &[m], &[se], &[yang_magnetization(0.6f32.into())]);
    }
}

#[test]
fn site_packed_agrees_with_the_chain_major_lattice_path_in_three_dimensions() {
    let (j, h, beta) = (1.0, 0.1, 0.2);
    for backend in backends() {
        let site_packed = SitePackedLattice::cubic(64, 4, 4, j, h, beta).unwrap();
        let e0 = per_lattice(&backend, &site_packed, Init::Uniform, (16, 100, 100), |o| {
            o.energy_per_site
        });
        let lattice = Lattice::cubic(64, 4, 4, true).unwrap();
        let program = lattice.program(j, h, beta).unwrap();
        let mut sampler = backend
            .sampler(
                &program,
                &SamplerConfig::new(64).seed(7).init(Init::Uniform),
            )
            .unwrap();
        assert!(sampler.update_path() == UpdatePath::Lattice);
        let moments = sampler
            .estimate_moments(&SamplingSchedule::new(100, 100, 1).unwrap())
            .unwrap();
        let sites = lattice.num_sites() as f64;
        let per_chain: Vec<f64> = moments
            .chain_edge_means()
            .sum_axis(Axis(1))
            .iter()
            .zip(moments.chain_node_means().sum_axis(Axis(1)))
            .map(|(bonds, spins)| -(f64::from(j) * bonds + f64::from(h) * spins) / sites)
            .collect();
        let e1 = mean_and_stderr(&per_chain);
        let z = (e0.0 - e1.0) / e0.1.hypot(e1.1);
        assert!(
            z.abs() < 5.0,
            "{}: site-packed {e0:?} vs chain-major {e1:?}: {z:.1} standard errors",
            backend.name()
        );
    }
}
