//! `ising temper`: parallel tempering of a model over a ladder of betas, per-beta results.

use std::time::Instant;

use ising_wgpu::temper::{parse_ladder, temper};
use ising_wgpu::{Error, Observe, SamplerConfig};
use serde_json::json;

use crate::backend::BackendArgs;
use crate::per_beta::PerBeta;
use crate::{ModelArgs, ScheduleArgs};

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
    #[command(flatten)]
    schedule: ScheduleArgs,
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
    let schedule = args.schedule.schedule()?;
    let (program, values) = args.model.program()?;
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
        |_, _| true,
    )?;
    let seconds = start.elapsed().as_secs_f64();
    let groups: Vec<_> = (0..betas.len())
        .map(|k| args.replicas * k..args.replicas * (k + 1))
        .collect();
    let mut out = json!({
        "backend": sampler.backend_name(),
        "betas": betas,
        "replicas": args.replicas,
        "samples_per_replica": args.schedule.samples,
        "swap_every": args.swap_every,
        "acceptance": tempered.acceptance(),
        "round_trips": tempered.round_trips,
    });
    let object = out.as_object_mut().expect("a JSON object");
    let mut per_beta = PerBeta {
        object,
        groups,
        arrays: true,
    };
    if let Some(moments) = &tempered.observed.moments {
        per_beta.moments(moments);
    }
    if let Some(trace) = &tempered.observed.energy {
        per_beta.observables(trace, true, true);
    }
    if let Some(trace) = &tempered.observed.overlap {
        per_beta.overlaps(trace);
    }
    object.insert("seconds".into(), json!(seconds));
    Ok(out.to_string())
}
