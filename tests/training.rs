//! KL gradients against exact enumeration (THRML's 4-node case and random models with latent nodes),
//! on every backend; and training that recovers a known model.

mod common;

use common::{assert_within_5_se, backends, random_model};
use ising_wgpu::train::{Optimizer, TrainConfig, TrainingSpec, estimate_kl_grad, train};
use ising_wgpu::{Backend, IsingModel, SamplingSchedule, exact_kl_grad, exact_moments};
use ndarray::{Array2, array};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn spec(
    data_nodes: Vec<u32>,
    chains_per_row: usize,
    negative_chains: usize,
    samples: u64,
) -> TrainingSpec {
    TrainingSpec {
        data_nodes,
        conditioning_nodes: vec![],
        positive: SamplingSchedule::new(200, samples, 2).unwrap(),
        negative: SamplingSchedule::new(200, samples, 2).unwrap(),
        chains_per_row,
        negative_chains,
    }
}

#[test]
fn thrml_four_node_chain_within_one_percent_of_the_exact_gradient() {
    // THRML's test: chain 0-1-2-3, biases and weights uniform in (0, 1), beta 1, data nodes 0 and 2
    // fixed to (-1, -1), latent 1 and 3.
    let mut rng = StdRng::seed_from_u64(44);
    let biases: Vec<f32> = (0..4).map(|_| rng.random_range(0.0..1.0)).collect();
    let weights: Vec<f32> = (0..3).map(|_| rng.random_range(0.0..1.0)).collect();
    let model = IsingModel::new(4, vec![(0, 1), (1, 2), (2, 3)], weights, biases, 1.0).unwrap();
    let data = array![[-1i8, -1]];
    let exact = exact_kl_grad(&model, &[0, 2], data.view()).unwrap();
    for backend in backends() {
        let estimate = estimate_kl_grad(
            &backend,
            &model,
            &spec(vec![0, 2], 2048, 2048, 1000),
            data.view(),
            None,
            7,
        )
        .unwrap();
        let relative = |est: &ndarray::Array1<f64>, want: &ndarray::Array1<f64>| {
            (est - want).mapv(f64::abs).fold(0.0f64, |a, &b| a.max(b))
                / want.mapv(f64::abs).fold(0.0f64, |a, &b| a.max(b))
        };
        let (rw, rb) = (
            relative(&estimate.grad_weights, &exact.grad_weights),
            relative(&estimate.grad_biases, &exact.grad_biases),
        );
        assert!(
            rw < 0.01 && rb < 0.01,
            "{}: relative max error w {rw:.4}, b {rb:.4}",
            backend.name()
        );
        assert_within_5_se(
            &format!("{} grad_w", backend.name()),
            estimate.grad_weights.as_slice().unwrap(),
            estimate.grad_weights_stderr.as_slice().unwrap(),
            exact.grad_weights.as_slice().unwrap(),
        );
    }
}

#[test]
fn random_models_with_latent_nodes_match_the_exact_gradient() {
    for backend in backends() {
        for case in 0..4u64 {
            let n = 9 + case as usize;
            let model = random_model(100 + case, n, 0.4);
            let mut rng = StdRng::seed_from_u64(case);
            let data_nodes: Vec<u32> = (0..n as u32).filter(|_| rng.random_bool(0.5)).collect();
            let rows = Array2::from_shape_fn((3, data_nodes.len()), |_| {
                if rng.random_bool(0.5) { 1i8 } else { -1 }
            });
            let exact = exact_kl_grad(&model, &data_nodes, rows.view()).unwrap();
            let spec = spec(data_nodes, 64, 192, 800);
            let estimate =
                estimate_kl_grad(&backend, &model, &spec, rows.view(), None, case).unwrap();
            let what = format!("{} case {case}", backend.name());
            assert_within_5_se(
                &format!("{what} grad_w"),
                estimate.grad_weights.as_slice().unwrap(),
                estimate.grad_weights_stderr.as_slice().unwrap(),
                exact.grad_weights.as_slice().unwrap(),
            );
            assert_within_5_se(
                &format!("{what} grad_b"),
                estimate.grad_biases.as_slice().unwrap(),
                estimate.grad_biases_stderr.as_slice().unwrap(),
                exact.grad_biases.as_slice().unwrap(),
            );
        }
    }
}

