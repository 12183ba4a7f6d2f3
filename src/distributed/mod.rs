//! Work split over the processes (ranks) of an MPI job, behind the `mpi` feature: each rank runs
//! its share on its own backend and the ranks exchange only what the results need, so that a run
//! over any number of ranks returns exactly what one process returns for the same seed.
//!
//! - [`RankedSampler`]: the chains of one sampler split over the ranks, whole 32-chain words each;
//! - [`RankedSitePacked`]: one site-packed lattice cut into slabs along its last axis, halo planes
//!   exchanged with the neighbouring ranks after each half-sweep; each rank's slab on the CPU
//!   (`cpu_slab`) or a GPU (`gpu_slab`);
//! - `collect`: the collective calls that join the ranks' parts (and agree on failures, so that
//!   an error on one rank is an error on all, never a hang).
//!
//! The ranks are those of `MPI_COMM_WORLD`. The caller initialises MPI and keeps its
//! [`mpi::environment::Universe`] alive while ranked samplers are used, with
//! [`mpi::Threading::Serialized`] or above where the calls may come from more than one thread.

mod chains;
mod collect;
mod cpu_slab;
mod gpu_slab;
mod slab;

pub use chains::RankedSampler;
pub use collect::{local_rank, rank, ranks};
pub use slab::{RankedSitePacked, exchange_halos};
