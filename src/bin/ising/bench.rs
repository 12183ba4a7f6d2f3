//! `ising bench`: throughput on a periodic lattice or an edge-list graph, with the physics it produced.

use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use ising_wgpu::io::read_edge_list;
use ising_wgpu::{
    Backend, Blocks, Error, Init, IsingModel, Lattice, SamplerConfig, SamplingProgram,
    SamplingSchedule, SitePackedLattice, UpdatePath,
};
use serde_json::json;

use crate::backend::BackendArgs;

/// Lattice dimensions `ising bench` builds.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Dimension {
    /// L x L square torus.
    #[value(name = "2d")]
    Two,
    /// L x L x L cubic torus.
    #[value(name = "3d")]
    Three,
}

/// Arguments of `ising bench`.
#[derive(clap::Args)]
pub(crate) struct BenchArgs {
    /// A periodic lattice with coupling --coupling and field --field.
    #[arg(
        long,
        value_enum,
        conflicts_with = "graph",
        required_unless_present = "graph"
    )]
    lattice: Option<Dimension>,
    /// Coupling J of every lattice edge.
    #[arg(
        long,
        default_value_t = 1.0,
        conflicts_with = "graph",
        allow_negative_numbers = true,
        value_parser = crate::values::finite_f32
    )]
    coupling: f32,
    /// Field h of every lattice site.
    #[arg(
        long,
        default_value_t = 0.0,
        conflicts_with = "graph",
        allow_negative_numbers = true,
        value_parser = crate::values::finite_f32
    )]
    field: f32,
    /// Side of the lattice.
    #[arg(long, default_value_t = 256)]
    size: usize,
    /// An edge-list graph (e.g. data/pegasus14.edges) with random normal weights and biases.
    #[arg(long, value_name = "FILE.edges")]
    pub(crate) graph: Option<PathBuf>,
    /// Parallel chains; with --lattice, 1 runs one site-packed lattice (x side a multiple of 64).
    #[arg(long, default_value_t = 64)]
    chains: usize,
    /// Inverse temperature.
    #[arg(long, default_value_t = 1.0, value_parser = crate::values::finite_f32)]
    beta: f32,
    /// Timed sweeps.
    #[arg(long, default_value_t = 100)]
    sweeps: u64,
    /// Seed of the chains and of the random couplings.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    run: BackendArgs,
    /// Print only the JSON line (it is always printed last).
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: &BenchArgs) -> ising_wgpu::Result<String> {
    if args.sweeps == 0 {
        return Err(Error::InvalidArgument {
            what: "--sweeps",
            why: "at least one sweep is needed".into(),
        });
    }
    let backend = args.run.open()?;
    let report = match (args.lattice, args.chains) {
        (Some(dimension), 1) => site_packed(args, dimension, &backend)?,
        _ => chain_major(args, &backend)?,
    };
    let flips_per_ns = report.flips / report.seconds / 1e9;
    if !args.json && crate::ranks::rank() == 0 {
        eprintln!(
            "{}, {}: {} x {} sweeps in {:.3} s on {}: {flips_per_ns:.3} flips/ns",
            report.name,
            report.layout,
            report.chains,
            args.sweeps,
            report.seconds,
            backend.name()
        );
    }
    let general = report.layout == "chain-major, general path";
    // Under mpirun each rank's backend; its slabs of one lattice run the plain kernel.
    #[cfg(feature = "mpi")]
    let (each, slabs) = match &backend {
        Backend::Ranked(each) => (&**each, report.layout == "site-packed"),
        other => (other, false),
    };
    #[cfg(not(feature = "mpi"))]
    let (each, slabs) = (&backend, false);
    let (workgroup_size, words_per_invocation, general_kernel, kernel) = match each {
        Backend::Gpu(ctx) => (
            Some(ising_wgpu::tuned_workgroup_size(ctx)?),
            general
                .then(|| ising_wgpu::tuned_words_per_invocation(ctx))
                .transpose()?,
            general
                .then(|| ising_wgpu::tuned_general_kernel(ctx))
                .transpose()?
                .map(|k| format!("{k:?}").to_lowercase()),
            (report.layout == "site-packed")
                .then(|| {
                    if slabs {
                        Ok(ising_wgpu::SitePackedKernel::Words)
                    } else {
                        ising_wgpu::tuned_site_packed_kernel(ctx)
                    }
                })
                .transpose()?
                .map(|k| format!("{k:?}").to_lowercase()),
        ),
        _ => (None, None, None, None),
    };
    let lattice_kernel = match each {
        Backend::Gpu(ctx) if report.layout == "chain-major, lattice path" => {
            Some(format!("{:?}", ising_wgpu::tuned_lattice_kernel(ctx)?).to_lowercase())
        }
        _ => None,
    };
    Ok(json!({
        "flips_per_ns": flips_per_ns,
        "energy_per_site": report.energy_per_site,
        "abs_magnetization": report.abs_magnetization,
        "seconds": report.seconds,
        "ranks": crate::ranks::ranks(),
        "sweeps": args.sweeps,
        "chains": report.chains,
        "nodes": report.nodes,
        "layout": report.layout,
        "backend": backend.name(),
        "workgroup_size": workgroup_size,
        "words_per_invocation": words_per_invocation,
        "general_kernel": general_kernel,
        "lattice_kernel": lattice_kernel,
        "site_packed_kernel": kernel,
    })
    .to_string())
}

