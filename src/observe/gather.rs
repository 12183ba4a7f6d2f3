//! Samples: the spins of chosen nodes at each sample point. `gather.wgsl` copies their words into a
//! slot of an output buffer on the GPU; [`SampleCollector`] is its host twin.

use super::Observer;
use crate::packed::WordSlice;
use crate::spin::spin_i8;

/// Collects the spins of chosen nodes, samples x local chains x nodes, flattened.
pub(crate) struct SampleCollector {
    /// The observed nodes, in output order.
    pub(crate) nodes: Vec<u32>,
    /// Chains of the thread's words.
    pub(crate) local_chains: usize,
    /// Values -1/+1 so far.
    pub(crate) out: Vec<i8>,
}

impl Observer for SampleCollector {
    fn observe(&mut self, spins: &WordSlice<'_>) {
        // Node by node, each word read once and spread over its chains' rows (chains x nodes).
        let n_obs = self.nodes.len();
        let start = self.out.len();
        self.out.resize(start + self.local_chains * n_obs, 0);
        let sample = &mut self.out[start..];
        for (k, &i) in self.nodes.iter().enumerate() {
            let words = &spins.bits[i as usize * spins.stride..][..spins.stride];
            for (w, &word) in words.iter().enumerate() {
                let lanes = (self.local_chains - 32 * w).min(32);
                for b in 0..lanes {
                    sample[(32 * w + b) * n_obs + k] = spin_i8((word >> b) & 1 == 1);
                }
            }
        }
    }
}
