//! Parallel tempering against plain Gibbs on a 3D +-J spin glass: the replica overlap's `<q^2>` at
//! the coldest beta in logarithmic bins of sweeps (sweeps `[2^k, 2^(k+1))`), averaged over pairs of
//! replicas and disorder samples, drawn to a PNG. A run counts as equilibrated from bin `k` on when
//! every later bin's mean agrees with the one before it (the second half of each doubled run with
//! the second half of the run before), at least three bins in all, within two standard errors of
//! the change.
//!
//! `cargo run --release --example glass_equilibration -- [--size 8] [--disorder 4]
//! [--betas 0.5:1.5:12] [--power 15] [--out glass_equilibration.png]`
//!
//! Tempering runs `2^power` sweeps of every beta of the ladder; plain Gibbs, at the coldest beta
//! only, runs as many sweeps more as the ladder has betas (rounded up to a power of two), so both
//! do at least the same number of spin updates. Uses a hardware GPU when there is one, else the CPU
//! backend (`--backend gpu|cpu` to choose).

mod common;

use clap::Parser;
use ising_wgpu::temper::{parse_ladder, temper};
use ising_wgpu::{
    Lattice, Observe, OverlapTrace, SamplerConfig, SamplingProgram, SamplingSchedule,
    mean_and_stderr,
};
use plotters::prelude::*;
use std::time::Instant;

#[derive(Parser)]
struct Args {
    /// Side of the periodic cube.
    #[arg(long, default_value_t = 8)]
    size: usize,
    /// Disorder samples (each its own couplings).
    #[arg(long, default_value_t = 4)]
    disorder: u64,
    /// The tempering ladder, LO:HI:N (geometric) or a list; plain Gibbs runs at its largest beta.
    #[arg(long, default_value = "0.5:1.5:12")]
    betas: String,
    /// Replicas a beta (a multiple of 32; pairs (2p, 2p + 1) give the overlaps).
    #[arg(long, default_value_t = 32)]
    replicas: usize,
    /// Tempering runs 2^power sweeps.
    #[arg(long, default_value_t = 15)]
    power: u32,
    /// "gpu" or "cpu"; by default a hardware GPU if there is one, else the CPU.
    #[arg(long)]
    backend: Option<String>,
    /// Where to write the plot.
    #[arg(long, default_value = "glass_equilibration.png")]
    out: String,
}

/// `<q^2>` in each logarithmic bin of sweeps, per unit (a pair of replicas of one disorder sample).
struct Curve {
    /// Each unit's mean of `q^2` in each bin, units x bins.
    per_unit: Vec<Vec<f64>>,
}

impl Curve {
    /// Bins the overlaps of each run (sample `t` taken after sweep `t + 1`; bin `k` holds sweeps
    /// `[2^k, 2^(k+1))`), each pair of each run one unit.
    fn from_runs(runs: &[OverlapTrace]) -> Curve {
        let mut per_unit = Vec::new();
        for run in runs {
            let q = run.q();
            for pair in q.columns() {
                let mut means = Vec::new();
                // Whole bins only: sweeps `start..2 start` are samples `start - 1..2 start - 1`.
                let mut start = 1usize;
                while 2 * start - 1 <= pair.len() {
                    let bin = pair.slice(ndarray::s![start - 1..2 * start - 1]);
                    means.push(bin.mapv(|v| v * v).mean().expect("a sample"));
                    start *= 2;
                }
                per_unit.push(means);
            }
        }
        Curve { per_unit }
    }

    /// (first sweep, mean over units, standard error) of each bin.
    fn bins(&self) -> Vec<(u64, f64, f64)> {
        (0..self.per_unit[0].len())
            .map(|k| {
                let values: Vec<f64> = self.per_unit.iter().map(|u| u[k]).collect();
                let (mean, se) = mean_and_stderr(&values);
                (1u64 << k, mean, se)
            })
            .collect()
    }