/// What one benchmark measured.
struct Report {
    name: String,
    /// "site-packed", or "chain-major" with the sweep path taken.
    layout: &'static str,
    chains: usize,
    nodes: u64,
    /// Spin updates timed.
    flips: f64,
    seconds: f64,
    energy_per_site: f64,
    abs_magnetization: f64,
}

/// Runs `sweeps` sweeps in up to 100 chunks under a progress bar (hidden with `quiet`): `step(n, last)`
/// runs `n` sweeps, `last` on the final chunk. Returns the seconds taken.
fn timed(
    sweeps: u64,
    quiet: bool,
    mut step: impl FnMut(u64, bool) -> ising_wgpu::Result<()>,
) -> ising_wgpu::Result<f64> {
    let chunks = sweeps.div_ceil(100).min(100);
    let bar = ProgressBar::new(sweeps);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} sweeps [{elapsed_precise}]")
            .expect("a valid template"),
    );
    // Under mpirun, rank 0 alone shows progress.
    if quiet || crate::ranks::rank() != 0 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let start = Instant::now();
    let mut done = 0;
    for k in 0..chunks {
        let n = sweeps * (k + 1) / chunks - done;
        step(n, k + 1 == chunks)?;
        done += n;
        bar.set_position(done);
    }
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    Ok(seconds)
}

/// One lattice, 32 sites a word: the state and its observables stay on the device until the end.
fn site_packed(
    args: &BenchArgs,
    dimension: Dimension,
    backend: &Backend,
) -> ising_wgpu::Result<Report> {
    let l = u32::try_from(args.size).map_err(|_| Error::InvalidArgument {
        what: "--size",
        why: format!("{} is too large for a site-packed lattice", args.size),
    })?;
    let lattice = match dimension {
        Dimension::Two => SitePackedLattice::square(l, l, args.coupling, args.field, args.beta)?,
        Dimension::Three => {
            SitePackedLattice::cubic(l, l, l, args.coupling, args.field, args.beta)?
        }
    };
    let mut sampler = backend.site_packed(&lattice, args.seed, Init::Uniform)?;
    // Untimed: kernel compilation and first dispatches.
    sampler.sweep(2)?;
    sampler.observables()?;
    let mut observed = None;
    let seconds = timed(args.sweeps, args.json, |n, last| {
        sampler.sweep(n)?;
        if last {
            observed = Some(sampler.observables()?);
        }
        Ok(())
    })?;
    let o = observed.expect("the last chunk measures");
    Ok(Report {
        name: format!("{:?} torus", lattice.sides()),
        layout: "site-packed",
        chains: 1,
        nodes: lattice.num_sites(),
        flips: args.sweeps as f64 * lattice.num_sites() as f64,
        seconds,
        energy_per_site: o.energy_per_site,
        abs_magnetization: o.magnetization.abs(),
    })
}

/// Many chains, 32 a word: the general path on a graph, the lattice path on a lattice.
fn chain_major(args: &BenchArgs, backend: &Backend) -> ising_wgpu::Result<Report> {
    let (name, program) = match (&args.graph, args.lattice) {
        (Some(path), _) => {
            let graph = read_edge_list(path)?;
            let model =
                IsingModel::random_normal(graph.num_nodes, graph.edges, args.beta, args.seed)?;
            (
                path.display().to_string(),
                SamplingProgram::new(model, Blocks::Auto, &[])?,
            )
        }
        (None, Some(dimension)) => {
            let l = args.size;
            let lattice = match dimension {
                Dimension::Two => Lattice::square(l, l, true)?,
                Dimension::Three => Lattice::cubic(l, l, l, true)?,
            };
            (
                format!("{:?} torus", lattice.dims()),
                lattice.program(args.coupling, args.field, args.beta)?,
            )
        }
        (None, None) => unreachable!("clap requires --lattice or --graph"),
    };
    let model = program.model();
    let mut sampler =
        backend.sampler(&program, &SamplerConfig::new(args.chains).seed(args.seed))?;
    // Untimed: kernel compilation and first dispatches.
    sampler.sample(&SamplingSchedule::new(2, 1, 1)?, &[0])?;
    let mut state = None;
    let seconds = timed(args.sweeps, args.json, |n, last| {
        sampler.sweep(n)?;
        if last {
            // Every rank's chains, on every rank under mpirun (samples would be rank 0's alone).
            state = Some(sampler.state()?); // chains x nodes
        }
        Ok(())
    })?;
    let state = state.expect("the last chunk reads the state");
    let sites = model.num_nodes() as f64;
    // Energy without beta: -(sum b s + sum J s s), per chain.
    let mut unit = model.clone();
    unit.set_beta(1.0)?;
    let energy_per_site = unit.energy(state.view())?.mean().unwrap_or(0.0) / sites;
    let abs_magnetization = state
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&s| f64::from(s)).sum::<f64>().abs() / sites)
        .sum::<f64>()
        / args.chains as f64;
    Ok(Report {
        name,
        layout: match sampler.update_path() {
            UpdatePath::Lattice => "chain-major, lattice path",
            _ => "chain-major, general path",
        },
        chains: args.chains,
        nodes: model.num_nodes() as u64,
        flips: args.sweeps as f64 * program.num_free() as f64 * args.chains as f64,
        seconds,
        energy_per_site,
        abs_magnetization,
    })
}
