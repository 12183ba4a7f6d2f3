//! +-J spin glasses on the lattice path: the same distribution as the general path on the same
//! couplings, and exact moments on a 4 x 4 glass, within 5 standard errors on every backend; replica
//! overlaps equal those of the sampled pairs.

mod common;

use ising_wgpu::{
    Init, Lattice, Observe, SamplerConfig, SamplingSchedule, UpdatePath, exact_moments,
};

#[test]
fn a_4x4_glass_matches_enumeration_on_the_lattice_path() {
    let glass = Lattice::square(4, 4, true)
        .unwrap()
        .glass_program(1.0, 0.1, 0.6, 11)
        .unwrap();
    assert!(glass.model().weights().contains(&-1.0) && glass.model().weights().contains(&1.0));
    let exact = exact_moments(glass.model(), &[]).unwrap();
    let schedule = SamplingSchedule::new(200, 3000, 1).unwrap();
    for backend in common::backends() {
        let config = SamplerConfig::new(128).seed(2).path(UpdatePath::Lattice);
        let mut sampler = backend.sampler(&glass, &config).unwrap();
        assert_eq!(sampler.update_path(), UpdatePath::Lattice);
        let m = sampler.estimate_moments(&schedule).unwrap();
        let what = format!("{} 4x4 glass", backend.name());
        common::assert_moments_within_5_se(&what, &m, &exact);
    }
}

#[test]
fn the_glass_lattice_path_samples_what_the_general_path_samples() {
    for lattice in [
        Lattice::square(8, 8, true).unwrap(),
        Lattice::cubic(4, 4, 6, true).unwrap(),
    ] {
        let glass = lattice.glass_program(1.0, 0.0, 0.5, 4).unwrap();
        let schedule = SamplingSchedule::new(200, 1500, 1).unwrap();
        for backend in common::backends() {
            let moments = |path| {
                let config = SamplerConfig::new(128)
                    .seed(8)
                    .init(Init::Uniform)
                    .path(path);
                let mut s = backend.sampler(&glass, &config).unwrap();
                s.estimate_moments(&schedule).unwrap()
            };
            let (fast, general) = (moments(UpdatePath::Lattice), moments(UpdatePath::General));
            // Two independent estimates: their difference has the errors of both.
            let diff: Vec<f64> = (fast.edge_means() - general.edge_means()).to_vec();
            let se: Vec<f64> = fast
                .edge_stderr()
                .iter()
                .zip(general.edge_stderr().iter())
                .map(|(a, b)| a.hypot(*b))
                .collect();
            let zeros = vec![0.0; diff.len()];
            common::assert_within_5_se(
                &format!(
                    "{} {:?} edge means, lattice - general",
                    backend.name(),
                    lattice.dims()
                ),
                &diff,
                &se,
                &zeros,
            );
        }
    }
}

#[test]
fn overlaps_are_those_of_the_sampled_pairs() {
    let glass = Lattice::cubic(4, 4, 4, true)
        .unwrap()
        .glass_program(1.0, 0.0, 0.8, 5)
        .unwrap();
    let n = glass.model().num_nodes();
    let schedule = SamplingSchedule::new(10, 20, 3).unwrap();
    let observe = Observe {
        samples: Some((0..n as u32).collect()),
        overlap: true,
        ..Observe::default()
    };
    let mut traces = Vec::new();
    for backend in common::backends() {
        // 75 chains: 37 pairs, the last chain unpaired.
        let mut s = backend
            .sampler(&glass, &SamplerConfig::new(75).seed(1))
            .unwrap();
        let got = s.run(&schedule, &observe).unwrap();
        let (samples, trace) = (got.samples.unwrap(), got.overlap.unwrap());
        let q = trace.q();
        assert_eq!(q.dim(), (20, 37));
        for t in 0..20 {
            for p in 0..37 {
                let dot: i32 = (0..n)
                    .map(|i| i32::from(samples[(t, 2 * p, i)] * samples[(t, 2 * p + 1, i)]))
                    .sum();
                assert_eq!(
                    q[(t, p)],
                    f64::from(dot) / n as f64,
                    "{}: sample {t}, pair {p}",
                    backend.name()
                );
            }
        }
        let stats = trace.stats();
        assert!(stats.q2.0 >= stats.q.0 * stats.q.0 - 1e-12 && stats.q4.0 <= stats.q2.0 + 1e-12);
        traces.push(trace);
    }
    if let [a, b] = &traces[..] {
        assert_eq!(a, b);
    }
}
