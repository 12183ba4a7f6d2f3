//! Counters for the 32 lanes of packed words, held in bit planes: plane `p` of a counter word is a
//! word whose bit `l` is bit `p` of lane `l`'s count. Adding a word of 0/1 lanes is then a
//! ripple-carry add over a few words instead of 32 additions, and counting up to `n` takes `bits(n)`
//! words per 32 lanes instead of 32: the CPU backend's moment counts stay in cache however many
//! chains there are. The GPU's count kernel (`counts.wgsl`) keeps the same layout, and the host
//! expands what it reads back with these counters.

use ndarray::Array2;

/// `len` counters of `width` words (of 32 lanes) each, every lane able to count up to a fixed
/// capacity. A counter's planes lie plane by plane, each plane's `width` words side by side, so that
/// an add runs across the words in vector instructions.
pub(crate) struct PlaneCounters {
    /// Planes per counter: enough bits for the capacity.
    planes: usize,
    /// Words per plane.
    width: usize,
    /// Word `w` of plane `p` of counter `k` at `(k * planes + p) * width + w`.
    words: Vec<u32>,
    /// The carries of an add in progress, one per word.
    carry: Vec<u32>,
}

impl PlaneCounters {
    /// `len` zero counters of `width` words whose lanes count up to `capacity`.
    pub(crate) fn new(len: usize, width: usize, capacity: u32) -> Self {
        let planes = Self::planes_for(capacity);
        Self::from_words(width, capacity, vec![0; len * planes * width])
    }

    /// Counters of `width` words whose lanes count up to `capacity`, from their planes in this
    /// layout (as the GPU's count kernel writes them).
    pub(crate) fn from_words(width: usize, capacity: u32, words: Vec<u32>) -> Self {
        let planes = Self::planes_for(capacity);
        debug_assert_eq!(words.len() % (planes * width), 0);
        PlaneCounters {
            planes,
            width,
            words,
            carry: vec![0; width],
        }
    }

    /// Planes a counter needs to count up to `capacity`: its bit length, at least one.
    pub(crate) fn planes_for(capacity: u32) -> usize {
        (u32::BITS - capacity.leading_zeros()).max(1) as usize
    }

    /// Adds bit `l` of `word(w)` to lane `l` of word `w` of counter `k`, for every lane and word.
    #[inline]
    pub(crate) fn add(&mut self, k: usize, word: impl Fn(usize) -> u32) {
        for (w, carry) in self.carry.iter_mut().enumerate() {
            *carry = word(w);
        }
        let size = self.planes * self.width;
        for plane in self.words[k * size..(k + 1) * size].chunks_exact_mut(self.width) {
            let mut any = 0;
            for (bits, carry) in plane.iter_mut().zip(&mut self.carry) {
                let next = *bits & *carry;
                *bits ^= *carry;
                *carry = next;
                any |= next;
            }
            if any == 0 {
                return;
            }
        }
        debug_assert!(
            self.carry.iter().all(|&c| c == 0),
            "a lane counted past its capacity"
        );
    }

    /// The counts of the first `out.len()` (at most `32 * width`) lanes of counter `k`, lane `l` of
    /// word `w` at `32 * w + l`.
    pub(crate) fn counts_into(&self, k: usize, out: &mut [u32]) {
        let size = self.planes * self.width;
        let planes = &self.words[k * size..(k + 1) * size];
        for (w, lanes) in out.chunks_mut(32).enumerate() {
            let mut counts = [0u32; 32];
            for (p, plane) in planes.chunks_exact(self.width).enumerate() {
                // A mask per lane, not a shift by the lane: baseline x86-64 has no per-lane shifts.
                let bit = 1 << p;
                for (l, count) in counts.iter_mut().enumerate() {
                    *count |= if plane[w] & (1 << l) != 0 { bit } else { 0 };
                }
            }
            lanes.copy_from_slice(&counts[..lanes.len()]);
        }
    }

    /// Writes the counts of counters `first..first + counts.nrows()` into columns
    /// `c0..c0 + chains` of `counts` (items x chains, row-major), one row per counter.
    pub(crate) fn write_columns(
        &self,
        first: usize,
        c0: usize,
        chains: usize,
        counts: &mut Array2<u32>,
    ) {
        for (row_index, mut row) in counts.rows_mut().into_iter().enumerate() {
            let row = row.as_slice_mut().expect("counts are contiguous");
            self.counts_into(first + row_index, &mut row[c0..c0 + chains]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adds `samples` rows of 3 words to 2 counters of width 3 and compares every lane with a plain
    /// count.
    fn check(capacity: u32, samples: u32, word: impl Fn(usize, usize, u32) -> u32) {
        let mut counters = PlaneCounters::new(2, 3, capacity);
        let mut plain = [[[0u32; 32]; 3]; 2];
        for s in 0..samples {
            for (k, words) in plain.iter_mut().enumerate() {
                counters.add(k, |w| word(k, w, s));
                for (w, lanes) in words.iter_mut().enumerate() {
                    for (l, count) in lanes.iter_mut().enumerate() {
                        *count += (word(k, w, s) >> l) & 1;
                    }
                }
            }
        }
        for (k, words) in plain.iter().enumerate() {
            let lanes = words.as_flattened();
            for len in [96, 81, 65, 1] {
                let mut out = vec![u32::MAX; len];
                counters.counts_into(k, &mut out);
                assert_eq!(out, lanes[..len], "capacity {capacity}, counter {k}");
            }
        }
    }

    #[test]
    fn lanes_count_like_plain_counters() {
        let hash = |k: usize, w: usize, s: u32| {
            (s ^ ((k * 3 + w) as u32) << 20)
                .wrapping_mul(0x9e37_79b9)
                .rotate_left(7)
        };
        for capacity in [1, 2, 3, 4, 7, 8, 100, 1000] {
            check(capacity, capacity, hash);
        }
        // Every lane of one word up every time, the others never: those counts reach the capacity
        // exactly, carrying through all planes, while the other words stay zero.
        for capacity in [1, 3, 7, 255, 256, 1023] {
            check(
                capacity,
                capacity,
                |_, w, _| if w == 1 { u32::MAX } else { 0 },
            );
        }
        // A capacity of all 32 bits needs 32 planes.
        assert_eq!(PlaneCounters::new(1, 1, u32::MAX).planes, 32);
        assert_eq!(PlaneCounters::new(1, 1, 0).planes, 1);
    }
}
