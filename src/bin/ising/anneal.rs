//! `ising anneal`: simulated annealing of a problem file (Gset, COO, model JSON), many reads at once.

use std::path::PathBuf;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use ising_wgpu::anneal::{AnnealRun, BetaSchedule};
use ising_wgpu::io::{ProblemFormat, check_output, read_data_csv, read_problem};
use ising_wgpu::problem::Vartype;
use ising_wgpu::{Blocks, Error, Init, Pace, SamplerConfig, SamplingProgram, UpdateRule};
use ndarray::Array2;
use serde_json::json;

use crate::backend::BackendArgs;
use crate::checkpoint::{CheckpointArgs, Checkpointer, digest};

/// Arguments of `ising anneal`.
#[derive(clap::Args)]
pub(crate) struct AnnealArgs {
    /// The problem: a Gset graph (MaxCut), dimod COO text or a model JSON.
    #[arg(long, value_name = "FILE")]
    problem: PathBuf,
    /// The problem's format (default: JSON by extension, Gset for an `N E` header, COO otherwise).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// The variables of a COO file without a `# vartype=` line (default spin).
    #[arg(long, value_enum)]
    vartype: Option<VartypeArg>,
    #[command(flatten)]
    run: BackendArgs,
    /// Independent reads (chains, annealed at once).
    #[arg(long, default_value_t = 64)]
    reads: usize,
    /// Sweeps per read (default 1000, or the length of a --schedule list).
    #[arg(long)]
    sweeps: Option<u64>,
    /// Betas per sweep: linear:HOT:COLD, geometric:HOT:COLD or B1,B2,... (one per sweep); default
    /// geometric between dwave-samplers' hot and cold betas for the problem.
    #[arg(long, value_name = "SCHEDULE")]
    schedule: Option<String>,
    /// Check every read's energy (and keep its best state) after the last sweep and every this many
    /// sweeps before it.
    #[arg(long, default_value_t = 1)]
    check_every: u64,
    /// The update rule (Metropolis is dwave-samplers' default).
    #[arg(long, value_enum, default_value_t = RuleArg::Metropolis)]
    rule: RuleArg,
    /// Random seed (Philox key).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Start from these states (CSV, one row for every read or one per read, -1/+1 or 0/1 a
    /// variable), for reverse annealing; default: uniformly random.
    #[arg(long, value_name = "FILE.csv")]
    initial_states: Option<PathBuf>,
    /// Write each read's best state (reads x variables, int8 in the problem's variables) to this NPY file.
    #[arg(long, value_name = "FILE.npy")]
    out: Option<PathBuf>,
    /// Print one JSON object instead of lines of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    checkpoint: CheckpointArgs,
}

/// `--format`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    /// Gset MaxCut: `N E`, then `i j w` (1-based).
    Gset,
    /// dimod COO: `i j bias` (0-based), `i i bias` linear.
    Coo,
    /// Model JSON.
    Json,
}

/// `--rule`.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RuleArg {
    /// A flip taken with probability min(1, exp(-beta dE)).
    Metropolis,
    /// The heat bath (Gibbs): up with probability sigmoid(2 beta field).
    HeatBath,
}

/// `--vartype`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum VartypeArg {
    /// -1/+1.
    Spin,
    /// 0/1 (QUBO).
    Binary,
}