/// `count` independent states drawn from the exact distribution of a small model.
fn exact_samples(model: &IsingModel, count: usize, seed: u64) -> Array2<i8> {
    let n = model.num_nodes();
    let weights: Vec<f64> = (0..1u32 << n)
        .map(|code| {
            let s: Vec<i8> = (0..n)
                .map(|i| if code >> i & 1 == 1 { 1 } else { -1 })
                .collect();
            (-model.energy_of(&s).unwrap()).exp()
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Array2::zeros((count, n));
    for r in 0..count {
        let mut u = rng.random_range(0.0..total);
        let code = weights.iter().position(|&w| {
            u -= w;
            u < 0.0
        });
        let code = code.unwrap_or(weights.len() - 1);
        for i in 0..n {
            out[(r, i)] = if code >> i & 1 == 1 { 1 } else { -1 };
        }
    }
    out
}

#[test]
fn training_a_fully_visible_model_recovers_its_parameters() {
    let truth = IsingModel::new(
        6,
        vec![(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0), (0, 3)],
        vec![0.6, -0.4, 0.3, 0.5, -0.2, 0.4, -0.3],
        vec![0.2, -0.1, 0.0, 0.3, -0.2, 0.1],
        1.0,
    )
    .unwrap();
    let data = exact_samples(&truth, 20_000, 3);
    let start =
        IsingModel::new(6, truth.edges().to_vec(), vec![0.0; 7], vec![0.0; 6], 1.0).unwrap();
    let spec = TrainingSpec {
        data_nodes: (0..6).collect(),
        conditioning_nodes: vec![],
        positive: SamplingSchedule::new(0, 1, 1).unwrap(),
        negative: SamplingSchedule::new(2, 20, 1).unwrap(),
        chains_per_row: 1,
        negative_chains: 256,
    };
    let config = TrainConfig {
        epochs: 30,
        batch_rows: 2000,
        learning_rate: 0.05,
        learning_rate_decay: 0.9,
        weight_decay: 0.0,
        optimizer: Optimizer::adam(),
        seed: 1,
    };
    let trained = train(
        &Backend::Cpu { threads: None },
        &start,
        &spec,
        data.view(),
        None,
        &config,
        |_| true,
    )
    .unwrap();
    // The maximum-likelihood model matches the data's moments; 20000 rows pin each moment to about
    // 0.007 (one standard error), so the trained model's exact moments must sit within 5 of those.
    let fitted = exact_moments(&trained, &[]).unwrap();
    let rows = data.nrows() as f64;
    for (k, &(i, j)) in truth.edges().iter().enumerate() {
        let products: Vec<f64> = data
            .rows()
            .into_iter()
            .map(|r| f64::from(r[i as usize] * r[j as usize]))
            .collect();
        let (mean, se) = ising_wgpu::mean_and_stderr(&products);
        assert!(
            (fitted.edge_means[k] - mean).abs() < 5.0 * se,
            "edge {k}: {} vs data {mean} +/- {se}",
            fitted.edge_means[k]
        );
        assert!(se < 1.0 / rows.sqrt() + 1e-12);
    }
    let error = trained
        .weights()
        .iter()
        .zip(truth.weights())
        .chain(trained.biases().iter().zip(truth.biases()))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(error < 0.05, "largest parameter error {error}");
}

#[test]
fn bad_training_input_is_named() {
    let model = random_model(5, 6, 0.5);
    let backend = Backend::Cpu { threads: None };
    let err = |spec: &TrainingSpec, data: Array2<i8>| {
        estimate_kl_grad(&backend, &model, spec, data.view(), None, 0)
            .unwrap_err()
            .to_string()
    };
    let e = err(&spec(vec![0, 9], 4, 4, 10), array![[1, 1]]);
    assert!(e.contains("the data nodes names node 9"), "{e}");
    let e = err(&spec(vec![0, 0], 4, 4, 10), array![[1, 1]]);
    assert!(e.contains("node 0 appears twice"), "{e}");
    let e = err(&spec(vec![0, 1], 4, 4, 10), array![[1, 1, 1]]);
    assert!(e.contains("data has 3 columns, expected 2"), "{e}");
    let e = err(&spec(vec![0, 1], 4, 4, 10), array![[1, 1], [1, 3]]);
    assert!(e.contains("data row 2, column 2: 3 is not a spin"), "{e}");
    let e = err(&spec(vec![0, 1], 0, 4, 10), array![[1, 1]]);
    assert!(e.contains("at least one chain"), "{e}");
}

#[test]
fn conditioning_nodes_are_clamped_in_both_phases() {
    // Data node 0, conditioning node 4, latent 1, 2, 3: the exact gradient averages, over rows, the
    // moments with data and conditioning clamped minus those with only the conditioning clamped.
    let model = random_model(61, 5, 0.7);
    let rows = array![[1i8], [-1], [1]];
    let cond = array![[1i8], [1], [-1]];
    let up = |v: i8| v == 1;
    let mut want_w = ndarray::Array1::<f64>::zeros(model.num_edges());
    for r in 0..3 {
        let positive =
            exact_moments(&model, &[(0, up(rows[(r, 0)])), (4, up(cond[(r, 0)]))]).unwrap();
        let negative = exact_moments(&model, &[(4, up(cond[(r, 0)]))]).unwrap();
        want_w +=
            &((&positive.edge_means - &negative.edge_means) * (-f64::from(model.beta()) / 3.0));
    }
    let spec = TrainingSpec {
        conditioning_nodes: vec![4],
        ..spec(vec![0], 128, 128, 600)
    };
    for backend in backends() {
        let g =
            estimate_kl_grad(&backend, &model, &spec, rows.view(), Some(cond.view()), 5).unwrap();
        assert_within_5_se(
            &format!("{} grad_w", backend.name()),
            g.grad_weights.as_slice().unwrap(),
            g.grad_weights_stderr.as_slice().unwrap(),
            want_w.as_slice().unwrap(),
        );
    }
    let e = estimate_kl_grad(
        &Backend::Cpu { threads: None },
        &model,
        &spec,
        rows.view(),
        None,
        0,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("conditioning nodes; give their rows"), "{e}");
}

#[test]
fn a_report_that_says_stop_interrupts_training_after_that_step() {
    let model = random_model(2, 6, 0.6);
    let data = array![[1i8, -1], [1, 1], [-1, 1], [-1, -1]];
    let spec = spec(vec![0, 3], 4, 32, 10);
    let config = TrainConfig {
        epochs: 3,
        batch_rows: 2,
        learning_rate: 0.05,
        learning_rate_decay: 1.0,
        weight_decay: 0.0,
        optimizer: Optimizer::adam(),
        seed: 1,
    };
    let mut seen = Vec::new();
    let err = train(
        &Backend::Cpu { threads: None },
        &model,
        &spec,
        data.view(),
        None,
        &config,
        |step| {
            seen.push(step.step);
            step.step < 2
        },
    )
    .unwrap_err();
    assert_eq!(seen, vec![0, 1, 2]);
    assert_eq!(err.to_string(), "interrupted after 3 of 6 gradient steps");
}
