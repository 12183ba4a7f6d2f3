//! Runs under `mpirun` (the `mpi` feature): MPI started when the process was launched as one rank
//! of a job, samplers whose chains split over the ranks, and which rank prints. Without the
//! feature, or outside `mpirun`, one process does everything, as always.

use ising_wgpu::Backend;

/// MPI, while the command runs (finalised when dropped), or nothing outside an MPI job.
pub(crate) struct Mpi {
    #[cfg(feature = "mpi")]
    _universe: Option<mpi::environment::Universe>,
}

/// Starts MPI when this process is a rank of an MPI job (its launcher set the environment), so
/// that a plain `ising ...` never needs an MPI runtime.
#[cfg(feature = "mpi")]
pub(crate) fn start() -> Mpi {
    const LAUNCHED: [&str; 3] = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"];
    let launched = LAUNCHED.iter().any(|v| std::env::var_os(v).is_some());
    Mpi {
        _universe: launched
            .then(|| mpi::initialize_with_threading(mpi::Threading::Serialized).map(|(u, _)| u))
            .flatten(),
    }
}

/// One process: nothing to start.
#[cfg(not(feature = "mpi"))]
pub(crate) fn start() -> Mpi {
    Mpi {}
}

/// This process's rank (0 outside an MPI job).
pub(crate) fn rank() -> usize {
    #[cfg(feature = "mpi")]
    return ising_wgpu::distributed::rank();
    #[cfg(not(feature = "mpi"))]
    0
}

/// This process's rank among the job's ranks on its machine (0 outside an MPI job).
pub(crate) fn local_rank() -> usize {
    #[cfg(feature = "mpi")]
    return ising_wgpu::distributed::local_rank();
    #[cfg(not(feature = "mpi"))]
    0
}

/// Ranks of the job (1 outside an MPI job).
pub(crate) fn ranks() -> usize {
    #[cfg(feature = "mpi")]
    return ising_wgpu::distributed::ranks();
    #[cfg(not(feature = "mpi"))]
    1
}

/// `backend`, or in an MPI job of several ranks `backend` on each rank with every sampler's chains
/// split over the ranks.
pub(crate) fn over_ranks(backend: Backend) -> Backend {
    #[cfg(feature = "mpi")]
    if ranks() > 1 {
        return Backend::Ranked(Box::new(backend));
    }
    backend
}
