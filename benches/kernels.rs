//! Criterion benchmarks of the sweep kernels on every backend there is: the lattice path, the
//! general (CSR) path, the site-packed lattice and the moment counts. Throughput is in spin updates,
//! so criterion's `Gelem/s` reads as flips/ns. `cargo bench --bench kernels [-- FILTER]`.

use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use ising_wgpu::io::read_edge_list;
use ising_wgpu::{
    Backend, Blocks, GpuContext, GpuSitePacked, Init, IsingModel, Lattice, PlanLimits,
    SamplerConfig, SamplingProgram, SamplingSchedule, SitePackedKernel, SitePackedLattice,
    SitePackedSampler,
};

/// The CPU, and the GPU when an adapter exists.
fn backends() -> Vec<(&'static str, Backend)> {
    let mut all = vec![("cpu", Backend::Cpu { threads: None })];
    match GpuContext::new() {
        Ok(ctx) => all.push(("gpu", Backend::Gpu(Box::new(ctx)))),
        Err(e) => eprintln!("no GPU adapter, CPU only: {e}"),
    }
    all
}

/// Each iteration runs `sweeps` sweeps of `chains` chains of `program` and reads one sample back.
fn sweeps(
    group: &mut BenchmarkGroup<'_, WallTime>,
    backends: &[(&str, Backend)],
    program: &SamplingProgram,
    chains: usize,
    sweeps: u64,
) {
    group.throughput(Throughput::Elements(
        sweeps * (program.num_free() * chains) as u64,
    ));
    for (name, backend) in backends {
        let mut sampler = backend
            .sampler(program, &SamplerConfig::new(chains))
            .expect("sampler");
        sampler.sweep(sweeps).expect("warm-up");
        group.bench_function(*name, |b| b.iter(|| sampler.sweep(sweeps).expect("sweeps")));
    }
}

fn kernels(c: &mut Criterion) {
    let backends = backends();
    let torus = Lattice::square(256, 256, true).expect("lattice");
    let lattice_path = torus.program(1.0, 0.0, 0.440_686_8).expect("program");
    let mut group = c.benchmark_group("lattice path, 256 x 256 torus, 64 chains");
    sweeps(&mut group, &backends, &lattice_path, 64, 10);
    group.finish();

    let pegasus = read_edge_list(concat!(env!("CARGO_MANIFEST_DIR"), "/data/pegasus14.edges"))
        .expect("graph");
    let model = IsingModel::random_normal(pegasus.num_nodes, pegasus.edges, 1.0, 0).expect("model");
    let general = SamplingProgram::new(model, Blocks::Auto, &[]).expect("program");
    let mut group = c.benchmark_group("general path, Pegasus P14 normal, 64 chains");
    sweeps(&mut group, &backends, &general, 64, 10);
    group.finish();

    let lattice = SitePackedLattice::square(2048, 2048, 1.0, 0.0, 0.440_686_8).expect("lattice");
    let mut group = c.benchmark_group("site-packed, 2048 x 2048 torus");
    group.throughput(Throughput::Elements(10 * lattice.num_sites()));
    let mut site_packed: Vec<(&str, Box<dyn SitePackedSampler>)> = Vec::new();
    for (name, backend) in &backends {
        let init = Init::Uniform;
        match backend {
            Backend::Gpu(ctx) => {
                let limits = PlanLimits::tuned(ctx).expect("tuning");
                for (kernel, name) in [
                    (SitePackedKernel::Words, "gpu, a word an invocation"),
                    (SitePackedKernel::Tiles, "gpu, tiles in workgroup memory"),
                ] {
                    let sampler =
                        GpuSitePacked::with_limits(ctx, &lattice, 0, init.clone(), limits, kernel);
                    site_packed.push((name, Box::new(sampler.expect("sampler"))));
                }
            }
            _ => site_packed.push((
                name,
                backend.site_packed(&lattice, 0, init).expect("sampler"),
            )),
        }
    }
    for (name, mut sampler) in site_packed {
        sampler.sweep(2).expect("warm-up");
        group.bench_function(name, |b| {
            b.iter(|| {
                sampler.sweep(10).expect("sweeps");
                sampler.observables().expect("observables")
            })
        });
    }
    group.finish();

    let small = Lattice::square(64, 64, true).expect("lattice");
    let model = IsingModel::random_normal(small.num_sites(), small.edges().to_vec(), 1.0, 0)
        .expect("model");
    let program =
        SamplingProgram::new(model, Blocks::Given(small.blocks().to_vec()), &[]).expect("program");
    let schedule = SamplingSchedule::new(0, 10, 1).expect("schedule");
    let mut group = c.benchmark_group("moments, 64 x 64 normal torus, 256 chains, 10 samples");
    group.throughput(Throughput::Elements(10 * 256 * small.num_sites() as u64));
    for (name, backend) in &backends {
        let mut sampler = backend
            .sampler(&program, &SamplerConfig::new(256))
            .expect("sampler");
        sampler.estimate_moments(&schedule).expect("warm-up");
        group.bench_function(*name, |b| {
            b.iter(|| sampler.estimate_moments(&schedule).expect("moments"))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = kernels
}
criterion_main!(benches);
