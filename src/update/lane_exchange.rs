//! Exchanging and keeping whole chains in place, without reading spins back: tempering's replica
//! swaps ([`LaneSwap`]: the same lanes of two words exchanged at every node) and annealing's best
//! states (lanes of the current spins copied into a kept copy under a mask a word).
//! `lane_swap.wgsl` and `lane_keep.wgsl` are the GPU twins.

use crate::error::{Error, Result};

/// The lanes `lanes` of word `word_a` exchanged with the same lanes of word `word_b` at every node:
/// chain `32 word_a + l` and chain `32 word_b + l` trade spins for each bit `l` of `lanes`. Words are
/// global word indices (32 chains each).
///
/// ```
/// let swap = ising_wgpu::LaneSwap { word_a: 0, word_b: 2, lanes: 0b101 };
/// assert_eq!(swap.chain_pairs().collect::<Vec<_>>(), vec![(0, 64), (2, 66)]);
/// ```
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct LaneSwap {
    /// One word.
    pub word_a: u32,
    /// The other word.
    pub word_b: u32,
    /// The lanes exchanged (bit `l`: chain `32 word + l`).
    pub lanes: u32,
}

impl LaneSwap {
    /// The chains that trade spins, `(chain of word_a, chain of word_b)`, by lane.
    pub fn chain_pairs(&self) -> impl Iterator<Item = (usize, usize)> + use<> {
        let (a, b, lanes) = (self.word_a as usize, self.word_b as usize, self.lanes);
        (0..32)
            .filter(move |l| (lanes >> l) & 1 == 1)
            .map(move |l| (32 * a + l, 32 * b + l))
    }
}

/// An error unless every swap names two different words below `words` and no word is in two swaps
/// (each word's result would depend on the order).
pub(crate) fn check_swaps(swaps: &[LaneSwap], words: usize) -> Result<()> {
    let mut used = vec![false; words];
    for (k, s) in swaps.iter().enumerate() {
        for w in [s.word_a, s.word_b] {
            let seen = used.get_mut(w as usize).ok_or_else(|| {
                Error::invalid(
                    "lane swaps",
                    format!("swap {k} names word {w}; the chains fill {words} words"),
                )
            })?;
            if *seen {
                return Err(Error::invalid(
                    "lane swaps",
                    format!("swap {k} names word {w}, which another swap (or itself) names too"),
                ));
            }
            *seen = true;
        }
    }
    Ok(())
}

/// An error naming the first of `swaps` with a word outside `held`, the words a shard of the
/// chains holds ([`crate::Backend::shard`]).
pub(crate) fn check_held(swaps: &[LaneSwap], held: &std::ops::Range<usize>) -> Result<()> {
    let outside = |w: u32| !held.contains(&(w as usize));
    match swaps
        .iter()
        .position(|s| outside(s.word_a) || outside(s.word_b))
    {
        Some(k) => Err(Error::invalid(
            "lane swaps",
            format!(
                "swap {k} joins words {} and {}; this shard of the chains holds words {held:?}",
                swaps[k].word_a, swaps[k].word_b
            ),
        )),
        None => Ok(()),
    }
}

/// Applies `swaps` (checked by [`check_swaps`]) to chain-major `bits`, `words` words a node.
pub(crate) fn swap_lanes(bits: &mut [u32], words: usize, swaps: &[LaneSwap]) {
    for node in bits.chunks_exact_mut(words) {
        for s in swaps {
            let (a, b) = (s.word_a as usize, s.word_b as usize);
            let d = (node[a] ^ node[b]) & s.lanes;
            node[a] ^= d;
            node[b] ^= d;
        }
    }
}

/// Copies the lanes of `masks` (one a word) from chain-major `spins` into `kept`, `masks.len()` words
/// a node.
pub(crate) fn keep_lanes(kept: &mut [u32], spins: &[u32], masks: &[u32]) {
    for (kept, spins) in kept
        .chunks_exact_mut(masks.len())
        .zip(spins.chunks_exact(masks.len()))
    {
        for ((k, &s), &m) in kept.iter_mut().zip(spins).zip(masks) {
            *k = (*k & !m) | (s & m);
        }
    }
}

/// An error unless `masks` has one mask per word of `words`.
pub(crate) fn check_masks(masks: &[u32], words: usize) -> Result<()> {
    if masks.len() != words {
        return Err(Error::LengthMismatch {
            what: "lane masks (one per word of 32 chains)",
            expected: words,
            got: masks.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swaps_trade_only_the_named_lanes() {
        // Two nodes, three words.
        let mut bits = vec![0xffff_0000, 0x0000_ffff, 7, 1, 2, 3];
        swap_lanes(
            &mut bits,
            3,
            &[LaneSwap {
                word_a: 0,
                word_b: 1,
                lanes: 0x0001_0001,
            }],
        );
        assert_eq!(bits, vec![0xfffe_0001, 0x0001_fffe, 7, 0, 3, 3]);
        let mut kept = vec![0u32; 6];
        keep_lanes(&mut kept, &bits, &[0xff, 0, u32::MAX]);
        assert_eq!(kept, vec![0x01, 0, 7, 0, 0, 3]);
    }

    #[test]
    fn bad_swaps_and_masks_are_named() {
        let swap = |a, b| LaneSwap {
            word_a: a,
            word_b: b,
            lanes: 1,
        };
        assert!(check_swaps(&[swap(0, 1), swap(2, 3)], 4).is_ok());
        let err = check_swaps(&[swap(0, 4)], 4).unwrap_err().to_string();
        assert!(
            err.contains("swap 0 names word 4; the chains fill 4 words"),
            "{err}"
        );
        let err = check_swaps(&[swap(0, 1), swap(1, 2)], 4)
            .unwrap_err()
            .to_string();
        assert!(err.contains("swap 1 names word 1"), "{err}");
        assert!(check_swaps(&[swap(2, 2)], 4).is_err());
        assert!(check_masks(&[0, 0], 3).is_err());
    }
}
