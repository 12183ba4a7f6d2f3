//! A Boltzmann machine on the 8x8 digits: 128 pixel spins (each pixel binarised twice, grey level
//! above 3 and above 10: a 2-level thermometer code) and 10 label spins
//! (one-hot), all joined to a layer of latent spins and every pixel joined to every label, trained with PCD on 80% of the rows; the other
//! 20% are classified by clamping their pixels and sampling the labels.
//!
//! `cargo run --release --example digits -- [--hidden 64] [--epochs 40] [--lr 0.005] [--out-dir .]`
//!
//! Prints the held-out accuracy; writes `digits_training.png` (held-out accuracy, by the model's exact
//! label posterior, per epoch) and `digits_samples.png` (pixel means sampled with each label clamped).
//! Data: UCI "Optical Recognition of Handwritten Digits" (Alpaydin and Kaynak, 1998), CC BY 4.0.

mod common;

use std::path::PathBuf;

use clap::Parser;
use ising_wgpu::train::{Optimizer, TrainConfig, TrainingSpec, train};
use ising_wgpu::{
    Backend, Blocks, Init, IsingModel, SamplerConfig, SamplingProgram, SamplingSchedule,
};
use ndarray::{Array2, Axis, s};
use plotters::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Grey levels (0..16) a pixel must exceed for each of its spins: a 2-level thermometer code.
const THRESHOLDS: [u32; 2] = [3, 10];
const GRID: usize = 64;
const PIXELS: usize = GRID * THRESHOLDS.len();
const LABELS: usize = 10;
const VISIBLE: usize = PIXELS + LABELS;

#[derive(Parser)]
struct Args {
    /// Latent spins.
    #[arg(long, default_value_t = 64)]
    hidden: usize,
    /// Training epochs.
    #[arg(long, default_value_t = 40)]
    epochs: usize,
    /// Learning rate (Adam) of the first epoch; it decays by 5% an epoch.
    #[arg(long, default_value_t = 0.005)]
    lr: f64,
    /// Persistent negative chains.
    #[arg(long, default_value_t = 512)]
    negative_chains: usize,
    /// "gpu" or "cpu"; by default a hardware GPU if there is one, else the CPU.
    #[arg(long)]
    backend: Option<String>,
    /// Where to write the two PNGs.
    #[arg(long, default_value = ".")]
    out_dir: PathBuf,
}

/// The data set: visible rows (pixels then one-hot labels, -1/+1) and the labels.
fn load_digits() -> (Array2<i8>, Vec<usize>) {
    let text = include_str!("../data/digits.csv");
    let rows: Vec<Vec<u32>> = text
        .lines()
        .map(|l| {
            l.split(',')
                .map(|v| v.trim().parse().expect("digits.csv holds integers"))
                .collect()
        })
        .collect();
    let labels: Vec<usize> = rows.iter().map(|r| r[GRID] as usize).collect();
    let visible = Array2::from_shape_fn((rows.len(), VISIBLE), |(r, c)| {
        let up = if c < PIXELS {
            rows[r][c % GRID] > THRESHOLDS[c / GRID]
        } else {
            c - PIXELS == labels[r]
        };
        if up { 1 } else { -1 }
    });
    (visible, labels)
}

/// Every visible spin joined to every latent spin (edge `v * hidden + h`), then every pixel to every
/// label (edge `VISIBLE * hidden + v * LABELS + l`); small random weights, zero biases.
fn initial_model(hidden: usize) -> ising_wgpu::Result<IsingModel> {
    let mut rng = StdRng::seed_from_u64(7);
    let latent =
        (0..VISIBLE as u32).flat_map(|v| (0..hidden as u32).map(move |h| (v, VISIBLE as u32 + h)));
    let direct =
        (0..PIXELS as u32).flat_map(|v| (0..LABELS as u32).map(move |l| (v, PIXELS as u32 + l)));
    let edges: Vec<(u32, u32)> = latent.chain(direct).collect();
    let weights = edges
        .iter()
        .map(|_| rng.random_range(-0.01..0.01))
        .collect();
    IsingModel::new(
        VISIBLE + hidden,
        edges,
        weights,
        vec![0.0; VISIBLE + hidden],
        1.0,
    )
}

