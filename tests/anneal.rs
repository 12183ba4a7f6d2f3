//! Annealing reaches exact ground states (brute force on small models, planted solutions on larger
//! ones) on every backend, the same reads bit for bit, and keeps each read's best state in place.

mod common;

use ising_wgpu::anneal::{BestSoFar, BetaSchedule, anneal};
use ising_wgpu::{
    Backend, Blocks, Init, IsingModel, LaneSwap, Sampler, SamplerConfig, SamplingProgram,
    SamplingSchedule, UpdateRule,
};
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The lowest `H(s)` over every state of `model` (beta 1), and the states that reach it.
fn ground_states(model: &IsingModel) -> (f64, Vec<Vec<i8>>) {
    let n = model.num_nodes();
    let mut best = (f64::INFINITY, Vec::new());
    for k in 0u32..1 << n {
        let s: Vec<i8> = (0..n)
            .map(|i| if k >> i & 1 == 1 { 1 } else { -1 })
            .collect();
        let e = model.energy_of(&s).unwrap();
        if e < best.0 - 1e-9 {
            best = (e, vec![s]);
        } else if (e - best.0).abs() <= 1e-9 {
            best.1.push(s);
        }
    }
    best
}

/// Anneals `model` with `reads` reads through `schedule` on `backend` by `rule`.
fn run(
    backend: &Backend,
    model: &IsingModel,
    reads: usize,
    betas: &[f32],
    init: Init,
    rule: UpdateRule,
) -> ising_wgpu::anneal::Annealed {
    let program = SamplingProgram::new(model.clone(), Blocks::Auto, &[]).unwrap();
    let config = SamplerConfig::new(reads)
        .seed(3)
        .init(init)
        .betas(&[betas[0]])
        .rule(rule);
    let mut sampler = backend.sampler(&program, &config).unwrap();
    anneal(sampler.as_mut(), model, betas, 1, |_| true).unwrap()
}

#[test]
fn annealing_finds_the_exact_ground_state_of_small_models() {
    let betas = BetaSchedule::Geometric {
        hot: 0.1,
        cold: 8.0,
    }
    .betas(300)
    .unwrap();
    for (backend, rule) in common::backends()
        .iter()
        .flat_map(|b| UpdateRule::ALL.map(|r| (b, r)))
    {
        for seed in 0..4 {
            let model = common::random_model(seed, 12, 0.5);
            let (ground, states) = ground_states(&model);
            let annealed = run(backend, &model, 64, &betas, Init::Uniform, rule);
            let best = annealed
                .energies
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            assert!(
                (best - ground).abs() < 1e-6,
                "{} {rule:?}: model {seed} best {best}, ground {ground}",
                backend.name()
            );
            let k = annealed.energies.iter().position(|&e| e == best).unwrap();
            assert!(states.contains(&annealed.states.row(k).to_vec()));
        }
    }
}

/// A gauge-transformed ferromagnet on a random graph: `J_ij = |w| t_i t_j`, no field, so the ground
/// states are exactly `t` and `-t`, of energy `-sum |w|`.
fn planted(seed: u64, n: usize, degree: usize) -> (IsingModel, Vec<i8>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let t: Vec<i8> = (0..n)
        .map(|_| if rng.random_bool(0.5) { 1 } else { -1 })
        .collect();
    // A ring, so that every node has at least two neighbours, then random chords.
    let mut edges: std::collections::BTreeSet<(u32, u32)> = (0..n as u32)
        .map(|i| (i.min((i + 1) % n as u32), i.max((i + 1) % n as u32)))
        .collect();
    while edges.len() < n * degree / 2 {
        let (i, j) = (rng.random_range(0..n as u32), rng.random_range(0..n as u32));
        if i != j {
            edges.insert((i.min(j), i.max(j)));
        }
    }
    let edges: Vec<(u32, u32)> = edges.into_iter().collect();
    let weights = edges
        .iter()
        .map(|&(i, j)| rng.random_range(0.5f32..1.5) * f32::from(t[i as usize] * t[j as usize]))
        .collect();
    (
        IsingModel::new(n, edges, weights, vec![0.0; n], 1.0).unwrap(),
        t,
    )
}

#[test]
fn annealing_finds_planted_solutions() {
    let (model, t) = planted(11, 400, 6);
    let ground = -model
        .weights()
        .iter()
        .map(|w| f64::from(w.abs()))
        .sum::<f64>();
    let betas = BetaSchedule::Geometric {
        hot: 0.05,
        cold: 5.0,
    }
    .betas(400)
    .unwrap();
    for (backend, rule) in common::backends()
        .iter()
        .flat_map(|b| UpdateRule::ALL.map(|r| (b, r)))
    {
        let annealed = run(backend, &model, 32, &betas, Init::Uniform, rule);
        let k = (0..32)
            .min_by(|&a, &b| annealed.energies[a].total_cmp(&annealed.energies[b]))
            .unwrap();
        assert!(
            (annealed.energies[k] - ground).abs() < 1e-3,
            "{} {rule:?}: {} vs {ground}",
            backend.name(),
            annealed.energies[k]
        );
        let s = annealed.states.row(k).to_vec();
        let flipped: Vec<i8> = t.iter().map(|&v| -v).collect();
        assert!(
            s == t || s == flipped,
            "{} {rule:?}: the best state is not the planted one",
            backend.name()
        );
    }
}

