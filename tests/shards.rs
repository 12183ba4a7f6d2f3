//! Shards of a sampler's chains ([`Backend::shard`], what each process of a run over MPI holds):
//! each draws, observes, anneals, swaps and saves exactly what one sampler of all the chains does
//! for its chains, on every backend.

mod common;

use ising_wgpu::anneal::BestSoFar;
use ising_wgpu::{
    Backend, Blocks, LaneSwap, Lattice, Observe, Observed, Sampler, SamplerConfig, SamplingProgram,
    SamplingSchedule,
};
use ndarray::{Array2, s};

/// 120 chains in 4 words, held as shards of 2, 1 and 1 words (the last part-full).
const CHAINS: usize = 120;
const WINDOWS: [std::ops::Range<usize>; 3] = [0..2, 2..3, 3..4];

/// A general graph with two clamped nodes (values per chain), and a lattice.
fn programs() -> Vec<(SamplingProgram, SamplerConfig)> {
    let general = common::random_model(3, 11, 0.4);
    let clamp = Array2::from_shape_fn((CHAINS, 2), |(c, k)| if (c + k) % 3 == 0 { 1 } else { -1 });
    let lattice = Lattice::square(8, 6, true)
        .unwrap()
        .model(0.4, 0.1, 1.0)
        .unwrap();
    let config = SamplerConfig::new(CHAINS).seed(5).betas(&[0.7, 1.1]);
    vec![
        (
            SamplingProgram::new(general, Blocks::Auto, &[2, 7]).unwrap(),
            config.clone().clamp_values(clamp),
        ),
        (
            SamplingProgram::new(lattice, Blocks::Auto, &[]).unwrap(),
            config,
        ),
    ]
}

fn observe_all(sampler: &mut dyn Sampler, nodes: u32) -> Observed {
    let observe = Observe {
        samples: Some((0..nodes).collect()),
        moments: true,
        energy: true,
        overlap: true,
    };
    let schedule = SamplingSchedule::new(4, 5, 2).unwrap();
    sampler.run(&schedule, &observe).unwrap()
}

/// What `all` (every chain) observed, for the chains of `words` alone.
fn chains_of(all: &Observed, words: &std::ops::Range<usize>) -> Observed {
    let chains = 32 * words.start..(32 * words.end).min(CHAINS);
    Observed {
        samples: all
            .samples
            .as_ref()
            .map(|a| a.slice(s![.., chains.clone(), ..]).to_owned()),
        moments: all
            .moments
            .as_ref()
            .map(|m| m.select_chains(chains.clone())),
        energy: all.energy.as_ref().map(|e| e.select_chains(chains.clone())),
        overlap: all
            .overlap
            .as_ref()
            .map(|o| o.select_chains(chains.clone())),
    }
}

#[test]
fn each_shard_draws_what_one_sampler_of_all_the_chains_draws_for_its_chains() {
    for backend in common::backends() {
        for (program, config) in programs() {
            let nodes = program.model().num_nodes() as u32;
            let mut all = backend.sampler(&program, &config).unwrap();
            let mut shards: Vec<_> = WINDOWS
                .iter()
                .map(|w| backend.shard(&program, &config, w.clone()).unwrap())
                .collect();
            let what = format!("{} {:?}", backend.name(), all.update_path());
            let expected = observe_all(all.as_mut(), nodes);
            for (w, shard) in WINDOWS.iter().zip(&mut shards) {
                assert_eq!(
                    observe_all(shard.as_mut(), nodes),
                    chains_of(&expected, w),
                    "{what}"
                );
            }

            // Anneal: each shard's best of its own chains.
            let betas = [0.3, 0.6, 0.9, 1.2];
            let mut best = BestSoFar::new(CHAINS);
            all.anneal_sweeps(&betas, 2, &mut best).unwrap();
            let kept = all.kept_state().unwrap();
            for (w, shard) in WINDOWS.iter().zip(&mut shards) {
                let chains = 32 * w.start..(32 * w.end).min(CHAINS);
                let mut local = BestSoFar::new(chains.len());
                shard.anneal_sweeps(&betas, 2, &mut local).unwrap();
                assert_eq!(local.energies, best.energies[chains.clone()], "{what}");
                assert_eq!(local.found_at, best.found_at[chains.clone()], "{what}");
                assert_eq!(
                    shard.kept_state().unwrap(),
                    kept.slice(s![chains, ..]),
                    "{what}"
                );
            }

            // Swaps name global words; the first shard holds words 0 and 1.
            let swap = [LaneSwap {
                word_a: 0,
                word_b: 1,
                lanes: 0x00ff_00f0,
            }];
            all.swap_lanes(&swap).unwrap();
            shards[0].swap_lanes(&swap).unwrap();
            let err = shards[1].swap_lanes(&swap).unwrap_err().to_string();
            assert!(err.contains("holds words 2..3"), "{what}: {err}");
            all.set_betas(&[0.8]).unwrap();
            for shard in &mut shards {
                shard.set_betas(&[0.8]).unwrap();
            }
            let state = all.save_state().unwrap();
            let expected = observe_all(all.as_mut(), nodes);
            for (w, shard) in WINDOWS.iter().zip(&mut shards) {
                let chains = 32 * w.start..(32 * w.end).min(CHAINS);
                let saved = shard.save_state().unwrap();
                assert_eq!(
                    saved.spins,
                    state.spins.slice(s![chains.clone(), ..]),
                    "{what}"
                );
                assert_eq!(
                    observe_all(shard.as_mut(), nodes),
                    chains_of(&expected, w),
                    "{what}"
                );
                // Back to the saved state, the shard draws the same again.
                shard.restore_state(&saved).unwrap();
                assert_eq!(
                    observe_all(shard.as_mut(), nodes),
                    chains_of(&expected, w),
                    "{what}"
                );
            }
        }
    }
}

#[test]
fn a_shard_outside_the_chains_words_is_refused() {
    let (program, config) = programs().remove(1);
    for backend in common::backends() {
        for words in [0..0, 3..5] {
            let err = backend
                .shard(&program, &config, words.clone())
                .err()
                .expect("refused");
            assert!(err.to_string().contains("fill 4 words"), "{words:?}: {err}");
        }
    }
}

#[test]
fn clamp_values_name_every_chain_or_none_in_a_shard_too() {
    let (program, config) = programs().remove(0);
    let backend = Backend::Cpu { threads: None };
    let mut shard = backend.shard(&program, &config, 2..3).unwrap();
    // One row per chain of the shard alone would be a silent mix-up: refused.
    let err = shard
        .set_clamp_values(Array2::ones((32, 2)).view())
        .unwrap_err()
        .to_string();
    assert!(err.contains("one per chain (120)"), "{err}");
    shard.set_clamp_values(Array2::ones((1, 2)).view()).unwrap();
    assert!(shard.state().unwrap().column(7).iter().all(|&v| v == 1));
}
