//! `ising sample`: block Gibbs sampling, moments or samples.

use std::path::PathBuf;
use std::time::Instant;

use ising_wgpu::{Blocks, Error, Init, SamplingProgram, SamplingSchedule};
use ndarray::Array2;
use serde_json::json;

use crate::ModelArgs;
use crate::backend::BackendArgs;

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
    /// Sweeps before the first sample.
    #[arg(long, default_value_t = 100)]
    warmup: u64,
    /// Samples per chain.
    #[arg(long, default_value_t = 1000)]
    samples: u64,
    /// Sweeps between samples.
    #[arg(long, default_value_t = 1)]
    steps_per_sample: u64,
    /// Random seed (Philox key).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print node and edge means with standard errors instead of writing samples.
    #[arg(long)]
    moments: bool,
    /// Write samples (samples x chains x nodes, int8 -1/+1) to this NPY file.
    #[arg(long, value_name = "FILE.npy")]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: &SampleArgs) -> ising_wgpu::Result<String> {
    if args.moments == args.out.is_some() {
        return Err(Error::InvalidArgument {
            what: "arguments",
            why: "give exactly one of --moments and --out FILE.npy".into(),
        });
    }
    let (model, clamp) = args.model.load()?;
    let n = model.num_nodes();
    let clamped: Vec<u32> = clamp.iter().map(|&(i, _)| i).collect();
    let values =
        Array2::from_shape_fn((1, clamp.len()), |(_, k)| if clamp[k].1 { 1i8 } else { -1 });
    let program = SamplingProgram::new(model, Blocks::Auto, &clamped)?;
    let schedule = SamplingSchedule::new(args.warmup, args.samples, args.steps_per_sample)?;
    let backend = args.run.open()?;
    let mut sampler = backend.sampler(
        &program,
        args.chains,
        args.seed,
        Init::Hinton,
        Some(values.view()),
    )?;
    let start = Instant::now();
    let common = json!({
        "backend": sampler.backend_name(),
        "chains": args.chains,
        "samples_per_chain": args.samples,
        "blocks": program.blocks().len(),
    });
    let mut out = if let Some(path) = &args.out {
        let nodes: Vec<u32> = (0..n as u32).collect();
        let samples = sampler.sample(&schedule, &nodes)?;
        let shape = samples.shape().to_vec();
        let data: Vec<i8> = samples.into_iter().collect();
        ising_wgpu::io::write_npy_i8(path, &shape, &data)?;
        json!({"out": path.display().to_string(), "shape": shape})
    } else {
        let moments = sampler.estimate_moments(&schedule)?;
        json!({
            "node_means": moments.node_means().to_vec(),
            "edge_means": moments.edge_means().to_vec(),
            "node_stderr": moments.node_stderr().to_vec(),
            "edge_stderr": moments.edge_stderr().to_vec(),
        })
    };
    let object = out.as_object_mut().expect("a JSON object");
    object.extend(common.as_object().expect("a JSON object").clone());
    object.insert("seconds".into(), json!(start.elapsed().as_secs_f64()));
    Ok(out.to_string())
}
