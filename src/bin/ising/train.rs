//! `ising kl-grad` and `ising train`: gradients and training on a data CSV.

use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use ising_wgpu::io::{
    check_output, model_to_json, read_data_csv, read_model_json, write_model_json,
};
use ising_wgpu::train::{Optimizer, TrainConfig, TrainRun, TrainingSpec, estimate_kl_grad};
use ising_wgpu::{Error, IsingModel, SamplingSchedule, exact_kl_grad};
use ndarray::Array2;
use serde_json::json;

use crate::backend::BackendArgs;
use crate::checkpoint::{CheckpointArgs, Checkpointer, digest};

/// Model, data and sampling arguments shared by `kl-grad` and `train`.
#[derive(clap::Args)]
pub(crate) struct DataArgs {
    /// Model JSON.
    #[arg(long, value_name = "M.json")]
    model: PathBuf,
    /// Data CSV: one row per line, -1/+1 (or 0/1), columns in --data-nodes order.
    #[arg(long, value_name = "D.csv")]
    data: PathBuf,
    /// The nodes the data columns belong to, e.g. 0,2.
    #[arg(long, value_name = "I,J,...")]
    data_nodes: String,
    /// Chains: per data row in the positive phase, and in all in the negative phase.
    #[arg(long, default_value_t = 256)]
    chains: usize,
    /// Sweeps before the first sample of each phase.
    #[arg(long, default_value_t = 100)]
    warmup: u64,
    /// Samples per chain in each phase.
    #[arg(long, default_value_t = 100)]
    samples: u64,
    /// Sweeps between samples.
    #[arg(long, default_value_t = 1)]
    steps_per_sample: u64,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    run: BackendArgs,
}

impl DataArgs {
    fn load(&self) -> ising_wgpu::Result<(IsingModel, Vec<u32>, Array2<i8>)> {
        let model = read_model_json(&self.model)?;
        let data_nodes = parse_nodes(&self.data_nodes)?;
        let data = read_data_csv(&self.data, data_nodes.len())?;
        Ok((model, data_nodes, data))
    }

    fn spec(&self, data_nodes: Vec<u32>) -> ising_wgpu::Result<TrainingSpec> {
        let schedule = SamplingSchedule::new(self.warmup, self.samples, self.steps_per_sample)?;
        Ok(TrainingSpec {
            data_nodes,
            conditioning_nodes: vec![],
            positive: schedule,
            negative: schedule,
            chains_per_row: self.chains,
            negative_chains: self.chains,
        })
    }
}

fn parse_nodes(text: &str) -> ising_wgpu::Result<Vec<u32>> {
    text.split(',')
        .map(|t| {
            t.trim().parse().map_err(|_| Error::InvalidArgument {
                what: "--data-nodes",
                why: format!("'{}' is not a node index", ising_wgpu::io::shown(t.trim())),
            })
        })
        .collect()
}

/// Arguments of `ising kl-grad`.
#[derive(clap::Args)]
pub(crate) struct KlGradArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Compute the gradient by exact enumeration instead of sampling.
    #[arg(long)]
    exact: bool,
}

pub(crate) fn kl_grad(args: &KlGradArgs) -> ising_wgpu::Result<String> {
    let (model, data_nodes, data) = args.data.load()?;
    if args.exact {
        let g = exact_kl_grad(&model, &data_nodes, data.view())?;
        return Ok(
            json!({"grad_weights": g.grad_weights.to_vec(), "grad_biases": g.grad_biases.to_vec()})
                .to_string(),
        );
    }
    let spec = args.data.spec(data_nodes)?;
    let backend = args.data.run.open()?;
    let g = estimate_kl_grad(&backend, &model, &spec, data.view(), None, args.data.seed)?;
    Ok(json!({
        "grad_weights": g.grad_weights.to_vec(),
        "grad_biases": g.grad_biases.to_vec(),
        "grad_weights_stderr": g.grad_weights_stderr.to_vec(),
        "grad_biases_stderr": g.grad_biases_stderr.to_vec(),
        "ranks": crate::ranks::ranks(),
        "backend": backend.name(),
    })
    .to_string())
}

/// Optimisers of `ising train`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum OptimizerChoice {
    Adam,
    Sgd,
}

