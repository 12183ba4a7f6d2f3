//! `ising temper`: parallel tempering of a model over a ladder of betas, per-beta results.

use std::time::Instant;

use ising_wgpu::io::model_to_json;
use ising_wgpu::temper::{TemperRun, parse_ladder};
use ising_wgpu::{Error, Observe, SamplerConfig};
use serde_json::json;

use crate::backend::BackendArgs;
use crate::checkpoint::{CheckpointArgs, Checkpointer, digest};
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
    #[command(flatten)]
    checkpoint: CheckpointArgs,
}

pub(crate) fn run(args: &TemperArgs) -> ising_wgpu::Result<String> {
    let betas = parse_ladder(&args.betas)?;
    let (mut checkpointer, resumed) = Checkpointer::new(&args.checkpoint, "temper")?;
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
    if crate::ranks::ranks() > 1 {
        return Err(Error::InvalidArgument {
            what: "mpirun",
            why: "temper runs in one process: its replica swaps join chains the ranks would split"
                .into(),
        });
    }
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
    // Everything the results depend on; a resumed checkpoint must have been saved with the same.
    checkpointer.bind_sampler(
        json!({
            "model": digest(model_to_json(program.model()).as_bytes()),
            "clamp": args.model.clamp,
            "betas": betas,
            "replicas": args.replicas,
            "swap_every": args.swap_every,
            "schedule": [schedule.n_warmup, schedule.n_samples, schedule.steps_per_sample],
            "seed": args.seed,
            "observe": [observe.moments, observe.energy, observe.overlap],
        }),
        resumed.as_ref(),
        sampler.as_mut(),
    )?;
    let mut run = TemperRun::new(
        sampler.as_ref(),
        &schedule,
        &observe,
        args.swap_every,
        args.seed,
    )?;
    if let Some(checkpoint) = &resumed {
        let model = program.model();
        run = run.restore(checkpoint, (model.num_nodes(), model.num_edges()))?;
    }
    let start = Instant::now();
    while !run.finished() {
        run.step(sampler.as_mut())?;
        if !run.finished() {
            checkpointer.maybe_save(run.done(), |checkpoint| {
                checkpoint.put_sampler_state(&sampler.save_state()?);
                run.store(checkpoint);
                Ok(())
            })?;
        }
    }
    let tempered = run.into_tempered();
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
    checkpointer.finish()?;
    Ok(out.to_string())
}
