//! Chain-major bit-packed spins, the layout every backend shares: bit `b` of `bits[i * words + w]` is
//! the spin of node `i` in chain `32 * w + b` (1 = up). Bits past the last chain stay 0.

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::spin::{spin_i8, spin_up};

/// Spins of many chains, packed 32 chains to a `u32`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackedSpins {
    num_nodes: usize,
    chains: usize,
    words: usize,
    bits: Vec<u32>,
}

/// Number of `u32` words that hold `chains` chains.
pub(crate) fn words_for(chains: usize) -> usize {
    chains.div_ceil(32)
}

/// `words` words in `parts` runs as equal as whole words allow, the longer ones first; fewer runs
/// when there are fewer words than parts.
pub(crate) fn split_words(words: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let parts = parts.min(words).max(1);
    let (each, extra) = (words / parts, words % parts);
    let mut start = 0;
    (0..parts)
        .map(|k| {
            let len = each + usize::from(k < extra);
            let window = start..start + len;
            start += len;
            window
        })
        .collect()
}

/// The bits of word `w` that belong to real chains (all ones but for the last, partial word).
pub(crate) fn lane_mask(chains: usize, w: usize) -> u32 {
    let lanes = chains.saturating_sub(32 * w).min(32);
    if lanes == 32 {
        u32::MAX
    } else {
        (1u32 << lanes) - 1
    }
}

/// An error unless `rows` rows of clamp values are 1 (all chains) or one per chain of `chains`.
pub(crate) fn check_value_rows(rows: usize, chains: usize) -> Result<()> {
    if rows != 1 && rows != chains {
        return Err(Error::invalid(
            "clamp values",
            format!("{rows} rows given; give 1 row (all chains) or one per chain ({chains})"),
        ));
    }
    Ok(())
}

/// Counts of set bits lane by lane over many words: lane `l`'s count in half `l / 16` of count
/// `l % 16` (16 lanes of 32 bits: one vector at AVX-512); each count must stay below `2^16`.
#[derive(Clone, Copy, Default)]
pub(crate) struct PairCounts([u32; 16]);

impl PairCounts {
    /// Counts `word`'s set bits.
    #[inline(always)]
    pub(crate) fn add(&mut self, word: u32) {
        for (p, count) in self.0.iter_mut().enumerate() {
            *count += (word >> p) & 0x0001_0001;
        }
    }

    /// The 32 lanes' counts, lane by lane.
    #[inline(always)]
    pub(crate) fn lanes(&self) -> [u32; 32] {
        let mut counts = [0u32; 32];
        for (p, &pair) in self.0.iter().enumerate() {
            counts[p] = pair & 0xffff;
            counts[p + 16] = pair >> 16;
        }
        counts
    }
}

/// A slice of the packed spins that holds words `first_word..first_word + stride` of every node.
pub(crate) struct WordSlice<'a> {
    /// Node-major words: `bits[i * stride + w]` is global word `first_word + w` of node `i`.
    pub(crate) bits: &'a mut [u32],
    /// Words per node in `bits`.
    pub(crate) stride: usize,
    /// Global index of the slice's first word.
    pub(crate) first_word: usize,
    /// Mask of real chains of each of the slice's words.
    pub(crate) masks: &'a [u32],
}

impl PackedSpins {
    /// All spins down.
    pub fn new(num_nodes: usize, chains: usize) -> Self {
        let words = words_for(chains);
        PackedSpins {
            num_nodes,
            chains,
            words,
            bits: vec![0; num_nodes * words],
        }
    }

    /// Packs `states` (chains x nodes, values -1/+1 or 0/1).
    pub fn from_states(states: ArrayView2<'_, i8>) -> Result<Self> {
        let mut packed = PackedSpins::new(states.ncols(), states.nrows());
        for ((c, i), &v) in states.indexed_iter() {
            let up = spin_up(v, || format!("state of chain {c}, node {i}"))?;
            packed.set(i, c, up);
        }
        Ok(packed)
    }

    /// Unpacks to chains x nodes, values -1/+1.
    pub fn to_states(&self) -> Array2<i8> {
        Array2::from_shape_fn((self.chains, self.num_nodes), |(c, i)| {
            spin_i8(self.get(i, c))
        })
    }

    /// Number of nodes.
    pub fn num_nodes(&self) -> usize {
        self.num_nodes
    }

    /// Number of chains.
    pub fn chains(&self) -> usize {
        self.chains
    }

    /// Words per node.
    pub fn words(&self) -> usize {
        self.words
    }

    /// The packed words, node-major.
    pub fn bits(&self) -> &[u32] {
        &self.bits
    }