/// The label with the largest exact posterior given the pixels: the hidden spins sum out in closed
/// form, `p(y | x) ∝ exp(beta (label terms)) prod_h 2 cosh(beta (c_h + sum_v J_vh s_v))`, where the
/// label terms are the label biases and pixel-label couplings of the one-hot state of `y`.
fn exact_predictions(model: &IsingModel, rows: &Array2<i8>, hidden: usize) -> Vec<usize> {
    let beta = f64::from(model.beta());
    let (w, b) = (model.weights(), model.biases());
    let weight = |v: usize, h: usize| f64::from(w[v * hidden + h]);
    rows.axis_iter(Axis(0))
        .map(|row| {
            let pixel_field: Vec<f64> = (0..hidden)
                .map(|h| {
                    f64::from(b[VISIBLE + h])
                        + (0..PIXELS)
                            .map(|v| weight(v, h) * f64::from(row[v]))
                            .sum::<f64>()
                })
                .collect();
            let direct = |l: usize| {
                (0..PIXELS)
                    .map(|v| f64::from(w[VISIBLE * hidden + v * LABELS + l]) * f64::from(row[v]))
                    .sum::<f64>()
            };
            let score = |y: usize| {
                let label_bias: f64 = (0..LABELS)
                    .map(|l| {
                        (f64::from(b[PIXELS + l]) + direct(l)) * if l == y { 1.0 } else { -1.0 }
                    })
                    .sum();
                let free: f64 = (0..hidden)
                    .map(|h| {
                        let labels: f64 = (0..LABELS)
                            .map(|l| weight(PIXELS + l, h) * if l == y { 1.0 } else { -1.0 })
                            .sum();
                        (beta * (pixel_field[h] + labels)).cosh().ln()
                    })
                    .sum();
                beta * label_bias + free
            };
            (0..LABELS)
                .max_by(|&a, &c| score(a).total_cmp(&score(c)))
                .expect("ten labels")
        })
        .collect()
}

/// Predictions by sampling: pixels clamped, labels and latent spins sampled, the label spin most
/// often up wins.
fn sampled_predictions(
    backend: &Backend,
    model: &IsingModel,
    rows: &Array2<i8>,
) -> ising_wgpu::Result<Vec<usize>> {
    let chains_per_row = 8;
    let pixels: Vec<u32> = (0..PIXELS as u32).collect();
    let program = SamplingProgram::new(model.clone(), Blocks::Auto, &pixels)?;
    let clamp = Array2::from_shape_fn((rows.nrows() * chains_per_row, PIXELS), |(c, v)| {
        rows[(c / chains_per_row, v)]
    });
    let mut sampler = backend.sampler(
        &program,
        &SamplerConfig::new(clamp.nrows())
            .seed(11)
            .clamp_values(clamp.clone()),
    )?;
    let labels: Vec<u32> = (PIXELS as u32..VISIBLE as u32).collect();
    let samples = sampler.sample(&SamplingSchedule::new(50, 100, 1)?, &labels)?; // samples x chains x labels
    let ups = samples.mapv(f64::from).sum_axis(Axis(0)); // chains x labels
    Ok((0..rows.nrows())
        .map(|r| {
            let votes = ups
                .slice(s![r * chains_per_row..(r + 1) * chains_per_row, ..])
                .sum_axis(Axis(0));
            (0..LABELS)
                .max_by(|&a, &b| votes[a].total_cmp(&votes[b]))
                .expect("ten labels")
        })
        .collect())
}

fn accuracy(predicted: &[usize], truth: &[usize]) -> f64 {
    predicted.iter().zip(truth).filter(|(p, t)| p == t).count() as f64 / truth.len() as f64
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let backend = common::backend(args.backend.as_deref())?;
    println!("backend: {}", backend.name());
    let (visible, labels) = load_digits();
    let (train_rows, test_rows): (Vec<usize>, Vec<usize>) =
        (0..visible.nrows()).partition(|r| r % 5 != 0);
    let train_data = visible.select(Axis(0), &train_rows);
    let test_data = visible.select(Axis(0), &test_rows);
    let test_labels: Vec<usize> = test_rows.iter().map(|&r| labels[r]).collect();
    println!(
        "{} training rows, {} held out; {} latent spins",
        train_rows.len(),
        test_rows.len(),
        args.hidden
    );

    let spec = TrainingSpec {
        data_nodes: (0..VISIBLE as u32).collect(),
        conditioning_nodes: vec![],
        positive: SamplingSchedule::new(1, 4, 1)?,
        negative: SamplingSchedule::new(1, 4, 1)?,
        chains_per_row: 1,
        negative_chains: args.negative_chains,
    };
    let config = TrainConfig {
        epochs: args.epochs,
        batch_rows: 100,
        learning_rate: args.lr,
        learning_rate_decay: 0.95,
        weight_decay: 1e-4,
        optimizer: Optimizer::adam(),
        seed: 0,
    };
    let mut curve = Vec::new();
    let start = std::time::Instant::now();
    let mut steps = 0u32;
    let model = train(
        &backend,
        &initial_model(args.hidden)?,
        &spec,
        train_data.view(),
        None,
        &config,
        |step| {
            steps += 1;
            if step.epoch_done {
                let held_out = accuracy(
                    &exact_predictions(step.model, &test_data, args.hidden),
                    &test_labels,
                );
                println!(
                    "epoch {:>3}  held-out accuracy (exact posterior) {held_out:.3}",
                    step.epoch + 1
                );
                curve.push(held_out);
            }
            true
        },
    )?;
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{steps} gradient steps in {seconds:.1} s ({:.1} steps/s)",
        f64::from(steps) / seconds
    );
    let sampled = accuracy(
        &sampled_predictions(&backend, &model, &test_data)?,
        &test_labels,
    );
    println!("held-out accuracy, pixels clamped and labels sampled: {sampled:.3}");
    plot_curve(&args.out_dir.join("digits_training.png"), &curve, sampled)?;
    plot_samples(&args.out_dir.join("digits_samples.png"), &backend, &model)?;
    println!(
        "wrote {} and {}",
        args.out_dir.join("digits_training.png").display(),
        args.out_dir.join("digits_samples.png").display()
    );
    Ok(())
}

