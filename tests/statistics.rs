//! Every backend against exact enumeration on random small models, with clamping and with both
//! automatic and user-given blocks; tolerance 5 standard errors estimated from independent chains.

mod common;

use common::{assert_within_5_se, backends, random_clamp, random_model};
use ising_wgpu::{
    Blocks, Init, Observe, SamplerConfig, SamplingProgram, SamplingSchedule, UpdatePath,
    UpdateRule, exact_moments,
};
use ndarray::Array2;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Blocks for the odd-numbered cases: every free node alone, in a random order (a valid but very
/// different sweep from the automatic colouring).
fn singleton_blocks(seed: u64, n: usize, clamped: &[u32]) -> Vec<Vec<u32>> {
    let mut free: Vec<u32> = (0..n as u32).filter(|i| !clamped.contains(i)).collect();
    free.shuffle(&mut StdRng::seed_from_u64(seed));
    free.into_iter().map(|i| vec![i]).collect()
}

/// Moments, energy and magnetisation, observed in one run.
#[test]
fn sampled_moments_and_energies_match_exact_enumeration() {
    moments_and_energies_match_exact_enumeration(UpdateRule::HeatBath);
}

/// The same with Metropolis updates, which leave the same distribution unchanged.
#[test]
fn metropolis_moments_and_energies_match_exact_enumeration() {
    moments_and_energies_match_exact_enumeration(UpdateRule::Metropolis);
}

/// Every backend's moments, energy and magnetisation by `rule` on 12 random models against exact
/// enumeration.
fn moments_and_energies_match_exact_enumeration(rule: UpdateRule) {
    let schedule = SamplingSchedule::new(200, 3000, 1).unwrap();
    for backend in backends() {
        let mut worst = 0.0f64;
        for case in 0..12u64 {
            let n = 10 + (case % 5) as usize;
            let model = random_model(case, n, 0.35);
            let clamp = random_clamp(case, n, (case % 4) as usize);
            let clamped: Vec<u32> = clamp.iter().map(|&(i, _)| i).collect();
            let values =
                Array2::from_shape_fn((1, clamp.len()), |(_, k)| if clamp[k].1 { 1i8 } else { -1 });
            let blocks = if case % 2 == 0 {
                Blocks::Auto
            } else {
                Blocks::Given(singleton_blocks(case, n, &clamped))
            };
            let program = SamplingProgram::new(model.clone(), blocks, &clamped).unwrap();
            let mut sampler = backend
                .sampler(
                    &program,
                    &SamplerConfig::new(128)
                        .seed(1000 + case)
                        .clamp_values(values.clone())
                        .rule(rule),
                )
                .unwrap();
            let observe = Observe {
                moments: true,
                energy: true,
                ..Observe::default()
            };
            let observed = sampler.run(&schedule, &observe).unwrap();
            let (moments, trace) = (observed.moments.unwrap(), observed.energy.unwrap());
            let exact = exact_moments(&model, &clamp).unwrap();
            let what = format!(
                "{} {rule:?} case {case} ({n} nodes, {} edges, {} clamped)",
                backend.name(),
                model.num_edges(),
                clamp.len()
            );
            worst = worst.max(assert_within_5_se(
                &format!("{what} node"),
                moments.node_means().as_slice().unwrap(),
                moments.node_stderr().as_slice().unwrap(),
                exact.node_means.as_slice().unwrap(),
            ));
            worst = worst.max(assert_within_5_se(
                &format!("{what} edge"),
                moments.edge_means().as_slice().unwrap(),
                moments.edge_stderr().as_slice().unwrap(),
                exact.edge_means.as_slice().unwrap(),
            ));
            let ((u, u_se), (mag, mag_se)) =
                (trace.energy_per_site(), trace.magnetization_per_site());
            worst = worst.max(assert_within_5_se(
                &format!("{what} energy and magnetisation per site"),
                &[u, mag],
                &[u_se, mag_se],
                &[
                    exact.mean_energy(&model) / n as f64,
                    exact.mean_magnetization() / n as f64,
                ],
            ));
        }
        println!(
            "{} {rule:?}: largest deviation {worst:.2} standard errors",
            backend.name()
        );
    }
}

#[test]
fn chains_with_different_clamp_rows_each_follow_their_conditional() {
    let model = random_model(77, 11, 0.4);
    let program = SamplingProgram::new(model.clone(), Blocks::Auto, &[2, 5]).unwrap();
    // Chain c gets clamp row c % 4 of the four sign patterns; 64 chains, 16 per pattern.
    let patterns = [[1i8, 1], [1, -1], [-1, 1], [-1, -1]];
    let values = Array2::from_shape_fn((64, 2), |(c, k)| patterns[c % 4][k]);
    for backend in backends() {
        let mut sampler = backend
            .sampler(
                &program,
                &SamplerConfig::new(64)
                    .seed(5)
                    .init(Init::Uniform)
                    .clamp_values(values.clone()),
            )
            .unwrap();
        let moments = sampler
            .estimate_moments(&SamplingSchedule::new(100, 4000, 1).unwrap())
            .unwrap();
        let per_chain = moments.chain_edge_means();
        for (p, pattern) in patterns.iter().enumerate() {
            let rows: Vec<usize> = (0..64).filter(|c| c % 4 == p).collect();
            let exact =
                exact_moments(&model, &[(2, pattern[0] == 1), (5, pattern[1] == 1)]).unwrap();
            for k in 0..model.num_edges() {
                let values: Vec<f64> = rows.iter().map(|&c| per_chain[(c, k)]).collect();
                let (mean, se) = ising_wgpu::mean_and_stderr(&values);
                assert_within_5_se(
                    &format!("{} pattern {p} edge", backend.name()),
                    &[mean],
                    &[se],
                    &[exact.edge_means[k]],
                );
            }
        }
    }
}

/// Four temperatures in one sampler: each group's moments and energies against exact enumeration
/// at its beta, on the general path (random model, clamping) and the lattice path (4 x 4 torus).
#[test]
fn each_temperature_group_matches_exact_enumeration_at_its_beta() {
    let betas = [0.2f32, 0.45, 0.8, 1.3];
    let model = random_model(41, 11, 0.4);
    let clamp = random_clamp(41, 11, 2);
    let clamped: Vec<u32> = clamp.iter().map(|&(i, _)| i).collect();
    let values = Array2::from_shape_fn((1, 2), |(_, k)| if clamp[k].1 { 1i8 } else { -1 });
    let general = SamplingProgram::new(model, Blocks::Auto, &clamped).unwrap();
    let torus = ising_wgpu::Lattice::square(4, 4, true).unwrap();
    // No field: the ordered phase's two states are equally likely, so chains that stay in the one
    // they started in (hinton_init draws it with probability 1/2 each) still sample it correctly.
    let lattice = torus.program(1.0, 0.0, 1.0).unwrap();
    let schedule = SamplingSchedule::new(200, 2000, 1).unwrap();
    let observe = Observe {
        moments: true,
        energy: true,
        ..Observe::default()
    };
    for backend in backends() {
        for (program, clamp, values, on_lattice) in [
            (&general, &clamp[..], Some(values.clone()), false),
            (&lattice, &[][..], None, true),
        ] {
            let mut sampler = backend
                .sampler(
                    program,
                    &SamplerConfig {
                        clamp_values: values,
                        ..SamplerConfig::new(256).seed(3)
                    },
                )
                .unwrap();
            sampler.set_betas(&betas).unwrap();
            assert_eq!((sampler.update_path() == UpdatePath::Lattice), on_lattice);
            let observed = sampler.run(&schedule, &observe).unwrap();
            let (moments, trace) = (observed.moments.unwrap(), observed.energy.unwrap());
            let temperatures = sampler.temperatures();
            for (k, &beta) in betas.iter().enumerate() {
                let chains = temperatures.chains_of(k);
                assert_eq!(chains.len(), 64);
                let mut model = program.model().clone();
                model.set_beta(beta).unwrap();
                let exact = exact_moments(&model, clamp).unwrap();
                let group = moments.select_chains(chains.clone());
                let what = format!("{} lattice {on_lattice} beta {beta}", backend.name());
                assert_within_5_se(
                    &format!("{what} node"),
                    group.node_means().as_slice().unwrap(),
                    group.node_stderr().as_slice().unwrap(),
                    exact.node_means.as_slice().unwrap(),
                );
                assert_within_5_se(
                    &format!("{what} edge"),
                    group.edge_means().as_slice().unwrap(),
                    group.edge_stderr().as_slice().unwrap(),
                    exact.edge_means.as_slice().unwrap(),
                );
                let energy = trace.select_chains(chains);
                let n = model.num_nodes() as f64;
                let (u, u_se) = energy.energy_per_site();
                assert_within_5_se(
                    &format!("{what} energy"),
                    &[u],
                    &[u_se],
                    &[exact.mean_energy(&model) / n],
                );
            }
        }
    }
}