    /// The first sweep of the first bin from which each later bin agrees with the one before it:
    /// the units' mean change between the two bins within two of its standard errors (a paired
    /// comparison, as both bins come from the same runs). `None` unless at least the last three
    /// bins agree so.
    fn equilibrated_from(&self) -> Option<u64> {
        let bins = self.per_unit[0].len();
        let agreeing = (1..bins)
            .rev()
            .take_while(|&k| {
                let change: Vec<f64> = self.per_unit.iter().map(|u| u[k] - u[k - 1]).collect();
                let (mean, se) = mean_and_stderr(&change);
                mean.abs() <= 2.0 * se
            })
            .count();
        (agreeing >= 2).then(|| 1u64 << (bins - 1 - agreeing))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let ladder = parse_ladder(&args.betas)?;
    let cold = ladder.iter().copied().fold(f32::MIN, f32::max);
    let levels = ladder.len();
    let backend = common::backend(args.backend.as_deref())?;
    println!("backend: {}", backend.name());
    let lattice = Lattice::cubic(args.size, args.size, args.size, true)?;
    let observe = Observe {
        overlap: true,
        ..Observe::default()
    };
    let tempered_sweeps = 1u64 << args.power;
    // Plain Gibbs does at least as many spin updates as tempering's whole ladder.
    let plain_factor = (levels as u64).next_power_of_two();
    let plain_sweeps = tempered_sweeps * plain_factor;
    let (mut tempered, mut plain) = (Vec::new(), Vec::new());
    let (mut tempered_seconds, mut plain_seconds) = (0.0, 0.0);
    for d in 0..args.disorder {
        let glass: SamplingProgram = lattice.glass_program(1.0, 0.0, cold, 100 + d)?;

        let config = SamplerConfig::new(args.replicas * levels)
            .seed(2 * d)
            .betas(&ladder);
        let mut sampler = backend.sampler(&glass, &config)?;
        let start = Instant::now();
        let schedule = SamplingSchedule::new(0, tempered_sweeps, 1)?;
        let run = temper(sampler.as_mut(), &schedule, &observe, 1, d, |_, _| true)?;
        tempered_seconds += start.elapsed().as_secs_f64();
        let coldest = sampler.temperatures().chains_of(levels - 1);
        let rates = run.acceptance();
        let overlap = run.observed.overlap.expect("overlaps were asked for");
        tempered.push(overlap.select_chains(coldest));
        println!(
            "disorder {d}: tempering acceptance {:.2}..{:.2}, {} round trips",
            rates.iter().copied().fold(1.0, f64::min),
            rates.iter().copied().fold(0.0, f64::max),
            run.round_trips
        );

        let config = SamplerConfig::new(args.replicas).seed(2 * d + 1);
        let mut sampler = backend.sampler(&glass, &config)?;
        let start = Instant::now();
        let schedule = SamplingSchedule::new(0, plain_sweeps, 1)?;
        let observed = sampler.run(&schedule, &observe)?;
        plain_seconds += start.elapsed().as_secs_f64();
        plain.push(observed.overlap.expect("overlaps were asked for"));
    }
    let curves = [
        (
            format!("parallel tempering, {levels} betas"),
            Curve::from_runs(&tempered),
            tempered_seconds,
            BLUE,
        ),
        (
            format!("plain Gibbs, {plain_factor}x the sweeps"),
            Curve::from_runs(&plain),
            plain_seconds,
            RED,
        ),
    ];
    for (name, curve, seconds, _) in &curves {
        let bins = curve.bins();
        let (last_bin, last, se) = bins.last().expect("a bin");
        match curve.equilibrated_from() {
            Some(from) => println!(
                "{name}: <q^2> = {last:.4} +- {se:.4} at beta {cold}, equilibrated from {from} sweeps on ({seconds:.1} s)"
            ),
            None => println!(
                "{name}: <q^2> = {last:.4} +- {se:.4} at beta {cold}, not equilibrated within {} sweeps ({seconds:.1} s)",
                2 * last_bin - 1
            ),
        }
    }
    plot(&args, cold, &curves)?;
    println!("wrote {}", args.out);
    Ok(())
}

/// Draws both curves with error bars against the sweeps (log axis).
fn plot(
    args: &Args,
    cold: f32,
    curves: &[(String, Curve, f64, RGBColor)],
) -> Result<(), Box<dyn std::error::Error>> {
    let last = curves
        .iter()
        .map(|c| 2 * c.1.bins().last().expect("a bin").0)
        .max()
        .expect("a curve");
    let top = curves
        .iter()
        .flat_map(|c| c.1.bins().into_iter().map(|b| b.1 + b.2))
        .fold(0.0, f64::max);
    common::register_font()?;
    let root = BitMapBackend::new(&args.out, (900, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            format!(
                "3D +-J glass {0}^3, beta {cold}: <q^2> in bins of sweeps [2^k, 2^(k+1)), {1} disorder samples",
                args.size, args.disorder
            ),
            ("sans-serif", 20),
        )
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(60)
        .build_cartesian_2d((1f64..last as f64).log_scale(), 0f64..top * 1.1)?;
    chart
        .configure_mesh()
        .x_desc("sweeps (bin centre)")
        .y_desc("<q^2>")
        .draw()?;
    for (name, curve, _, colour) in curves {
        let points: Vec<(f64, f64, f64)> = curve
            .bins()
            .into_iter()
            .map(|(start, mean, se)| (start as f64 * std::f64::consts::SQRT_2, mean, se))
            .collect();
        let colour = *colour;
        chart
            .draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), colour))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
        chart.draw_series(points.iter().map(|&(x, mean, se)| {
            ErrorBar::new_vertical(x, mean - se, mean, mean + se, colour.filled(), 6)
        }))?;
    }
    common::draw_legend(&mut chart, SeriesLabelPosition::LowerRight)?;
    root.present()?;
    Ok(())
}
