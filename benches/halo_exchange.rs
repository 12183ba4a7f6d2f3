//! The halo exchange of a site-packed lattice cut into slabs over MPI ranks, against the slabs'
//! update: `cargo bench --features mpi --bench halo_exchange` (it starts itself under
//! `mpirun -np $RANKS`, 2 by default). For each lattice, rank 0 prints the halo bytes a rank sends
//! a half-sweep, the time of that exchange alone, the time of one slab's update alone (a lattice of
//! the slab's shape in one process, on one thread), and the time of a half-sweep of the slabs with
//! the exchange overlapped, each the slowest rank's, the median of several runs. Where there is a GPU
//! adapter, the same two half-sweeps on it: a slab-shaped lattice alone, and the GPU slabs, whose
//! boundary planes are read back, exchanged and written into the halos while the interior runs.

use std::time::Instant;

use ising_wgpu::distributed::{RankedSitePacked, exchange_halos};
use ising_wgpu::{
    CpuSitePacked, GpuContext, GpuSitePacked, Init, PlanLimits, SitePackedKernel,
    SitePackedLattice, SitePackedSampler,
};
use mpi::collective::SystemOperation;
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;

/// Re-runs this program under `mpirun` unless it is already one of its ranks.
fn under_mpirun() {
    if std::env::var_os("OMPI_COMM_WORLD_SIZE").is_some() {
        return;
    }
    let ranks = std::env::var("RANKS").unwrap_or_else(|_| "2".into());
    let status = std::process::Command::new("mpirun")
        .args(["--allow-run-as-root", "--oversubscribe", "-np", &ranks])
        .arg(std::env::current_exe().expect("this program's path"))
        .status()
        .expect("mpirun starts (Open MPI installed?)");
    std::process::exit(status.code().unwrap_or(1));
}

/// The slowest rank's `seconds`.
fn slowest(world: &SimpleCommunicator, seconds: f64) -> f64 {
    let mut max = 0.0;
    world.all_reduce_into(&seconds, &mut max, SystemOperation::max());
    max
}

/// The median of `runs` timings of `work`, each the slowest rank's, started together.
fn median(world: &SimpleCommunicator, runs: usize, mut work: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            world.barrier();
            let start = Instant::now();
            work();
            slowest(world, start.elapsed().as_secs_f64())
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn main() {
    under_mpirun();
    let universe = mpi::initialize_with_threading(mpi::Threading::Serialized)
        .expect("MPI starts")
        .0;
    let world = universe.world();
    let size = world.size() as u32;
    let gpu = GpuContext::new().ok();
    if world.rank() == 0 {
        if let Some(ctx) = &gpu {
            println!("gpu: {}", ctx.describe());
        }
        println!(
            "{:<22} {:>6} {:>10} {:>12} {:>12} {:>12} {:>8} {:>9} {:>13} {:>13}",
            "lattice",
            "ranks",
            "halo B",
            "exchange us",
            "update us",
            "slabs us",
            "halo %",
            "flips/ns",
            "gpu update us",
            "gpu slabs us"
        );
    }
    // Square tori cut along y, cubes along z; the 3D couplings at the cubic critical point.
    let cases = [
        (1024, 2, 0.4407),
        (4096, 2, 0.4407),
        (16384, 2, 0.4407),
        (64, 3, 0.2217),
        (128, 3, 0.2217),
        (256, 3, 0.2217),
    ];
    for (l, dims, beta) in cases {
        let lattice = match dims {
            2 => SitePackedLattice::square(l, l, 1.0, 0.0, beta),
            _ => SitePackedLattice::cubic(l, l, l, 1.0, 0.0, beta),
        }
        .expect("a valid lattice");
        let plane_words = lattice.words_per_colour() / lattice.planes();
        // A lattice of the largest slab's shape (the last side cut by the ranks, rounded up to an
        // even side), for the update alone.
        let cut = l.div_ceil(size).next_multiple_of(2);
        let slab_shaped = match dims {
            2 => SitePackedLattice::square(l, cut, 1.0, 0.0, beta),
            _ => SitePackedLattice::cubic(l, l, cut, 1.0, 0.0, beta),
        }
        .expect("a valid slab shape");
        let sweeps =
            (1.2e9 / lattice.num_sites() as f64 * f64::from(size)).clamp(6.0, 400.0) as u64;
        let half_sweeps = 2.0 * sweeps as f64;

        let (first, last) = (vec![1u32; plane_words], vec![2u32; plane_words]);
        let (mut lower, mut upper) = (vec![0u32; plane_words], vec![0u32; plane_words]);
        let exchange_s = median(&world, 5, || {
            for _ in 0..100 {
                exchange_halos(&first, &last, &mut lower, &mut upper).expect("MPI is running");
            }
        }) / 100.0;

        let mut one = CpuSitePacked::new(&slab_shaped, 1, Init::Uniform)
            .expect("a slab-shaped lattice")
            .with_threads(1);
        one.sweep(2).expect("warm-up");
        let update_s = median(&world, 3, || one.sweep(sweeps).expect("sweeps")) / half_sweeps;

        let mut slabs = RankedSitePacked::new(&lattice, 1, Init::Uniform, Some(1)).expect("slabs");
        slabs.sweep(2).expect("warm-up");
        let slabs_s = median(&world, 3, || slabs.sweep(sweeps).expect("sweeps")) / half_sweeps;

        // On the GPU: the slab-shaped lattice alone with the kernel the slabs run, then the slabs.
        let on_gpu = gpu.as_ref().map(|ctx| {
            let limits = PlanLimits::tuned(ctx).expect("tuned limits");
            let mut one = GpuSitePacked::with_limits(
                ctx,
                &slab_shaped,
                1,
                Init::Uniform,
                limits,
                SitePackedKernel::Words,
            )
            .expect("a slab-shaped lattice on the GPU");
            let timed = |s: &mut dyn SitePackedSampler| {
                s.sweep(2).expect("warm-up");
                s.observables().expect("read-back");
                median(&world, 3, || {
                    s.sweep(sweeps).expect("sweeps");
                    s.observables().expect("read-back");
                }) / half_sweeps
            };
            let update_s = timed(&mut one);
            let mut slabs = RankedSitePacked::on_gpu(ctx, &lattice, 1, Init::Uniform, Some(limits))
                .expect("GPU slabs");
            (update_s, timed(&mut slabs))
        });

        if world.rank() == 0 {
            let name = format!("{:?}", lattice.sides());
            let [gpu_update, gpu_slabs] = match on_gpu {
                Some((update_s, slabs_s)) => [update_s, slabs_s].map(|s| format!("{:.1}", s * 1e6)),
                None => ["-".into(), "-".into()],
            };
            println!(
                "{name:<22} {size:>6} {:>10} {:>12.2} {:>12.1} {:>12.1} {:>8.2} {:>9.3} {gpu_update:>13} {gpu_slabs:>13}",
                2 * 4 * plane_words,
                exchange_s * 1e6,
                update_s * 1e6,
                slabs_s * 1e6,
                100.0 * exchange_s / update_s,
                lattice.num_sites() as f64 / 2.0 / slabs_s / 1e9
            );
        }
    }
}
