//! Parallel tempering against exact enumeration: moments at every beta of the ladder, and each
//! pair's swap acceptance against its exact expectation from the two betas' energy distributions,
//! within 5 standard errors; every backend tempers alike.

mod common;

use ising_wgpu::temper::{Tempered, temper};
use ising_wgpu::{
    Backend, Blocks, IsingModel, Observe, SamplerConfig, SamplingProgram, SamplingSchedule,
    exact_moments,
};

/// `H(s)` (no beta) of every state of `model`.
fn all_energies(model: &IsingModel) -> Vec<f64> {
    let mut unit = model.clone();
    unit.set_beta(1.0).unwrap();
    let n = model.num_nodes();
    (0u32..1 << n)
        .map(|k| {
            let s: Vec<i8> = (0..n)
                .map(|i| if k >> i & 1 == 1 { 1 } else { -1 })
                .collect();
            unit.energy_of(&s).unwrap()
        })
        .collect()
}

/// The exact mean acceptance `E[min(1, exp((b1 - b2) (E1 - E2)))]` with `E1 ~ P_b1`, `E2 ~ P_b2`
/// independent (both in equilibrium), for `b1 < b2`: `sum_{E1 <= E2} p1 p2 + sum_{E1 > E2} p1 e^{d E1}
/// p2 e^{-d E2}` with `d = b1 - b2`, by sorting the energies once.
fn exact_acceptance(energies: &[f64], b1: f64, b2: f64) -> f64 {
    let weights = |b: f64| {
        let low = energies.iter().copied().fold(f64::INFINITY, f64::min);
        let w: Vec<f64> = energies.iter().map(|&e| (-b * (e - low)).exp()).collect();
        let z: f64 = w.iter().sum();
        w.into_iter().map(|x| x / z).collect::<Vec<f64>>()
    };
    let (p1, p2) = (weights(b1), weights(b2));
    let d = b1 - b2;
    let mut order: Vec<usize> = (0..energies.len()).collect();
    order.sort_by(|&a, &b| energies[a].total_cmp(&energies[b]));
    let shift = energies[order[0]];
    // Walk E2 upwards: states with E1 <= E2 contribute p1; those with E1 > E2 contribute
    // p1 e^{d (E1 - shift)} (summed from the top down).
    let mut below = 0.0;
    let mut above: f64 = order
        .iter()
        .map(|&i| p1[i] * (d * (energies[i] - shift)).exp())
        .sum();
    let mut total = 0.0;
    let mut k = 0;
    for &j in &order {
        while k < order.len() && energies[order[k]] <= energies[j] {
            let i = order[k];
            below += p1[i];
            above -= p1[i] * (d * (energies[i] - shift)).exp();
            k += 1;
        }
        total += p2[j] * (below + above.max(0.0) * (-d * (energies[j] - shift)).exp());
    }
    total
}

/// Tempers `model` over `betas` with 64 replicas a beta.
fn run(backend: &Backend, model: &IsingModel, betas: &[f32], samples: u64) -> Tempered {
    let program = SamplingProgram::new(model.clone(), Blocks::Auto, &[]).unwrap();
    let config = SamplerConfig::new(64 * betas.len()).seed(21).betas(betas);
    let mut sampler = backend.sampler(&program, &config).unwrap();
    let observe = Observe {
        moments: true,
        energy: true,
        ..Observe::default()
    };
    let schedule = SamplingSchedule::new(200, samples, 1).unwrap();
    temper(sampler.as_mut(), &schedule, &observe, 1, 5, |_, _| true).unwrap()
}

#[test]
fn tempering_samples_every_beta_and_swaps_at_the_exact_rate() {
    let betas = [0.3f32, 0.55, 0.8, 1.1];
    for (seed, n) in [(1u64, 12usize), (4, 14)] {
        let model = common::random_model(seed, n, 0.45);
        let energies = all_energies(&model);
        for backend in common::backends() {
            let t = run(&backend, &model, &betas, 1500);
            let moments = t.observed.moments.as_ref().unwrap();
            for (k, &beta) in betas.iter().enumerate() {
                let chains = 64 * k..64 * (k + 1);
                let m = moments.select_chains(chains);
                let mut at_beta = model.clone();
                at_beta.set_beta(beta).unwrap();
                let exact = exact_moments(&at_beta, &[]).unwrap();
                let what = format!("{} n={n} beta={beta}", backend.name());
                common::assert_moments_within_5_se(&what, &m, &exact);
            }
            for k in 0..betas.len() - 1 {
                // Replica slots are independent systems: the spread of their rates gives the error.
                let rates: Vec<f64> = t.accepted[k]
                    .iter()
                    .map(|&a| a as f64 / t.attempted[k] as f64)
                    .collect();
                let (mean, se) = ising_wgpu::mean_and_stderr(&rates);
                let exact =
                    exact_acceptance(&energies, f64::from(betas[k]), f64::from(betas[k + 1]));
                common::assert_within_5_se(
                    &format!("{} n={n} acceptance of pair {k}", backend.name()),
                    &[mean],
                    &[se],
                    &[exact],
                );
                assert!((mean - t.acceptance()[k]).abs() < 1e-12);
            }
            assert!(t.round_trips > 0, "no replica went up the ladder and back");
        }
    }
}

#[test]
fn every_backend_tempers_alike() {
    let model = common::random_model(9, 20, 0.2);
    let betas = [0.4f32, 0.7, 1.0];
    let results: Vec<Tempered> = common::backends()
        .iter()
        .map(|b| run(b, &model, &betas, 50))
        .collect();
    if let [cpu, gpu] = &results[..] {
        assert_eq!(cpu, gpu);
    }
}

#[test]
fn uneven_ladders_are_refused() {
    let model = common::random_model(9, 8, 0.3);
    let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    // 3 words over 3 betas is fine for sampling, but the last group is a partial word.
    let config = SamplerConfig::new(80).betas(&[0.2, 0.5, 1.0]);
    let mut s = Backend::Cpu { threads: None }
        .sampler(&program, &config)
        .unwrap();
    let err = temper(
        s.as_mut(),
        &SamplingSchedule::new(1, 1, 1).unwrap(),
        &Observe::default(),
        1,
        0,
        |_, _| true,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("replicas"), "{err}");
    let mut one = Backend::Cpu { threads: None }
        .sampler(&program, &SamplerConfig::new(64))
        .unwrap();
    assert!(
        temper(
            one.as_mut(),
            &SamplingSchedule::new(1, 1, 1).unwrap(),
            &Observe::default(),
            1,
            0,
            |_, _| true,
        )
        .is_err()
    );
}

#[test]
fn a_callback_that_says_stop_interrupts_tempering_between_rounds() {
    let model = common::random_model(9, 8, 0.3);
    let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    let config = SamplerConfig::new(64).betas(&[0.5, 1.0]);
    let mut s = Backend::Cpu { threads: None }
        .sampler(&program, &config)
        .unwrap();
    let mut seen = Vec::new();
    let err = temper(
        s.as_mut(),
        &SamplingSchedule::new(10, 5, 2).unwrap(),
        &Observe::default(),
        3,
        0,
        |done, total| {
            seen.push((done, total));
            done < 6
        },
    )
    .unwrap_err();
    // Runs end at each swap (every 3 sweeps) and each sample point (10, 12, ...).
    assert_eq!(seen, vec![(3, 18), (6, 18)]);
    assert_eq!(err.to_string(), "interrupted after 6 of 18 sweeps");
}
