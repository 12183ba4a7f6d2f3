//! The collective calls of the ranked samplers, over `MPI_COMM_WORLD`: every rank's part of an
//! array joined in rank order (on every rank, or on rank 0 alone), and agreement on failures.

use mpi::datatype::{Equivalence, PartitionMut};
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use ndarray::{ArrayD, ArrayView, Axis, Dimension, IxDyn};

use crate::error::{Error, Result};

/// This process's rank in `MPI_COMM_WORLD`, or 0 when MPI is not initialised.
pub fn rank() -> usize {
    world().map_or(0, |w| w.rank() as usize)
}

/// Ranks in `MPI_COMM_WORLD`, or 1 when MPI is not initialised.
pub fn ranks() -> usize {
    world().map_or(1, |w| w.size() as usize)
}

/// This process's rank among the ranks on its machine (those that share its memory), or 0 when MPI
/// is not initialised: which of the machine's GPUs it takes ([`crate::GpuContext::for_local_rank`]).
/// Collective over `MPI_COMM_WORLD`.
pub fn local_rank() -> usize {
    world().map_or(0, |w| w.split_shared(w.rank()).rank() as usize)
}

/// The world communicator, once MPI is initialised (and not yet finalised).
fn world() -> Option<SimpleCommunicator> {
    let live = mpi::environment::is_initialized() && !mpi::environment::is_finalized();
    live.then(SimpleCommunicator::world)
}

/// The world communicator, or an error saying that MPI must be initialised first.
pub(super) fn world_or_error() -> Result<SimpleCommunicator> {
    world().ok_or_else(|| {
        Error::invalid(
            "MPI",
            "not initialised; call mpi::initialize() (and keep its Universe) before a ranked sampler",
        )
    })
}

/// `local` on every rank when every rank's call succeeded; otherwise an error on every rank, this
/// rank's own where it failed, else one naming the lowest rank that did.
pub(super) fn agree<T>(world: &SimpleCommunicator, local: Result<T>) -> Result<T> {
    let size = world.size();
    let mine = if local.is_err() { world.rank() } else { size };
    let mut first = size;
    world.all_reduce_into(&mine, &mut first, mpi::collective::SystemOperation::min());
    match local {
        Err(e) => Err(e),
        Ok(_) if first < size => Err(Error::invalid(
            "ranks",
            format!("rank {first} of {size} failed (its error is on its standard error)"),
        )),
        Ok(value) => Ok(value),
    }
}

/// Every rank's `part`, `counts[r]` entries along `axis` from rank `r`, joined along `axis` in
/// rank order: on every rank (`root_only` false), or on rank 0 alone (the others get `None`).
pub(super) fn join<T, D>(
    world: &SimpleCommunicator,
    part: ArrayView<'_, T, D>,
    axis: Axis,
    counts: &[usize],
    root_only: bool,
) -> Result<Option<ArrayD<T>>>
where
    T: Equivalence + Copy + Default,
    D: Dimension,
{
    let part = part.into_dyn();
    let flat: Vec<T> = part.iter().copied().collect();
    let shape_of = |r: usize| {
        let mut shape = part.shape().to_vec();
        shape[axis.index()] = counts[r];
        shape
    };
    let lens: Vec<usize> = (0..counts.len())
        .map(|r| shape_of(r).iter().product())
        .collect();
    let total: usize = lens.iter().sum();
    let too_many = || {
        Error::invalid(
            "ranks",
            format!("{total} entries to join exceed MPI's 2^31 - 1 a call"),
        )
    };
    let count = |n: usize| i32::try_from(n).map_err(|_| too_many());
    count(total)?;
    let sizes: Vec<i32> = lens.iter().map(|&n| count(n)).collect::<Result<_>>()?;
    let starts: Vec<i32> = sizes
        .iter()
        .scan(0, |at, &n| {
            let start = *at;
            *at += n;
            Some(start)
        })
        .collect();
    let is_root = world.rank() == 0;
    let mut buf = vec![T::default(); if root_only && !is_root { 0 } else { total }];
    if root_only {
        let root = world.process_at_rank(0);
        if is_root {
            let mut into = PartitionMut::new(&mut buf[..], &sizes[..], &starts[..]);
            root.gather_varcount_into_root(&flat[..], &mut into);
        } else {
            root.gather_varcount_into(&flat[..]);
            return Ok(None);
        }
    } else {
        let mut into = PartitionMut::new(&mut buf[..], &sizes[..], &starts[..]);
        world.all_gather_varcount_into(&flat[..], &mut into);
    }
    let pieces: Vec<ArrayView<'_, T, IxDyn>> = (0..counts.len())
        .map(|r| {
            let at = starts[r] as usize;
            ArrayView::from_shape(IxDyn(&shape_of(r)), &buf[at..at + lens[r]])
                .expect("a rank's part fills its shape")
        })
        .collect();
    let joined = ndarray::concatenate(axis, &pieces)
        .map_err(|e| Error::invalid("ranks", format!("parts do not join: {e}")))?;
    Ok(Some(joined))
}