    /// Mutable packed words, node-major; callers keep bits past the last chain at 0.
    pub(crate) fn bits_mut(&mut self) -> &mut [u32] {
        &mut self.bits
    }

    /// The spins of the chains of words `window` alone (a shard of these chains, in order).
    pub(crate) fn select_words(&self, window: std::ops::Range<usize>) -> PackedSpins {
        let chains = (32 * window.end).min(self.chains) - 32 * window.start;
        let bits = (0..self.num_nodes)
            .flat_map(|i| &self.bits[i * self.words + window.start..i * self.words + window.end])
            .copied()
            .collect();
        PackedSpins {
            num_nodes: self.num_nodes,
            chains,
            words: window.len(),
            bits,
        }
    }

    /// Spin of `node` in `chain` (true = up).
    pub fn get(&self, node: usize, chain: usize) -> bool {
        (self.bits[node * self.words + chain / 32] >> (chain % 32)) & 1 == 1
    }

    /// Sets the spin of `node` in `chain`.
    pub fn set(&mut self, node: usize, chain: usize, up: bool) {
        let word = &mut self.bits[node * self.words + chain / 32];
        let bit = 1u32 << (chain % 32);
        if up {
            *word |= bit;
        } else {
            *word &= !bit;
        }
    }

    /// Sets `nodes` in every chain from `values` (one row for all chains, or one row per chain).
    pub(crate) fn set_nodes(&mut self, nodes: &[u32], values: ArrayView2<'_, i8>) -> Result<()> {
        if values.ncols() != nodes.len() {
            return Err(Error::LengthMismatch {
                what: "clamp values (columns)",
                expected: nodes.len(),
                got: values.ncols(),
            });
        }
        check_value_rows(values.nrows(), self.chains)?;
        for c in 0..self.chains {
            let row = values.row(if values.nrows() == 1 { 0 } else { c });
            for (&node, &v) in nodes.iter().zip(row) {
                let up = spin_up(v, || format!("clamp value of node {node} (chain {c})"))?;
                self.set(node as usize, c, up);
            }
        }
        Ok(())
    }
}

/// The words of 70 chains (3 words a node) of `nodes` nodes after each of 5 calls of `sweep` (with
/// sweep index 0..5) from a fixed start, for tests that compare two ways of sweeping.
#[cfg(test)]
pub(crate) fn words_after_sweeps(
    nodes: usize,
    sweep: impl FnMut(&mut WordSlice<'_>, u64),
) -> Vec<Vec<u32>> {
    chain_words_after_sweeps(nodes, 70, sweep)
}

/// [`words_after_sweeps`] with `chains` chains.
#[cfg(test)]
pub(crate) fn chain_words_after_sweeps(
    nodes: usize,
    chains: usize,
    mut sweep: impl FnMut(&mut WordSlice<'_>, u64),
) -> Vec<Vec<u32>> {
    let stride = words_for(chains);
    let masks: Vec<u32> = (0..stride).map(|w| lane_mask(chains, w)).collect();
    let mut bits: Vec<u32> = (0..nodes * stride)
        .map(|k| (k as u32).wrapping_mul(0x9e37_79b9) & masks[k % stride])
        .collect();
    (0..5)
        .map(|s| {
            let mut slice = WordSlice {
                bits: &mut bits,
                stride,
                first_word: 0,
                masks: &masks,
            };
            sweep(&mut slice, s);
            bits.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_into_near_equal_runs_in_order() {
        assert_eq!(split_words(7, 3), vec![0..3, 3..5, 5..7]);
        assert_eq!(split_words(2, 4), vec![0..1, 1..2]);
        assert_eq!(split_words(4, 1), vec![0..4]);
        assert_eq!(split_words(0, 2), vec![0..0]);
    }

    #[test]
    fn packing_round_trips_and_keeps_padding_clear() {
        let states =
            Array2::from_shape_fn((37, 3), |(c, i)| if (c * 7 + i) % 3 == 0 { 1 } else { -1 });
        let p = PackedSpins::from_states(states.view()).unwrap();
        assert_eq!(p.words(), 2);
        assert_eq!(p.to_states(), states);
        for i in 0..3 {
            assert_eq!(p.bits()[i * 2 + 1] & !lane_mask(37, 1), 0);
        }
        assert_eq!(lane_mask(37, 0), u32::MAX);
        assert_eq!(lane_mask(37, 1), 0b1_1111);
        assert_eq!(lane_mask(64, 1), u32::MAX);
        let bad = ndarray::array![[1i8, 3]];
        let e = PackedSpins::from_states(bad.view())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("state of chain 0, node 1: 3 is not a spin"),
            "{e}"
        );
    }
}
