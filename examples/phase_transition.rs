//! The 2D Ising phase transition: energy per site and |magnetisation| of an L x L torus against
//! beta across the critical point, with Onsager's and Yang's exact curves, drawn to a PNG.
//!
//! `cargo run --release --example phase_transition -- [--size 64] [--chains 64] [--out phase_transition.png]`
//!
//! Uses a hardware GPU when there is one, else the CPU backend (`--backend gpu|cpu` to choose).
//! Chains start ordered at the largest beta and carry their state down in beta, so they never get
//! stuck in the striped states a quench from disorder produces.

mod common;

use clap::Parser;
use ising_wgpu::physics::{BETA_C, onsager_energy_per_site, yang_magnetization};
use ising_wgpu::{Init, Lattice, SamplerConfig, SamplingSchedule, mean_and_stderr};
use ndarray::{Array2, Axis};
use plotters::prelude::*;

#[derive(Parser)]
struct Args {
    /// Side of the torus.
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Parallel chains.
    #[arg(long, default_value_t = 64)]
    chains: usize,
    /// Betas between 0.25 and 0.70.
    #[arg(long, default_value_t = 19)]
    points: usize,
    /// Sweeps at each beta before measuring.
    #[arg(long, default_value_t = 300)]
    warmup: u64,
    /// Samples at each beta, 2 sweeps apart.
    #[arg(long, default_value_t = 200)]
    samples: u64,
    /// "gpu" or "cpu"; by default a hardware GPU if there is one, else the CPU.
    #[arg(long)]
    backend: Option<String>,
    /// Where to write the plot.
    #[arg(long, default_value = "phase_transition.png")]
    out: String,
}

/// One beta's estimates: (energy per site, its error, |m| per site, its error).
type Point = (f64, f64, f64, f64, f64);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let lattice = Lattice::square(args.size, args.size, true)?;
    let sites = lattice.num_sites() as f64;
    let backend = common::backend(args.backend.as_deref())?;
    println!("backend: {}", backend.name());
    let schedule = SamplingSchedule::new(args.warmup, args.samples, 2)?;
    let mut state = Array2::<i8>::ones((args.chains, lattice.num_sites()));
    let mut points: Vec<Point> = Vec::new();
    for k in (0..args.points).rev() {
        let beta = 0.25 + 0.45 * k as f64 / (args.points - 1).max(1) as f64;
        let program = lattice.program(1.0, 0.0, beta as f32)?; // the lattice path
        let init = Init::States(state.clone());
        let config = SamplerConfig::new(args.chains).seed(k as u64).init(init);
        let mut sampler = backend.sampler(&program, &config)?;
        // Energy and magnetisation of every chain at every sample point, reduced where the spins live.
        let trace = sampler.observe_energy(&schedule)?;
        state = sampler.state()?;
        let (u, u_err) = trace.energy_per_site();
        let magnetisation: Vec<f64> = trace
            .magnetizations()
            .axis_iter(Axis(1))
            .map(|chain| {
                chain.iter().map(|&m| m.abs() as f64).sum::<f64>() / args.samples as f64 / sites
            })
            .collect();
        let (m, m_err) = mean_and_stderr(&magnetisation);
        println!(
            "beta {beta:.4}  u {u:+.5} +/- {u_err:.5} (Onsager {:+.5})  |m| {m:.4} +/- {m_err:.4} (Yang {:.4})",
            onsager_energy_per_site(beta),
            yang_magnetization(beta)
        );
        points.push((beta, u, u_err, m, m_err));
    }
    plot(&args.out, args.size, &points)?;
    println!("wrote {}", args.out);
    Ok(())
}

/// One panel of the plot: a measured quantity and its exact curve.
struct Panel {
    label: &'static str,
    range: std::ops::Range<f64>,
    curve: fn(f64) -> f64,
    curve_name: &'static str,
    is_energy: bool,
}

fn plot(path: &str, size: usize, points: &[Point]) -> Result<(), Box<dyn std::error::Error>> {
    common::register_font()?;
    let root = BitMapBackend::new(path, (1200, 500)).into_drawing_area();
    root.fill(&WHITE)?;
    let (left, right) = root.split_horizontally(600);
    let exact: Vec<f64> = (0..=400)
        .map(|k| 0.25 + 0.45 * f64::from(k) / 400.0)
        .collect();
    let panels = [
        Panel {
            label: "energy per site",
            range: -2.0..-0.4,
            curve: onsager_energy_per_site,
            curve_name: "Onsager (infinite lattice)",
            is_energy: true,
        },
        Panel {
            label: "|magnetisation| per site",
            range: 0.0..1.05,
            curve: yang_magnetization,
            curve_name: "Yang (infinite lattice)",
            is_energy: false,
        },
    ];
    for (area, panel) in [&left, &right].into_iter().zip(panels) {
        let Panel {
            label,
            range,
            curve,
            curve_name,
            is_energy,
        } = panel;
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{size} x {size} torus: {label}"),
                ("sans-serif", 22),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0.25..0.70, range)?;
        chart
            .configure_mesh()
            .x_desc("beta (J = 1)")
            .y_desc(label)
            .draw()?;
        chart
            .draw_series(LineSeries::new(exact.iter().map(|&b| (b, curve(b))), &BLUE))?
            .label(curve_name)
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE));
        let estimates = points
            .iter()
            .map(|&(b, u, ue, m, me)| if is_energy { (b, u, ue) } else { (b, m, me) });
        chart
            .draw_series(
                estimates
                    .clone()
                    .map(|(b, v, _)| Circle::new((b, v), 4, RED.filled())),
            )?
            .label("block Gibbs (ising-wgpu)")
            .legend(|(x, y)| Circle::new((x + 10, y), 4, RED.filled()));
        chart
            .draw_series(estimates.map(|(b, v, e)| {
                PathElement::new(vec![(b, v - 2.0 * e), (b, v + 2.0 * e)], RED)
            }))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![
                (BETA_C, chart.y_range().start),
                (BETA_C, chart.y_range().end),
            ],
            BLACK.mix(0.3),
        )))?;
        common::draw_legend(&mut chart, SeriesLabelPosition::MiddleRight)?;
    }
    root.present()?;
    Ok(())
}