/// Arguments of `ising train`.
#[derive(clap::Args)]
pub(crate) struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Passes over the data.
    #[arg(long, value_parser = crate::values::at_least_one)]
    epochs: usize,
    /// Learning rate.
    #[arg(long, allow_negative_numbers = true, value_parser = crate::values::positive)]
    lr: f64,
    /// Optimiser.
    #[arg(long, value_enum, default_value = "adam")]
    optimizer: OptimizerChoice,
    /// Momentum of SGD.
    #[arg(long, default_value_t = 0.9, allow_negative_numbers = true, value_parser = crate::values::momentum)]
    momentum: f64,
    /// Learning-rate factor per epoch.
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true, value_parser = crate::values::positive)]
    lr_decay: f64,
    /// L2 penalty on the weights.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true, value_parser = crate::values::non_negative)]
    weight_decay: f64,
    /// Rows per gradient step.
    #[arg(long, default_value_t = 100, value_parser = crate::values::at_least_one)]
    batch: usize,
    /// Where to write the trained model (model JSON).
    #[arg(long, value_name = "trained.json")]
    out: PathBuf,
    #[command(flatten)]
    checkpoint: CheckpointArgs,
}

pub(crate) fn train_model(args: &TrainArgs) -> ising_wgpu::Result<String> {
    check_output(&args.out)?;
    let (mut checkpointer, resumed) = Checkpointer::new(&args.checkpoint, "train")?;
    let (model, data_nodes, data) = args.data.load()?;
    let spec = args.data.spec(data_nodes.clone())?;
    let config = TrainConfig {
        epochs: args.epochs,
        batch_rows: args.batch,
        learning_rate: args.lr,
        learning_rate_decay: args.lr_decay,
        weight_decay: args.weight_decay,
        optimizer: match args.optimizer {
            OptimizerChoice::Adam => Optimizer::adam(),
            OptimizerChoice::Sgd => Optimizer::Sgd {
                momentum: args.momentum,
            },
        },
        seed: args.data.seed,
    };
    config.check()?;
    let backend = args.data.run.open()?;
    // Under mpirun, rank 0 alone shows progress and writes the model.
    let root = crate::ranks::rank() == 0;
    let bar = match root {
        true => ProgressBar::new(0),
        false => ProgressBar::hidden(),
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} steps, epoch {msg} [{elapsed_precise} < {eta_precise}]",
        )
        .expect("a valid template"),
    );
    let d = &args.data;
    // Everything the results depend on; a resumed checkpoint must have been saved with the same.
    checkpointer.bind(
        json!({
            "model": digest(model_to_json(&model).as_bytes()),
            "data": digest(&data.iter().map(|&v| v as u8).collect::<Vec<u8>>()),
            "data_nodes": data_nodes,
            "chains": d.chains,
            "schedule": [d.warmup, d.samples, d.steps_per_sample],
            "seed": d.seed,
            "epochs": args.epochs,
            "batch": args.batch,
            "lr": [args.lr, args.lr_decay, args.weight_decay],
            "optimizer": format!("{:?}", config.optimizer),
            "backend": backend.name(),
        }),
        resumed.as_ref(),
    )?;
    let mut run = TrainRun::new(&backend, &model, &spec, data.view(), None, &config)?;
    if let Some(checkpoint) = &resumed {
        run.restore(checkpoint)?;
    }
    bar.set_length(run.total_steps() as u64);
    let start = Instant::now();
    let mut last_norm = 0.0;
    while !run.finished() {
        let gradient = run.step()?;
        let step = run.report(&gradient);
        bar.set_position(step.step as u64 + 1);
        bar.set_message(format!("{}", step.epoch + 1));
        last_norm = gradient
            .grad_weights
            .iter()
            .chain(&gradient.grad_biases)
            .map(|g| g * g)
            .sum::<f64>()
            .sqrt();
        if !run.finished() {
            checkpointer.maybe_save(run.steps_done() as u64, |checkpoint| run.store(checkpoint))?;
        }
    }
    let trained = run.into_model();
    bar.finish_and_clear();
    if root {
        write_model_json(&args.out, &trained)?;
    }
    let result = Ok(json!({
        "out": args.out.display().to_string(),
        "epochs": args.epochs,
        "last_gradient_norm": last_norm,
        "seconds": start.elapsed().as_secs_f64(),
        "ranks": crate::ranks::ranks(),
        "backend": backend.name(),
    })
    .to_string());
    checkpointer.finish()?;
    result
}
