//! Moment counts: per chain, +1 spins per node and agreeing ends per edge, added at each sample point
//! into bit planes ([`PlaneCounters`]). `counts.wgsl` adds on the GPU in the same layout;
//! [`MomentCounter`] is its host twin.

use super::Observer;
use super::plane_counters::PlaneCounters;
use crate::packed::WordSlice;

/// Counts +1 spins per node and agreeing ends per edge, per local chain, in bit planes: one counter
/// of the thread's words per node and per edge.
pub(crate) struct MomentCounter {
    /// Chains of the thread's words.
    pub(crate) chains: usize,
    /// The model's edges.
    pub(crate) edges: Vec<(u32, u32)>,
    /// Up counts per node.
    pub(crate) nodes: PlaneCounters,
    /// Agreement counts per edge.
    pub(crate) agreements: PlaneCounters,
}

impl Observer for MomentCounter {
    fn observe(&mut self, spins: &WordSlice<'_>) {
        let stride = spins.stride;
        for (i, words) in spins.bits.chunks_exact(stride).enumerate() {
            self.nodes.add(i, |w| words[w]);
        }
        for (e, &(i, j)) in self.edges.iter().enumerate() {
            let (i, j) = (i as usize * stride, j as usize * stride);
            self.agreements
                .add(e, |w| !(spins.bits[i + w] ^ spins.bits[j + w]));
        }
    }
}