fn plot_curve(
    path: &std::path::Path,
    curve: &[f64],
    sampled: f64,
) -> Result<(), Box<dyn std::error::Error>> {
    common::register_font()?;
    let root = BitMapBackend::new(path, (700, 450)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "digits: held-out accuracy during training",
            ("sans-serif", 22),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..curve.len() as f64 + 1.0, 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("accuracy")
        .draw()?;
    chart
        .draw_series(LineSeries::new(
            curve.iter().enumerate().map(|(e, &a)| (e as f64 + 1.0, a)),
            &BLUE,
        ))?
        .label("exact label posterior")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
    chart
        .draw_series(std::iter::once(Circle::new(
            (curve.len() as f64, sampled),
            5,
            RED.filled(),
        )))?
        .label(format!("labels sampled, pixels clamped: {sampled:.3}"))
        .legend(|(x, y)| Circle::new((x + 10, y), 4, RED.filled()));
    common::draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    root.present()?;
    Ok(())
}

/// Pixel means sampled with each label clamped (one-hot), one 8x8 picture per digit.
fn plot_samples(
    path: &std::path::Path,
    backend: &Backend,
    model: &IsingModel,
) -> Result<(), Box<dyn std::error::Error>> {
    let labels: Vec<u32> = (PIXELS as u32..VISIBLE as u32).collect();
    let program = SamplingProgram::new(model.clone(), Blocks::Auto, &labels)?;
    let chains_per_digit = 32;
    let clamp = Array2::from_shape_fn((LABELS * chains_per_digit, LABELS), |(c, l)| {
        if c / chains_per_digit == l { 1i8 } else { -1 }
    });
    let mut sampler = backend.sampler(
        &program,
        &SamplerConfig::new(clamp.nrows())
            .seed(5)
            .init(Init::Uniform)
            .clamp_values(clamp.clone()),
    )?;
    let pixels: Vec<u32> = (0..PIXELS as u32).collect();
    let samples = sampler.sample(&SamplingSchedule::new(200, 50, 2)?, &pixels)?; // samples x chains x pixels
    let means = samples.mapv(f64::from).mean_axis(Axis(0)).expect("samples"); // chains x pixels
    let root = BitMapBackend::new(path, (10 * 80, 80)).into_drawing_area();
    root.fill(&WHITE)?;
    for (digit, area) in root.split_evenly((1, LABELS)).iter().enumerate() {
        let block = means
            .slice(s![
                digit * chains_per_digit..(digit + 1) * chains_per_digit,
                ..
            ])
            .mean_axis(Axis(0))
            .expect("chains");
        for p in 0..GRID {
            let (x, y) = ((p % 8) as i32 * 9 + 4, (p / 8) as i32 * 9 + 4);
            // Mean over the pixel's spins of P(up), as ink.
            let up = (0..THRESHOLDS.len())
                .map(|t| (block[t * GRID + p] + 1.0) / 2.0)
                .sum::<f64>()
                / THRESHOLDS.len() as f64;
            let ink = ((1.0 - up) * 255.0) as u8;
            area.draw(&Rectangle::new(
                [(x, y), (x + 9, y + 9)],
                RGBColor(ink, ink, ink).filled(),
            ))?;
        }
    }
    root.present()?;
    Ok(())
}
