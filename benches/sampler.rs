//! Sampler throughput in flips/ns (spin updates attempted per nanosecond, read-back included):
//! `cargo bench --bench sampler`. Configurations are those of BENCHMARKS.md.

use std::time::Instant;

use ising_wgpu::io::read_edge_list;
use ising_wgpu::{
    Blocks, CpuSampler, GpuContext, GpuSampler, IsingModel, Lattice, Sampler, SamplerConfig,
    SamplingProgram, SamplingSchedule,
};

/// Times `sweeps` sweeps (one sample read back at the end) three times and keeps the fastest, after
/// a short untimed warm-up that also compiles the kernels (THRML's script keeps the best of two).
fn flips_per_ns(
    name: &str,
    mut sampler: Box<dyn Sampler>,
    program: &SamplingProgram,
    chains: usize,
    sweeps: u64,
) {
    let schedule = SamplingSchedule::new(sweeps, 1, 1).expect("schedule");
    sampler
        .sample(&SamplingSchedule::new(2, 1, 1).expect("schedule"), &[0])
        .expect("warm-up");
    let seconds = (0..3)
        .map(|_| {
            let start = Instant::now();
            sampler.sample(&schedule, &[0]).expect("run");
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min);
    let flips = sweeps as f64 * program.num_free() as f64 * chains as f64;
    println!(
        "{name:<28} chains {chains:>5}  sweeps {sweeps:>4}  {seconds:>7.3} s  {:>7.3} flips/ns  [{}]",
        flips / seconds / 1e9,
        sampler.backend_name()
    );
}

fn main() {
    let torus = Lattice::square(256, 256, true).expect("lattice");
    let torus_program = SamplingProgram::new(
        IsingModel::random_normal(torus.num_sites(), torus.edges().to_vec(), 1.0, 0)
            .expect("model"),
        Blocks::Auto,
        &[],
    )
    .expect("program");
    let pegasus = read_edge_list(concat!(env!("CARGO_MANIFEST_DIR"), "/data/pegasus14.edges"))
        .expect("graph");
    let pegasus_program = SamplingProgram::new(
        IsingModel::random_normal(pegasus.num_nodes, pegasus.edges, 1.0, 0).expect("model"),
        Blocks::Auto,
        &[],
    )
    .expect("program");
    let gpu = match GpuContext::new() {
        Ok(ctx) => Some(ctx),
        Err(e) => {
            println!("no GPU adapter, CPU only: {e}");
            None
        }
    };
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let configs = [
        ("torus 256x256", &torus_program),
        ("pegasus P14", &pegasus_program),
    ];
    for chains in [64usize, 1024] {
        for (name, program) in configs {
            if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
                continue;
            }
            let sweeps = (3_000_000_000 / (program.num_free() * chains) as u64).clamp(2, 200);
            let cpu = CpuSampler::new(program, &SamplerConfig::new(chains)).expect("cpu sampler");
            flips_per_ns(
                &format!("{name} (cpu)"),
                Box::new(cpu),
                program,
                chains,
                sweeps,
            );
            if let Some(ctx) = &gpu {
                let sampler = GpuSampler::new(ctx, program, &SamplerConfig::new(chains))
                    .expect("gpu sampler");
                flips_per_ns(
                    &format!("{name} (gpu)"),
                    Box::new(sampler),
                    program,
                    chains,
                    sweeps,
                );
            }
        }
    }
}