#[test]
fn kept_states_are_each_reads_best_and_backends_agree() {
    let model = common::random_model(7, 40, 0.15);
    let betas = BetaSchedule::Linear {
        hot: 0.2,
        cold: 3.0,
    }
    .betas(60)
    .unwrap();
    for rule in UpdateRule::ALL {
        kept_states_are_each_reads_best(&model, &betas, rule);
    }
}

/// [`kept_states_are_each_reads_best_and_backends_agree`] by `rule`.
fn kept_states_are_each_reads_best(model: &IsingModel, betas: &[f32], rule: UpdateRule) {
    let mut results = Vec::new();
    for backend in common::backends() {
        let a = run(&backend, model, 70, betas, Init::Uniform, rule);
        let finals = model.energy(a.final_states.view()).unwrap();
        for c in 0..70 {
            assert!(
                a.energies[c] <= finals[c] + 1e-4,
                "read {c}: kept {} above final {}",
                a.energies[c],
                finals[c]
            );
            assert!((1..=60).contains(&a.found_at[c]));
        }
        results.push((backend.name(), a));
    }
    if let [(cpu, a), (gpu, b)] = &results[..] {
        assert_eq!(
            a.states, b.states,
            "{cpu} and {gpu} keep different states ({rule:?})"
        );
        assert_eq!(a.found_at, b.found_at);
    }
}

/// The anneal of [`Sampler::anneal_sweeps`] done by hand with the primitive calls: `set_betas`,
/// `sweep`, `observe_energy` at each check (after the last sweep and every `check_every` before
/// it) and `keep_lanes` where a read improved; returns (kept states, found_at, final states).
fn by_hand(
    sampler: &mut dyn Sampler,
    betas: &[f32],
    check_every: usize,
) -> (Array2<i8>, Vec<u64>, Array2<i8>) {
    let chains = sampler.temperatures().chains_of(0).len();
    let mut best = vec![f32::INFINITY; chains];
    let mut found_at = vec![0u64; chains];
    for (k, &beta) in betas.iter().enumerate() {
        sampler.set_betas(&[beta]).unwrap();
        if !(betas.len() - 1 - k).is_multiple_of(check_every) {
            sampler.sweep(1).unwrap();
            continue;
        }
        let schedule = SamplingSchedule::new(1, 1, 1).unwrap();
        let trace = sampler.observe_energy(&schedule).unwrap();
        let mut masks = vec![0u32; chains.div_ceil(32)];
        for (c, &e) in trace.energies().row(0).iter().enumerate() {
            if e < best[c] {
                (best[c], found_at[c]) = (e, k as u64 + 1);
                masks[c / 32] |= 1 << (c % 32);
            }
        }
        sampler.keep_lanes(&masks).unwrap();
    }
    (
        sampler.kept_state().unwrap(),
        found_at,
        sampler.state().unwrap(),
    )
}

#[test]
fn every_backend_anneals_as_the_primitive_calls_do() {
    let random = common::random_model(4, 40, 0.15);
    // Equal couplings and biases, as in MaxCut: the CPU's sweeps keep the energies themselves.
    let m = random.num_edges();
    let equal = IsingModel::new(
        40,
        random.edges().to_vec(),
        vec![-1.0; m],
        vec![0.5; 40],
        1.0,
    );
    for model in [random, equal.unwrap()] {
        anneals_as_the_primitive_calls_do(&model);
    }
}

/// [`every_backend_anneals_as_the_primitive_calls_do`] on `model`.
fn anneals_as_the_primitive_calls_do(model: &IsingModel) {
    let program = SamplingProgram::new(model.clone(), Blocks::Auto, &[]).unwrap();
    let betas = BetaSchedule::Geometric {
        hot: 0.2,
        cold: 3.0,
    }
    .betas(61)
    .unwrap();
    let config = SamplerConfig::new(100).seed(6).betas(&[betas[0]]);
    // Three threads on the CPU, so that each keeps its own words' best.
    let mut backends = common::backends();
    backends.push(Backend::Cpu { threads: Some(3) });
    for backend in backends {
        for check_every in [1, 7, 100] {
            let mut sampler = backend.sampler(&program, &config).unwrap();
            let annealed = anneal(sampler.as_mut(), model, &betas, check_every, |_| true).unwrap();
            let mut sampler = backend.sampler(&program, &config).unwrap();
            let (kept, found_at, finals) = by_hand(sampler.as_mut(), &betas, check_every as usize);
            let name = backend.name();
            assert_eq!(annealed.states, kept, "{name}, checks every {check_every}");
            assert_eq!(
                annealed.found_at, found_at,
                "{name}, checks every {check_every}"
            );
            assert_eq!(
                annealed.final_states, finals,
                "{name}, checks every {check_every}"
            );
        }
    }
}

