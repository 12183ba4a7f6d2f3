//! `ising`: exact moments, block Gibbs sampling, KL gradients and training of Ising models.
//!
//! Results go to stdout as JSON; a bad file or argument is one line on stderr and exit code 2.

mod anneal;
mod backend;
mod bench;
mod checkpoint;
mod devices;
mod exact;
mod per_beta;
mod ranks;
mod sample;
mod temper;
mod train;
mod values;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Define, sample and train Ising models (THRML's conventions).
#[derive(Parser)]
#[command(name = "ising", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Exact node and edge means (and ln Z) by enumerating every free state (at most 24 free nodes).
    Exact(exact::ExactArgs),
    /// Block Gibbs sampling: moment estimates with standard errors, or samples to an NPY file.
    Sample(sample::SampleArgs),
    /// The KL gradient of a data set (THRML's estimate_kl_grad), or exact with --exact.
    KlGrad(train::KlGradArgs),
    /// Train a model on a data set and write the trained model.
    Train(train::TrainArgs),
    /// Throughput (flips/ns) on a periodic lattice or an edge-list graph, with energy and |m|.
    Bench(bench::BenchArgs),
    /// Simulated annealing of a problem (Gset MaxCut, dimod COO, model JSON): best energy, cut, all reads.
    Anneal(anneal::AnnealArgs),
    /// Parallel tempering over a ladder of betas: per-beta moments and observables, swap acceptance.
    Temper(temper::TemperArgs),
    /// Every GPU adapter wgpu finds, its limits and features, and what --backend auto takes.
    Devices(devices::DevicesArgs),
}

/// The model file and optional clamping, shared by the subcommands.
#[derive(clap::Args)]
struct ModelArgs {
    /// Model JSON: {"num_nodes", "edges", "weights", "biases", "beta"}.
    #[arg(long, value_name = "M.json")]
    model: PathBuf,
    /// Clamped nodes and their spins, e.g. 0=+1,3=-1.
    #[arg(long, value_name = "NODE=SPIN,...")]
    clamp: Option<String>,
}

impl ModelArgs {
    fn load(&self) -> ising_wgpu::Result<(ising_wgpu::IsingModel, Vec<(u32, bool)>)> {
        let model = ising_wgpu::io::read_model_json(&self.model)?;
        let clamp = match &self.clamp {
            Some(text) => ising_wgpu::io::parse_clamp_list(text)?,
            None => Vec::new(),
        };
        Ok((model, clamp))
    }

    /// The model's program with automatic blocks and the clamped nodes, and the clamp values (one
    /// row for every chain, -1/+1).
    fn program(&self) -> ising_wgpu::Result<(ising_wgpu::SamplingProgram, ndarray::Array2<i8>)> {
        let (model, clamp) = self.load()?;
        let clamped: Vec<u32> = clamp.iter().map(|&(i, _)| i).collect();
        let values =
            ndarray::Array2::from_shape_fn(
                (1, clamp.len()),
                |(_, k)| if clamp[k].1 { 1i8 } else { -1 },
            );
        let program = ising_wgpu::SamplingProgram::new(model, ising_wgpu::Blocks::Auto, &clamped)?;
        Ok((program, values))
    }
}

/// `--warmup`, `--samples` and `--steps-per-sample` of `sample` and `temper`.
#[derive(clap::Args)]
struct ScheduleArgs {
    /// Sweeps before the first sample.
    #[arg(long, default_value_t = 100)]
    warmup: u64,
    /// Samples per chain.
    #[arg(long, default_value_t = 1000)]
    samples: u64,
    /// Sweeps between samples.
    #[arg(long, default_value_t = 1)]
    steps_per_sample: u64,
}

impl ScheduleArgs {
    /// The schedule these flags give.
    fn schedule(&self) -> ising_wgpu::Result<ising_wgpu::SamplingSchedule> {
        ising_wgpu::SamplingSchedule::new(self.warmup, self.samples, self.steps_per_sample)
    }
}

/// `e` with the library's name of a request too large replaced by the command's flag for it.
fn by_flag(e: ising_wgpu::Error, flags: &[(&str, &'static str)]) -> ising_wgpu::Error {
    match e {
        ising_wgpu::Error::TooLarge {
            what,
            detail,
            needed,
            available,
        } => ising_wgpu::Error::TooLarge {
            what: flags
                .iter()
                .find(|(name, _)| *name == what)
                .map_or(what, |(_, flag)| flag),
            detail,
            needed,
            available,
        },
        e => e,
    }
}

fn main() -> ExitCode {
    let _mpi = ranks::start();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // Clap's message without its usage block, on one line.
            let text = e.to_string();
            let message: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .filter(|l| !l.is_empty())
                .collect();
            eprintln!("ising: {} (see ising --help)", message.join(" "));
            return ExitCode::from(2);
        }
        Err(e) => e.exit(),
    };
    // The library names a request too large by its parameter; the command line by the flag.
    const SAMPLING: &[(&str, &str)] = &[("chains", "--chains"), ("n_samples", "--samples")];
    let result = match cli.command {
        Command::Exact(args) => exact::run(&args),
        Command::Sample(args) => sample::run(&args).map_err(|e| by_flag(e, SAMPLING)),
        Command::KlGrad(args) => train::kl_grad(&args).map_err(|e| by_flag(e, SAMPLING)),
        Command::Train(args) => train::train_model(&args).map_err(|e| by_flag(e, SAMPLING)),
        Command::Bench(args) => {
            let nodes = if args.graph.is_some() {
                "--graph"
            } else {
                "--size"
            };
            bench::run(&args).map_err(|e| {
                let flags = [
                    ("chains", "--chains"),
                    ("num_nodes", nodes),
                    ("sites", "--size"),
                ];
                by_flag(e, &flags)
            })
        }
        Command::Anneal(args) => anneal::run(&args)
            .map_err(|e| by_flag(e, &[("chains", "--reads"), ("num_nodes", "--problem")])),
        Command::Temper(args) => temper::run(&args)
            .map_err(|e| by_flag(e, &[("chains", "--replicas"), ("n_samples", "--samples")])),
        Command::Devices(args) => devices::run(&args),
    };
    // Under mpirun rank 0 prints the results; every rank prints its error, named.
    match (result, ranks::ranks()) {
        (Ok(json), _) => {
            if ranks::rank() == 0 {
                println!("{json}");
            }
            ExitCode::SUCCESS
        }
        (Err(e), 1) => {
            eprintln!("ising: error: {e}");
            ExitCode::from(2)
        }
        (Err(e), ranks) => {
            // One write a line, so that the ranks' lines do not interleave.
            let line = format!("ising: error (rank {} of {ranks}): {e}\n", ranks::rank());
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            ExitCode::from(2)
        }
    }
}
