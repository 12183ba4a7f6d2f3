//! Results depend only on the seed: not on thread count, and samples agree with moment counts.

mod common;

use common::random_model;
use ising_wgpu::{
    Blocks, CpuSampler, Init, Lattice, Sampler, SamplerConfig, SamplingProgram, SamplingSchedule,
};

#[test]
fn thread_count_does_not_change_results() {
    let lattice = Lattice::square(6, 6, true).unwrap();
    let program =
        SamplingProgram::new(lattice.model(0.4, 0.1, 1.0).unwrap(), Blocks::Auto, &[]).unwrap();
    let schedule = SamplingSchedule::new(7, 5, 3).unwrap();
    let run = |threads| {
        let mut s = CpuSampler::new(&program, &SamplerConfig::new(200).seed(42))
            .unwrap()
            .with_threads(threads);
        let samples = s.sample(&schedule, &[0, 5, 35]).unwrap();
        (samples, s.state().unwrap())
    };
    let one = run(1);
    assert_eq!(one, run(3));
    assert_eq!(one, run(8));
    let mut other_seed = CpuSampler::new(&program, &SamplerConfig::new(200).seed(43)).unwrap();
    assert_ne!(other_seed.sample(&schedule, &[0, 5, 35]).unwrap(), one.0);
}

#[test]
fn moment_counts_equal_counts_taken_from_the_samples() {
    let model = random_model(3, 12, 0.3);
    let program = SamplingProgram::new(model.clone(), Blocks::Auto, &[]).unwrap();
    let schedule = SamplingSchedule::new(10, 50, 2).unwrap();
    let nodes: Vec<u32> = (0..12).collect();
    // Samples on one thread, counts on three (one word of chains each, the last one partial).
    let samples = CpuSampler::new(&program, &SamplerConfig::new(70).seed(9))
        .unwrap()
        .with_threads(1)
        .sample(&schedule, &nodes)
        .unwrap();
    let moments = CpuSampler::new(&program, &SamplerConfig::new(70).seed(9))
        .unwrap()
        .with_threads(3)
        .estimate_moments(&schedule)
        .unwrap();
    assert_eq!(moments.samples_per_chain(), 50);
    for c in 0..70 {
        for i in 0..12 {
            let ups = (0..50).filter(|&t| samples[(t, c, i)] == 1).count() as u32;
            assert_eq!(moments.node_counts()[(c, i)], ups, "chain {c} node {i}");
        }
        for (k, &(i, j)) in model.edges().iter().enumerate() {
            let agree = (0..50)
                .filter(|&t| samples[(t, c, i as usize)] == samples[(t, c, j as usize)])
                .count() as u32;
            assert_eq!(moments.edge_counts()[(c, k)], agree, "chain {c} edge {k}");
        }
    }
}

#[test]
fn chains_persist_between_calls_with_fresh_randomness() {
    let model = random_model(4, 10, 0.3);
    let program = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    let one = SamplingSchedule::new(0, 1, 1).unwrap();
    let mut s = CpuSampler::new(&program, &SamplerConfig::new(32).seed(1)).unwrap();
    let start = s.state().unwrap();
    // A schedule of one sample right away runs no sweep: the sample is the initial state.
    let first = s.sample(&one, &(0..10).collect::<Vec<_>>()).unwrap();
    assert_eq!(first.index_axis(ndarray::Axis(0), 0), start);
    let a = s
        .sample(&SamplingSchedule::new(3, 1, 1).unwrap(), &[0])
        .unwrap();
    let b = s
        .sample(&SamplingSchedule::new(3, 1, 1).unwrap(), &[0])
        .unwrap();
    assert_ne!(
        a, b,
        "a second call must continue with new sweeps, not repeat the first"
    );
}

#[test]
fn bad_sampler_arguments_are_named() {
    let model = random_model(5, 6, 0.5);
    let clamped = SamplingProgram::new(model.clone(), Blocks::Auto, &[1]).unwrap();
    let err = |r: Result<CpuSampler, ising_wgpu::Error>| r.err().expect("an error").to_string();
    assert!(
        err(CpuSampler::new(&clamped, &SamplerConfig::new(4)))
            .contains("clamps 1 nodes; give their values")
    );
    let wrong_cols = ndarray::array![[1i8, 1]];
    assert!(
        err(CpuSampler::new(
            &clamped,
            &SamplerConfig::new(4).clamp_values(wrong_cols.clone())
        ))
        .contains("clamp values (columns) has length 2, expected 1")
    );
    let wrong_rows = ndarray::Array2::<i8>::ones((3, 1));
    assert!(
        err(CpuSampler::new(
            &clamped,
            &SamplerConfig::new(4).clamp_values(wrong_rows.clone())
        ))
        .contains("3 rows given")
    );
    let bad_value = ndarray::array![[7i8]];
    assert!(
        err(CpuSampler::new(
            &clamped,
            &SamplerConfig::new(4).clamp_values(bad_value.clone())
        ))
        .contains("clamp value of node 1 (chain 0): 7 is not a spin")
    );
    let free = SamplingProgram::new(model, Blocks::Auto, &[]).unwrap();
    assert!(err(CpuSampler::new(&free, &SamplerConfig::new(0))).contains("at least one chain"));
    let states = ndarray::Array2::<i8>::ones((3, 6));
    assert!(
        err(CpuSampler::new(
            &free,
            &SamplerConfig::new(4).init(Init::States(states))
        ))
        .contains("expected (chains, nodes) = (4, 6)")
    );
    let mut s = CpuSampler::new(&free, &SamplerConfig::new(4)).unwrap();
    let e = s
        .sample(&SamplingSchedule::new(1, 1, 1).unwrap(), &[6])
        .unwrap_err()
        .to_string();
    assert!(e.contains("the observed nodes names node 6"), "{e}");
}
