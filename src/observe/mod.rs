//! Observation at sample points: each kernel (`.wgsl`) beside its host twin (`.rs`) under one name.
//! The GPU runs the kernel where the spins live and reads back only its result; the CPU runs the
//! twin on each thread's words through [`Observer`].
//!
//! - [`gather`]: the spins of chosen nodes (samples);
//! - [`counts`]: per-chain moment counts in bit planes ([`plane_counters`]).

pub(crate) mod counts;
pub(crate) mod gather;
pub(crate) mod plane_counters;

use crate::packed::WordSlice;

/// What the host does with a thread's words at each sample point.
pub(crate) trait Observer: Send {
    /// Observes the words of `spins` (the thread's chains) at the next sample point.
    fn observe(&mut self, spins: &WordSlice<'_>);
}
