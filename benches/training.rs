//! Gradient steps per second of `KlGradEstimator` (positive phase with latent nodes, persistent
//! negative chains): `cargo bench --bench training`. Configurations are those of BENCHMARKS.md, and
//! `benches/peers/thrml_kl_grad.py` runs THRML's `estimate_kl_grad` on the same ones.

use std::time::Instant;

use ising_wgpu::io::read_edge_list;
use ising_wgpu::train::{KlGradEstimator, TrainingSpec};
use ising_wgpu::{Backend, GpuContext, IsingModel, SamplingSchedule};
use ndarray::Array2;

/// A configuration: model, data nodes, a batch of rows, chains and sweeps per phase.
struct Case {
    name: &'static str,
    model: IsingModel,
    data_nodes: Vec<u32>,
    rows: usize,
    chains_per_row: usize,
    negative_chains: usize,
    schedule: SamplingSchedule,
}

/// Weights and biases from a fixed LCG, uniform in (-0.5, 0.5).
fn model(num_nodes: usize, edges: Vec<(u32, u32)>) -> IsingModel {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32
    };
    let weights = (0..edges.len()).map(|_| next()).collect();
    let biases = (0..num_nodes).map(|_| next()).collect();
    IsingModel::new(num_nodes, edges, weights, biases, 1.0).expect("valid model")
}

fn cases() -> Vec<Case> {
    // The digits machine of examples/digits.rs: 138 visible spins, 64 latent, visible-latent and
    // pixel-label edges; batches of 100 rows, 512 persistent chains, 1 + 4 sweeps a phase.
    let (visible, hidden, pixels) = (138u32, 64u32, 128u32);
    let edges: Vec<(u32, u32)> = (0..visible)
        .flat_map(|v| (0..hidden).map(move |h| (v, visible + h)))
        .chain((0..pixels).flat_map(|v| (0..10).map(move |l| (v, pixels + l))))
        .collect();
    let digits = Case {
        name: "digits machine (202 spins)",
        model: model((visible + hidden) as usize, edges),
        data_nodes: (0..visible).collect(),
        rows: 100,
        chains_per_row: 1,
        negative_chains: 512,
        schedule: SamplingSchedule::new(1, 4, 1).expect("schedule"),
    };
    // Pegasus P14: half the nodes observed, 16 rows x 64 chains = 1024 positive chains, 1024
    // negative chains, 10 + 10 sweeps a phase.
    let graph = read_edge_list(concat!(env!("CARGO_MANIFEST_DIR"), "/data/pegasus14.edges"))
        .expect("graph");
    let pegasus = Case {
        name: "pegasus P14, 1024 chains",
        model: model(graph.num_nodes, graph.edges),
        data_nodes: (0..graph.num_nodes as u32 / 2).collect(),
        rows: 16,
        chains_per_row: 64,
        negative_chains: 1024,
        schedule: SamplingSchedule::new(10, 10, 1).expect("schedule"),
    };
    vec![digits, pegasus]
}

fn main() {
    let mut backends = vec![Backend::Cpu { threads: None }];
    match GpuContext::new() {
        Ok(ctx) => backends.push(Backend::Gpu(Box::new(ctx))),
        Err(e) => println!("no GPU adapter, CPU only: {e}"),
    }
    for case in cases() {
        let spec = TrainingSpec {
            data_nodes: case.data_nodes.clone(),
            conditioning_nodes: vec![],
            positive: case.schedule,
            negative: case.schedule,
            chains_per_row: case.chains_per_row,
            negative_chains: case.negative_chains,
        };
        let data = Array2::from_shape_fn((case.rows, case.data_nodes.len()), |(r, c)| {
            if (r * 7 + c * 13) % 3 == 0 { 1 } else { -1 }
        });
        for backend in &backends {
            let mut estimator =
                KlGradEstimator::new(backend, &case.model, &spec, data.view(), None, 0)
                    .expect("estimator");
            estimator.estimate(data.view(), None).expect("warm-up step");
            let steps = 10;
            let start = Instant::now();
            for _ in 0..steps {
                estimator.estimate(data.view(), None).expect("step");
                estimator.set_model(&case.model).expect("parameters");
            }
            let seconds = start.elapsed().as_secs_f64();
            println!(
                "{:<28} {:>8.2} gradient steps/s  [{}]",
                case.name,
                f64::from(steps) / seconds,
                backend.name()
            );
        }
    }
}
