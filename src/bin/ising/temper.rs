//! `ising temper`: parallel tempering of a model over a ladder of betas, per-beta results.

use std::time::Instant;

use ising_wgpu::temper::{parse_ladder, temper};
use ising_wgpu::{Blocks, Error, Observe, SamplerConfig, SamplingProgram, SamplingSchedule};
use ndarray::Array2;
use serde_json::json;

use crate::ModelArgs;
use crate::backend::BackendArgs;

/// Arguments of `ising temper`.
#[derive(clap::Args)]
pub(crate) struct TemperArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    run: BackendArgs,
    /// The ladder: LO:HI:N (N betas in equal ratios) or B1,B2,... (at least two).
    #[arg(long, value_name = "LADDER")]
    betas: String,
    /// Replicas per beta (a multiple of 32).
    #[arg(long, default_value_t = 32)]
    replicas: usize,
    /// Sweeps between swap rounds (neighbouring pairs of alternating parity each round).
    #[arg(long, default_value_t = 1)]
    swap_every: u64,
    /// Sweeps before the first sample.
    #[arg(long, default_value_t = 100)]
    warmup: u64,
    /// Samples per replica.
    #[arg(long, default_value_t = 1000)]
    samples: u64,
    /// Sweeps between samples.
    #[arg(long, default_value_t = 1)]
    steps_per_sample: u64,
    /// Random seed (Philox key of the sweeps and of the swap decisions).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print per-beta node and edge means with standard errors.
    #[arg(long)]
    moments: bool,
    /// Print per-beta energy and magnetization per site with standard errors.
    #[arg(long)]
    observables: bool,
    /// Print per-beta replica overlaps of replica pairs (2p, 2p + 1): means of q, q^2 and q^4 with
    /// standard errors, and the Binder ratio.
    #[arg(long)]
    overlap: bool,
}

pub(crate) fn run(args: &TemperArgs) -> ising_wgpu::Result<String> {
    let betas = parse_ladder(&args.betas)?;
    if args.replicas == 0 || !args.replicas.is_multiple_of(32) {
        return Err(Error::InvalidArgument {
            what: "--replicas",
            why: format!(
                "{} replicas; give a positive multiple of 32 (whole words a beta)",
                args.replicas
            ),
        });
    }
    let chains = args
        .replicas
        .checked_mul(betas.len())
        .ok_or_else(|| Error::InvalidArgument {
            what: "--replicas",
            why: "too many chains".into(),
        })?;
    let schedule = SamplingSchedule::new(args.warmup, args.samples, args.steps_per_sample)?;
    let (model, clamp) = args.model.load()?;
    let clamped: Vec<u32> = clamp.iter().map(|&(i, _)| i).collect();
    let values =
        Array2::from_shape_fn((1, clamp.len()), |(_, k)| if clamp[k].1 { 1i8 } else { -1 });
    let program = SamplingProgram::new(model, Blocks::Auto, &clamped)?;
    let backend = args.run.open()?;
    let config = SamplerConfig::new(chains)
        .seed(args.seed)
        .clamp_values(values)
        .betas(&betas);
    let mut sampler = backend.sampler(&program, &config)?;
    let observe = Observe {
        moments: args.moments,
        energy: args.observables,
        overlap: args.overlap,
        ..Observe::default()
    };
    let start = Instant::now();
    let tempered = temper(
        sampler.as_mut(),
        &schedule,
        &observe,
        args.swap_every,
        args.seed,
    )?;
    let seconds = start.elapsed().as_secs_f64();
    let groups: Vec<_> = (0..betas.len())
        .map(|k| args.replicas * k..args.replicas * (k + 1))
        .collect();
    let mut out = json!({
        "backend": sampler.backend_name(),
        "betas": betas,
        "replicas": args.replicas,
        "samples_per_replica": args.samples,
        "swap_every": args.swap_every,
        "acceptance": tempered.acceptance(),
        "round_trips": tempered.round_trips,
    });
    let object = out.as_object_mut().expect("a JSON object");
    if let Some(moments) = &tempered.observed.moments {
        let per: Vec<_> = groups
            .iter()
            .map(|c| moments.select_chains(c.clone()))
            .collect();
        let each = |f: &dyn Fn(&ising_wgpu::Moments) -> Vec<f64>| {
            json!(per.iter().map(f).collect::<Vec<_>>())
        };
        object.insert("node_means".into(), each(&|m| m.node_means().to_vec()));
        object.insert("edge_means".into(), each(&|m| m.edge_means().to_vec()));
        object.insert("node_stderr".into(), each(&|m| m.node_stderr().to_vec()));
        object.insert("edge_stderr".into(), each(&|m| m.edge_stderr().to_vec()));
    }
    if let Some(trace) = &tempered.observed.energy {
        let per: Vec<_> = groups
            .iter()
            .map(|c| trace.select_chains(c.clone()))
            .collect();
        let energy: Vec<(f64, f64)> = per.iter().map(|t| t.energy_per_site()).collect();
        let magnetization: Vec<(f64, f64)> =
            per.iter().map(|t| t.magnetization_per_site()).collect();
        object.insert(
            "energy_mean".into(),
            json!(energy.iter().map(|v| v.0).collect::<Vec<_>>()),
        );
        object.insert(
            "energy_stderr".into(),
            json!(energy.iter().map(|v| v.1).collect::<Vec<_>>()),
        );
        object.insert(
            "magnetization_mean".into(),
            json!(magnetization.iter().map(|v| v.0).collect::<Vec<_>>()),
        );
        object.insert(
            "magnetization_stderr".into(),
            json!(magnetization.iter().map(|v| v.1).collect::<Vec<_>>()),
        );
    }
    if let Some(trace) = &tempered.observed.overlap {
        let stats: Vec<_> = groups
            .iter()
            .map(|c| trace.select_chains(c.clone()).stats())
            .collect();
        let field = |f: &dyn Fn(&ising_wgpu::OverlapStats) -> f64| {
            json!(stats.iter().map(f).collect::<Vec<_>>())
        };
        object.insert("q_mean".into(), field(&|s| s.q.0));
        object.insert("q_stderr".into(), field(&|s| s.q.1));
        object.insert("q2_mean".into(), field(&|s| s.q2.0));
        object.insert("q2_stderr".into(), field(&|s| s.q2.1));
        object.insert("q4_mean".into(), field(&|s| s.q4.0));
        object.insert("q4_stderr".into(), field(&|s| s.q4.1));
        object.insert("binder".into(), field(&|s| s.binder));
    }
    object.insert("seconds".into(), json!(seconds));
    Ok(out.to_string())
}