#[test]
fn a_best_so_far_of_other_chains_is_an_error_on_every_backend() {
    let model = common::random_model(1, 10, 0.3);
    let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    for backend in common::backends() {
        let mut sampler = backend
            .sampler(&program, &SamplerConfig::new(64).seed(2))
            .unwrap();
        for chains in [32, 65] {
            let mut best = BestSoFar::new(chains);
            let err = sampler
                .anneal_sweeps(&[0.5, 1.0], 1, &mut best)
                .unwrap_err();
            assert!(
                err.to_string().contains("best energies"),
                "{}: {err}",
                backend.name()
            );
            assert_eq!(best, BestSoFar::new(chains));
        }
    }
}

#[test]
fn reverse_annealing_from_the_ground_state_stays_there_when_cold() {
    let (model, t) = planted(5, 100, 4);
    let start = Array2::from_shape_fn((32, 100), |(_, i)| t[i]);
    let betas = vec![20.0f32; 50];
    for backend in common::backends() {
        let annealed = run(
            &backend,
            &model,
            32,
            &betas,
            Init::States(start.clone()),
            UpdateRule::HeatBath,
        );
        for c in 0..32 {
            assert_eq!(
                annealed.states.row(c).to_vec(),
                t,
                "{}: read {c}",
                backend.name()
            );
        }
    }
}

#[test]
fn lane_swaps_and_keeps_agree_between_backends() {
    let model = common::random_model(2, 30, 0.2);
    let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    let mut states = Vec::new();
    for backend in common::backends() {
        let config = SamplerConfig::new(128).seed(9).init(Init::Uniform);
        let mut s = backend.sampler(&program, &config).unwrap();
        let before = s.state().unwrap();
        let swaps = [
            LaneSwap {
                word_a: 0,
                word_b: 3,
                lanes: 0xf0f0_0001,
            },
            LaneSwap {
                word_a: 2,
                word_b: 1,
                lanes: u32::MAX,
            },
        ];
        s.swap_lanes(&swaps).unwrap();
        let after = s.state().unwrap();
        for c in 0..128 {
            let partner = swaps
                .iter()
                .flat_map(|sw| sw.chain_pairs())
                .find_map(|(a, b)| (a == c).then_some(b).or((b == c).then_some(a)));
            assert_eq!(after.row(c), before.row(partner.unwrap_or(c)), "chain {c}");
        }
        s.keep_lanes(&[0, 0, 0, 0]).unwrap();
        s.sweep(3).unwrap();
        s.keep_lanes(&[0xffff, 0, 0, 1]).unwrap();
        let now = s.state().unwrap();
        let kept = s.kept_state().unwrap();
        for c in 0..128 {
            let from_now = (c < 16) || c == 96;
            let want = if from_now { now.row(c) } else { after.row(c) };
            assert_eq!(kept.row(c), want, "{}: kept chain {c}", backend.name());
        }
        assert!(
            s.swap_lanes(&[LaneSwap {
                word_a: 0,
                word_b: 4,
                lanes: 1
            }])
            .is_err()
        );
        assert!(s.keep_lanes(&[0; 3]).is_err());
        states.push(kept);
    }
    if let [a, b] = &states[..] {
        assert_eq!(a, b);
    }
}

#[test]
fn a_progress_callback_that_says_stop_interrupts_the_anneal_after_its_part() {
    let model = common::random_model(1, 12, 0.5);
    let betas = vec![1.0; 200];
    for backend in common::backends() {
        let program = SamplingProgram::new(model.clone(), Blocks::Auto, &[]).unwrap();
        let config = SamplerConfig::new(32).betas(&[1.0]);
        let mut sampler = backend.sampler(&program, &config).unwrap();
        let mut calls = Vec::new();
        let err = anneal(sampler.as_mut(), &model, &betas, 1, |done| {
            calls.push(done);
            done < 30
        })
        .unwrap_err();
        // Parts of at most a twentieth of the run, the first a single sweep (the odd sweeps of
        // whole checks): stopped at the first report of 30 sweeps or more.
        let name = backend.name();
        assert_eq!(calls[0], 1, "{name}");
        assert!(
            calls.windows(2).all(|w| w[0] < w[1] && w[1] - w[0] <= 10),
            "{calls:?} {name}"
        );
        let last = *calls.last().unwrap();
        assert!((30..40).contains(&last) && calls[..calls.len() - 1].iter().all(|&c| c < 30));
        assert!(matches!(
            err,
            ising_wgpu::Error::Interrupted {
                done,
                total: 200,
                ..
            } if done == last
        ));
        assert_eq!(
            err.to_string(),
            format!("interrupted after {last} of 200 sweeps")
        );
    }
}
