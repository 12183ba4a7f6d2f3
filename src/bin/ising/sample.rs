//! `ising sample`: block Gibbs sampling, moments or samples.

use std::path::PathBuf;
use std::time::Instant;

use ising_wgpu::io::{check_output, model_to_json};
use ising_wgpu::{Error, Observe, Observed, Pace, SamplerConfig, ScheduleRun};
use serde_json::json;

use crate::backend::BackendArgs;
use crate::checkpoint::{CheckpointArgs, Checkpointer, digest};
use crate::per_beta::PerBeta;
use crate::{ModelArgs, ScheduleArgs};

/// Arguments of `ising sample`.
#[derive(clap::Args)]
pub(crate) struct SampleArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[command(flatten)]
    run: BackendArgs,
    /// Parallel chains.
    #[arg(long, default_value_t = 64)]
    chains: usize,
    #[command(flatten)]
    schedule: ScheduleArgs,
    /// Random seed (Philox key).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print node and edge means with standard errors instead of writing samples.
    #[arg(long)]
    moments: bool,
    /// Write samples (samples x chains x nodes, int8 -1/+1) to this NPY file.
    #[arg(long, value_name = "FILE.npy")]
    out: Option<PathBuf>,
    /// Also record these per-chain observables at each sample point and print their means per site
    /// with standard errors (from the spread between chains): energy (H = -(sum b s + sum J s s),
    /// without beta), magnetization (sum of spins); clamped nodes included.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    observe: Vec<Observable>,
    /// Sample at these inverse temperatures instead of the model's beta: the chains split into as
    /// many groups of whole 32-chain words, in order (e.g. 256 chains, 4 betas: 64 each); moments and
    /// observables are printed per beta, as arrays in beta order.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    betas: Vec<f32>,
    /// Write energy and magnetization per site of every chain at every sample point (samples x
    /// chains x 2, float64) to this NPY file.
    #[arg(long, value_name = "FILE.npy")]
    observables_out: Option<PathBuf>,
    #[command(flatten)]
    checkpoint: CheckpointArgs,
}

/// A per-chain observable of `--observe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Observable {
    /// `H(s) / nodes`.
    Energy,
    /// `M(s) / nodes`.
    Magnetization,
}

pub(crate) fn run(args: &SampleArgs) -> ising_wgpu::Result<String> {
    let energy = !args.observe.is_empty() || args.observables_out.is_some();
    if !args.moments && args.out.is_none() && !energy {
        return Err(Error::InvalidArgument {
            what: "arguments",
            why: "give at least one of --moments, --out FILE.npy, --observe LIST and \
                  --observables-out FILE.npy"
                .into(),
        });
    }
    // Refused now, not after the run.
    for path in args.out.iter().chain(&args.observables_out) {
        check_output(path)?;
    }
    let (mut checkpointer, resumed) = Checkpointer::new(&args.checkpoint, "sample")?;
    let (program, values) = args.model.program()?;
    let n = program.model().num_nodes();
    let schedule = args.schedule.schedule()?;
    let observe = Observe {
        samples: args.out.is_some().then(|| (0..n as u32).collect()),
        moments: args.moments,
        energy,
        overlap: false,
    };
    // What the run will hold, refused before any device is opened or spin allocated.
    observe.check_memory(&schedule, n, program.model().num_edges(), args.chains)?;
    let backend = args.run.open()?;
    let mut config = SamplerConfig::new(args.chains)
        .seed(args.seed)
        .clamp_values(values);
    if !args.betas.is_empty() {
        // hinton_init draws each group at its own beta.
        config = config.betas(&args.betas);
    }
    let mut sampler = backend.sampler(&program, &config)?;
    // Everything the results depend on; a resumed checkpoint must have been saved with the same.
    checkpointer.bind_sampler(
        json!({
            "model": digest(model_to_json(program.model()).as_bytes()),
            "clamp": args.model.clamp,
            "chains": args.chains,
            "seed": args.seed,
            "schedule": [schedule.n_warmup, schedule.n_samples, schedule.steps_per_sample],
            "observe": [observe.samples.is_some(), observe.moments, observe.energy],
            "betas": args.betas,
        }),
        resumed.as_ref(),
        sampler.as_mut(),
    )?;
    let mut run = match &resumed {
        Some(checkpoint) => {
            let edges = program.model().num_edges();
            let observed = Observed::restore(checkpoint, &observe, args.chains, (n, edges))?;
            ScheduleRun::resume(&schedule, checkpointer.resumed_done(), observed)?
        }
        None => ScheduleRun::new(&schedule),
    };
    let start = Instant::now();
    let common = json!({
        "backend": sampler.backend_name(),
        "chains": args.chains,
        "ranks": crate::ranks::ranks(),
        "samples_per_chain": args.schedule.samples,
        "blocks": program.blocks().len(),
    });
    // One call unless checkpoints are saved, then parts of about a second up to each due save.
    let mut pace = Pace::new(std::time::Duration::from_secs(1));
    while !run.finished() {
        let budget = match checkpointer.saving() {
            true => sampler
                .part_sweeps(pace.sweeps())?
                .min(checkpointer.budget(run.done())),
            false => u64::MAX,
        };
        let part = Instant::now();
        let ran = run.step(sampler.as_mut(), &observe, budget)?;
        pace.record(ran, part.elapsed());
        if !run.finished() {
            checkpointer.maybe_save(run.done(), |checkpoint| {
                checkpoint.put_sampler_state(&sampler.save_state()?);
                if let Some(observed) = run.observed() {
                    observed.store(checkpoint);
                }
                Ok(())
            })?;
        }
    }
    let observed = run.into_observed().expect("a finished run");
    let mut out = common;
    let object = out.as_object_mut().expect("a JSON object");
    if let (Some(path), Some(samples)) = (&args.out, observed.samples) {
        let shape = samples.shape().to_vec();
        let data: Vec<i8> = samples.into_iter().collect();
        ising_wgpu::io::write_npy_i8(path, &shape, &data)?;
        object.insert("out".into(), json!(path.display().to_string()));
        object.insert("shape".into(), json!(shape));
    }
    // One value per key, or with --betas an array of them in beta order.
    let temperatures = sampler.temperatures().clone();
    if !args.betas.is_empty() {
        object.insert("betas".into(), json!(temperatures.betas()));
    }
    let mut per_beta = PerBeta {
        object,
        groups: (0..temperatures.betas().len())
            .map(|k| temperatures.chains_of(k))
            .collect(),
        arrays: !args.betas.is_empty(),
    };
    if let Some(moments) = &observed.moments {
        per_beta.moments(moments);
    }
    if let Some(trace) = observed.energy {
        per_beta.observables(
            &trace,
            args.observe.contains(&Observable::Energy),
            args.observe.contains(&Observable::Magnetization),
        );
        // Under mpirun, rank 0 alone writes.
        if let Some(path) = args
            .observables_out
            .as_ref()
            .filter(|_| crate::ranks::rank() == 0)
        {
            let energies = trace.energies();
            let magnetizations = trace.magnetizations();
            let (samples, chains) = energies.dim();
            let sites = n as f64;
            let data: Vec<f64> = energies
                .iter()
                .zip(&magnetizations)
                .flat_map(|(&e, &m)| [f64::from(e) / sites, m as f64 / sites])
                .collect();
            ising_wgpu::io::write_npy_f64(path, &[samples, chains, 2], &data)?;
            object.insert("observables_out".into(), json!(path.display().to_string()));
        }
    }
    object.insert("seconds".into(), json!(start.elapsed().as_secs_f64()));
    checkpointer.finish()?;
    Ok(out.to_string())
}
