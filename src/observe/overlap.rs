//! The replica overlap `q = (1/N) sum_i s_i^a s_i^b` of chain pairs `(2p, 2p + 1)` (two lanes of one
//! word, so always at one beta) at each sample point, counted as disagreeing sites:
//! `q = 1 - 2 d / N`. `overlap.wgsl` counts the very same sites (one invocation a word).

use super::Observer;
use crate::packed::WordSlice;

/// The disagreements of each pair of lanes `(2l, 2l + 1)` of word `w` of `spins`.
fn word_disagreements(spins: &WordSlice<'_>, w: usize) -> [u32; 16] {
    let mut d = [0u32; 16];
    for node in spins.bits.chunks_exact(spins.stride) {
        let x = node[w] ^ (node[w] >> 1);
        for (l, d) in d.iter_mut().enumerate() {
            *d += (x >> (2 * l)) & 1;
        }
    }
    d
}

/// Collects the disagreements of each local pair at each sample point (samples x local pairs).
pub(crate) struct OverlapObserver {
    /// Chains of the thread's words.
    pub(crate) local_chains: usize,
    /// Disagreeing sites of each pair at each sample point so far.
    pub(crate) disagreements: Vec<u32>,
}

impl Observer for OverlapObserver {
    fn observe(&mut self, spins: &WordSlice<'_>) {
        for w in 0..spins.stride {
            let pairs = (self.local_chains - 32 * w).min(32) / 2;
            self.disagreements
                .extend_from_slice(&word_disagreements(spins, w)[..pairs]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packed::{PackedSpins, lane_mask};
    use ndarray::Array2;

    #[test]
    fn disagreements_are_those_of_each_pair() {
        let (chains, n) = (45, 7);
        let states = Array2::from_shape_fn((chains, n), |(c, i)| {
            if (c * 5 + i * 3 + c * i) % 4 < 2 {
                1i8
            } else {
                -1
            }
        });
        let mut packed = PackedSpins::from_states(states.view()).unwrap();
        let masks: Vec<u32> = (0..2).map(|w| lane_mask(chains, w)).collect();
        let slice = WordSlice {
            bits: packed.bits_mut(),
            stride: 2,
            first_word: 0,
            masks: &masks,
        };
        let mut o = OverlapObserver {
            local_chains: chains,
            disagreements: Vec::new(),
        };
        o.observe(&slice);
        assert_eq!(o.disagreements.len(), 22);
        for (p, &d) in o.disagreements.iter().enumerate() {
            let want = (0..n)
                .filter(|&i| states[(2 * p, i)] != states[(2 * p + 1, i)])
                .count();
            assert_eq!(d as usize, want, "pair {p}");
        }
    }
}