pub(crate) fn run(args: &AnnealArgs) -> ising_wgpu::Result<String> {
    if let Some(path) = &args.out {
        check_output(path)?;
    }
    let format = args.format.map(|f| match f {
        FormatArg::Gset => ProblemFormat::Gset,
        FormatArg::Coo => ProblemFormat::Coo,
        FormatArg::Json => ProblemFormat::Json,
    });
    let vartype = args.vartype.map(|v| match v {
        VartypeArg::Spin => Vartype::Spin,
        VartypeArg::Binary => Vartype::Binary,
    });
    let (mut checkpointer, resumed) = Checkpointer::new(&args.checkpoint, "anneal")?;
    let problem = read_problem(&args.problem, format, vartype)?;
    let model = problem.model();
    let schedule = match &args.schedule {
        Some(text) => BetaSchedule::parse(text)?,
        None => BetaSchedule::default_for(model),
    };
    let sweeps = match (args.sweeps, schedule.list_len()) {
        (Some(s), Some(len)) if s != len => {
            return Err(Error::InvalidArgument {
                what: "--sweeps",
                why: format!("{s} sweeps, but the --schedule list has {len} betas"),
            });
        }
        (Some(s), _) => s,
        (None, Some(len)) => len,
        (None, None) => 1000,
    };
    let betas = schedule.betas(sweeps)?;
    let mut initial = None;
    let init = match &args.initial_states {
        Some(path) => {
            let rows = read_data_csv(path, model.num_nodes())?;
            let states = match rows.nrows() {
                1 => Array2::from_shape_fn((args.reads, rows.ncols()), |(_, i)| rows[(0, i)]),
                r if r == args.reads => rows,
                r => {
                    return Err(Error::InvalidArgument {
                        what: "--initial-states",
                        why: format!(
                            "{} has {r} rows; give 1 (every read) or one per read ({})",
                            path.display(),
                            args.reads
                        ),
                    });
                }
            };
            initial = Some(digest(
                &states.iter().map(|&s| s as u8).collect::<Vec<u8>>(),
            ));
            Init::States(states)
        }
        None => Init::Uniform,
    };
    let program = SamplingProgram::new(model.clone(), Blocks::Auto, &[])?;
    let backend = args.run.open()?;
    let rule = match args.rule {
        RuleArg::Metropolis => UpdateRule::Metropolis,
        RuleArg::HeatBath => UpdateRule::HeatBath,
    };
    let config = SamplerConfig::new(args.reads)
        .seed(args.seed)
        .init(init)
        .betas(&[betas[0]])
        .rule(rule);
    let mut sampler = backend.sampler(&program, &config)?;
    // Everything the results depend on; a resumed checkpoint must have been saved with the same.
    checkpointer.bind_sampler(
        json!({
            "problem": digest(format!("{problem:?}").as_bytes()),
            "reads": args.reads,
            "betas": digest(&betas.iter().flat_map(|b| b.to_le_bytes()).collect::<Vec<u8>>()),
            "check_every": args.check_every,
            "rule": rule.name(),
            "seed": args.seed,
            "initial_states": initial,
        }),
        resumed.as_ref(),
        sampler.as_mut(),
    )?;
    let run = match &resumed {
        Some(checkpoint) => AnnealRun::resume(&betas, args.check_every, checkpoint.best()?),
        None => AnnealRun::new(&betas, args.check_every, args.reads),
    };
    let mut run = run?;
    // Under mpirun, rank 0 alone shows progress and writes.
    let root = crate::ranks::rank() == 0;
    let bar = match root {
        true => ProgressBar::new(sweeps),
        false => ProgressBar::hidden(),
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} sweeps [{elapsed_precise}]")
            .expect("a valid template"),
    );
    let start = Instant::now();
    // Parts of about a tenth of a second (for the bar), each ending where a due checkpoint falls.
    let mut pace = Pace::new(std::time::Duration::from_millis(100));
    while !run.finished() {
        let part = Instant::now();
        let budget = sampler
            .part_sweeps(pace.sweeps())?
            .min(checkpointer.budget(run.done()));
        let ran = run.step(sampler.as_mut(), budget)?;
        pace.record(ran, part.elapsed());
        bar.set_position(run.done());
        if !run.finished() {
            checkpointer.maybe_save(run.done(), |checkpoint| {
                checkpoint.put_sampler_state(&sampler.save_state()?);
                checkpoint.put_best(run.best());
                Ok(())
            })?;
        }
    }
    let annealed = run.finish(sampler.as_mut(), model)?;
    let seconds = start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let (energies, best) = problem.energies(&annealed.energies);
    let best = best.expect("at least one read");
    let mut sorted = energies.clone();
    sorted.sort_by(f64::total_cmp);
    if let Some(path) = args.out.as_ref().filter(|_| root) {
        let data = problem.variable_rows(annealed.states.view());
        let data: Vec<i8> = data.iter().copied().collect();
        ising_wgpu::io::write_npy_i8(path, &[args.reads, model.num_nodes()], &data)?;
    }
    let best_cut = problem.cut(energies[best]);
    let out = json!({
        "problem": args.problem.display().to_string(),
        "vartype": problem.vartype().name(),
        "variables": model.num_nodes(),
        "backend": sampler.backend_name(),
        "reads": args.reads,
        "ranks": crate::ranks::ranks(),
        "sweeps": sweeps,
        "rule": rule.name(),
        "beta_first": betas[0],
        "beta_last": betas[betas.len() - 1],
        "best_energy": energies[best],
        "best_cut": best_cut,
        "best_found_at_sweep": annealed.found_at[best],
        "energies": sorted,
        "out": args.out.as_ref().map(|p| p.display().to_string()),
        "seconds": seconds,
    });
    if args.json {
        checkpointer.finish()?;
        return Ok(out.to_string());
    }
    let mut lines = vec![
        format!(
            "problem: {} ({} {} variables)",
            args.problem.display(),
            model.num_nodes(),
            problem.vartype().name()
        ),
        format!("backend: {}", sampler.backend_name()),
        format!(
            "reads: {}, sweeps: {sweeps}, {} updates, betas {} to {}",
            args.reads,
            rule.name(),
            betas[0],
            betas[betas.len() - 1]
        ),
        format!("best_energy: {}", energies[best]),
    ];
    if let Some(cut) = best_cut {
        lines.push(format!("best_cut: {cut}"));
    }
    let shown: Vec<String> = sorted.iter().map(|e| e.to_string()).collect();
    lines.push(format!("energies: {}", shown.join(" ")));
    if let Some(path) = &args.out {
        lines.push(format!("out: {}", path.display()));
    }
    lines.push(format!("seconds: {seconds:.3}"));
    checkpointer.finish()?;
    Ok(lines.join("\n"))
}
