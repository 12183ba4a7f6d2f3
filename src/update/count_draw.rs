//! Draws whose probability depends only on how many of a site's neighbours are up: one coupling and
//! one field. The counts come from bit-sliced adds of the neighbours' words, the draw from
//! [`bernoulli_words_sliced`], whose threshold bits are functions of the count's bits looked up in a
//! table of 8 bits per bit plane: no per-lane loop at all. Shared by the lattice path and the
//! site-packed lattice; the WGSL twins are in `count_draw.wgsl` beside it.

use crate::rng::{Purpose, SlicedComparison, bernoulli_words_sliced};

/// The thresholds of each count of up neighbours for one coupling, field and beta, as bit-plane tables.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CountDraw {
    degree: usize,
    /// Threshold of each count of up neighbours, `0..=degree`; zero past `degree`.
    thresholds: [u32; 8],
    /// Entry `q < 24`: bit `k` set when the threshold of count `k` has bit `23 - q`; entry 24: bit `k`
    /// set when the threshold of count `k` is `2^24` (probability 1).
    plane_tables: [u8; 25],
    /// The tables as [`table_masks`], for the host's draws.
    plane_masks: [[u32; 8]; 25],
}

impl CountDraw {
    /// Up with probability `sigmoid(2 beta (h + j (up - down)))` among `degree` (at most 7) neighbours.
    pub(crate) fn new(j: f32, h: f32, beta: f32, degree: usize) -> Self {
        debug_assert!(degree < 8);
        // The field in f64: the one rounding is the threshold's, ceil(p 2^24).
        let (h, j, beta) = (f64::from(h), f64::from(j), f64::from(beta));
        let mut thresholds = [0; 8];
        for (up, t) in thresholds.iter_mut().enumerate().take(degree + 1) {
            let field = h + j * (2.0 * up as f64 - degree as f64);
            let p = 1.0 / (1.0 + (-2.0 * beta * field).exp());
            *t = (p * 16_777_216.0).ceil() as u32;
        }
        let mut plane_tables = [0u8; 25];
        for (k, &t) in thresholds.iter().enumerate() {
            for (q, table) in plane_tables.iter_mut().enumerate() {
                let bit = if q < 24 { (t >> (23 - q)) & 1 } else { t >> 24 };
                *table |= (bit as u8) << k;
            }
        }
        CountDraw {
            degree,
            thresholds,
            plane_tables,
            plane_masks: plane_tables.map(|table| table_masks(table.into())),
        }
    }

    /// Neighbours per site.
    #[cfg(test)]
    pub(crate) fn degree(&self) -> usize {
        self.degree
    }

    /// Threshold of each count of up neighbours, `0..=degree`.
    #[cfg(test)]
    pub(crate) fn thresholds(&self) -> &[u32] {
        &self.thresholds[..=self.degree]
    }

    /// The tables, four to a `u32` (low byte first), as `plane_tables_lo` and `_hi` of the kernels'
    /// parameters.
    pub(crate) fn packed_tables(&self) -> [u32; 8] {
        let mut packed = [0; 8];
        for (q, &table) in self.plane_tables.iter().enumerate() {
            packed[q / 4] |= u32::from(table) << (8 * (q % 4));
        }
        packed
    }
}

/// The 32 draws of each of `N` words side by side (vector instructions across words) in `sweep`:
/// word `i` is `(nodes[i], words[i])` of the counters, `neighbours[d][i]` its neighbour `d`'s word
/// and `draws[i]` its thresholds (of degree `D`); each lane is up with the probability of its count
/// of up neighbours. Inlined, so that it runs at the caller's vector level.
#[inline(always)]
pub(crate) fn draw<const N: usize, const D: usize>(
    draws: [&CountDraw; N],
    seed_sweep: (u64, u64),
    keys: ([u32; N], [u32; N]),
    neighbours: &[[u32; N]; D],
) -> [u32; N] {
    debug_assert!(draws.iter().all(|draw| draw.degree == D));
    let counts = counts_of(neighbours);
    let (seed, sweep) = seed_sweep;
    bernoulli_words_sliced(
        seed,
        sweep,
        keys,
        Purpose::Update,
        |i, q| threshold_plane::<N, D>(&draws, &counts, i, q),
        always::<N, D>(&draws, &counts),
    )
}

/// [`draw`] with the words whose lanes still tie after the top byte set aside until `N` of them
/// have gathered, so that their later Philox calls run `N` words at once instead of in nearly every
/// batch (of 16 words' 512 lanes, one or more tie in most). Each word is given to a `store` with a
/// target of type `T`; a word set aside is given first with the lanes decided so far and again,
/// complete, once decided, so the words stored must not be read until [`TiedDraws::finish`] (as
/// one colour's words are not read in its own half-sweep). The words are those [`draw`] gives.
pub(crate) struct TiedDraws<const N: usize, T> {
    len: usize,
    keys: ([u32; N], [u32; N]),
    counts: [[u32; N]; 3],
    /// Entry `[q][i]`: word `i`'s plane table `8 + q` (the planes of calls 2 to 5), copied so that
    /// the later calls' comparisons run across the words without a table lookup per word.
    tables: [[u32; N]; 16],
    comparison: SlicedComparison<N>,
    targets: [T; N],
}

impl<const N: usize, T: Copy> TiedDraws<N, T> {
    /// None set aside; `target` fills the unused entries.
    pub(crate) fn new(target: T) -> Self {
        debug_assert!(N <= 32);
        TiedDraws {
            len: 0,
            keys: ([0; N], [0; N]),
            counts: [[0; N]; 3],
            tables: [[0; N]; 16],
            comparison: SlicedComparison {
                below: [0; N],
                tied: [0; N],
            },
            targets: [target; N],
        }
    }

    /// [`draw`] of `N` words, word `i` given to `store(targets[i], word)`.
    #[inline(always)]
    pub(crate) fn draw<const D: usize>(
        &mut self,
        draws: [&CountDraw; N],
        seed_sweep: (u64, u64),
        keys: ([u32; N], [u32; N]),
        neighbours: &[[u32; N]; D],
        targets: [T; N],
        store: &mut impl FnMut(T, u32),
    ) {
        debug_assert!(draws.iter().all(|draw| draw.degree == D));
        let counts = counts_of(neighbours);
        let (seed, sweep) = seed_sweep;
        let plane = |i, q| threshold_plane::<N, D>(&draws, &counts, i, q);
        let top = SlicedComparison::top_byte(seed, sweep, &keys, Purpose::Update, &plane);
        let always = always::<N, D>(&draws, &counts);
        let mut tied_words = 0u32;
        let mut below = top.below;
        for i in 0..N {
            below[i] |= always[i];
            tied_words |= u32::from(top.tied[i] != 0) << i;
        }
        for i in 0..N {
            store(targets[i], below[i]);
        }
        while tied_words != 0 {
            let (i, at) = (tied_words.trailing_zeros() as usize, self.len);
            tied_words &= tied_words - 1;
            (self.keys.0[at], self.keys.1[at]) = (keys.0[i], keys.1[i]);
            for (set_aside, count) in self.counts.iter_mut().zip(&counts) {
                set_aside[at] = count[i];
            }
            for (q, table) in self.tables.iter_mut().enumerate() {
                table[at] = u32::from(draws[i].plane_tables[8 + q]);
            }
            self.comparison.below[at] = below[i];
            self.comparison.tied[at] = top.tied[i];
            self.targets[at] = targets[i];
            self.len += 1;
            if self.len == N {
                self.decide(seed_sweep, store);
            }
        }
    }

    /// Decides and stores the words set aside.
    #[inline(always)]
    pub(crate) fn finish(&mut self, seed_sweep: (u64, u64), store: &mut impl FnMut(T, u32)) {
        if self.len > 0 {
            self.comparison.tied[self.len..].fill(0);
            self.decide(seed_sweep, store);
        }
    }

    /// Draws the later calls of the first `len` words set aside and stores them.
    #[inline(always)]
    fn decide(&mut self, (seed, sweep): (u64, u64), store: &mut impl FnMut(T, u32)) {
        let (tables, counts) = (&self.tables, &self.counts);
        let plane = |i: usize, q: usize| {
            let count = [counts[0][i], counts[1][i], counts[2][i]];
            lanes_in::<7>(&count, &table_masks(tables[q - 8][i]))
        };
        (self.comparison).finish(seed, sweep, &self.keys, Purpose::Update, &plane);
        for i in 0..self.len {
            store(self.targets[i], self.comparison.below[i]);
        }
        self.len = 0;
    }
}

/// Bit planes of the per-lane counts of up neighbours of `N` words (`neighbours[d][i]`: neighbour
/// `d`'s word of word `i`): plane `k` of word `i` at `[k][i]`.
#[inline(always)]
fn counts_of<const N: usize, const D: usize>(neighbours: &[[u32; N]; D]) -> [[u32; N]; 3] {
    // Plain loops rather than `map`, which the compiler may keep out of line.
    let mut counts = [[0u32; N]; 3];
    for word in neighbours {
        for i in 0..N {
            let [c0, c1, c2] = add_word([counts[0][i], counts[1][i], counts[2][i]], word[i]);
            (counts[0][i], counts[1][i], counts[2][i]) = (c0, c1, c2);
        }
    }
    counts
}

/// Bit `23 - q` of the threshold of each lane of word `i`.
#[inline(always)]
fn threshold_plane<const N: usize, const D: usize>(
    draws: &[&CountDraw; N],
    counts: &[[u32; N]; 3],
    i: usize,
    q: usize,
) -> u32 {
    let count = [counts[0][i], counts[1][i], counts[2][i]];
    lanes_in::<D>(&count, &draws[i].plane_masks[q])
}

/// The lanes of probability 1 of each word.
#[inline(always)]
fn always<const N: usize, const D: usize>(
    draws: &[&CountDraw; N],
    counts: &[[u32; N]; 3],
) -> [u32; N] {
    let mut always = [0u32; N];
    for (i, always) in always.iter_mut().enumerate() {
        *always = threshold_plane::<N, D>(draws, counts, i, 24);
    }
    always
}

/// Adds `word` into the per-lane 3-bit counters `[c0, c1, c2]` (bit planes): a ripple-carry add.
#[inline(always)]
fn add_word([c0, c1, c2]: [u32; 3], word: u32) -> [u32; 3] {
    let carry0 = c0 & word;
    let carry1 = c1 & carry0;
    [c0 ^ word, c1 ^ carry0, c2 | carry1]
}

/// Bit planes of the per-lane number of set bits among at most 7 `words`.
#[cfg(test)]
fn count_planes<const D: usize>(words: [u32; D]) -> [u32; 3] {
    words.into_iter().fold([0; 3], add_word)
}

/// The bits of `table` (a table of counts, bit `k` for count `k`) as all-ones or all-zero words.
#[inline(always)]
fn table_masks(table: u32) -> [u32; 8] {
    // A plain loop rather than `from_fn`, which the compiler may keep out of line.
    let mut masks = [0; 8];
    for (k, mask) in masks.iter_mut().enumerate() {
        *mask = 0u32.wrapping_sub((table >> k) & 1);
    }
    masks
}

/// The lanes whose count (in the planes [`add_word`] builds, at most `D`) is one of the counts of a
/// table (bit `k`: count `k`) given as [`table_masks`]: a multiplexer tree over the count's bits,
/// without the branches no count up to `D` reaches.
#[inline(always)]
fn lanes_in<const D: usize>(&[c0, c1, c2]: &[u32; 3], t: &[u32; 8]) -> u32 {
    let pick = |a: u32, b: u32, c: u32| a ^ ((a ^ b) & c);
    let below_four = pick(pick(t[0], t[1], c0), pick(t[2], t[3], c0), c1);
    let from_four = match D {
        ..4 => return below_four,
        // With `c2` set: count 4 only, or 4 to 6 (6 the only one with `c1`).
        4 => t[4],
        5 | 6 => pick(pick(t[4], t[5], c0), t[6], c1),
        _ => pick(pick(t[4], t[5], c0), pick(t[6], t[7], c0), c1),
    };
    pick(below_four, from_four, c2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_sliced_counts_match_popcounts() {
        let words = [
            0xdead_beef,
            0x0123_4567,
            0xffff_0000,
            0x5555_5555,
            0x3333_cccc,
            u32::MAX,
            7,
        ];
        for n in 0..=words.len() {
            let mut padded = [0; 7];
            padded[..n].copy_from_slice(&words[..n]);
            let counts = count_planes(padded);
            let lanes: [u32; 8] =
                std::array::from_fn(|k| lanes_in::<7>(&counts, &table_masks(1 << k)));
            for l in 0..32 {
                let want = words[..n].iter().filter(|&&w| (w >> l) & 1 == 1).count();
                let got: Vec<usize> = (0..8).filter(|&k| (lanes[k] >> l) & 1 == 1).collect();
                assert_eq!(got, [want], "{n} words, lane {l}");
            }
            // Trees for lower degrees agree wherever the count is within their degree.
            for table in 0..=255 {
                let full = lanes_in::<7>(&counts, &table_masks(table));
                if n <= 4 {
                    assert_eq!(lanes_in::<4>(&counts, &table_masks(table)), full);
                }
                if n <= 6 {
                    assert_eq!(lanes_in::<6>(&counts, &table_masks(table)), full);
                }
            }
            // A table of several counts selects their union.
            assert_eq!(
                lanes_in::<7>(&counts, &table_masks(0b1010_0110)),
                lanes[1] | lanes[2] | lanes[5] | lanes[7]
            );
        }
    }

    #[test]
    fn thresholds_and_their_bit_planes() {
        let inexact = CountDraw::new(0.3, 0.1, 1.0, 4);
        // sigmoid(2 * (0.1 + 0.3 * (2 - 4))) = sigmoid(-1.0) = 0.2689414...
        let want = (0.268_941_421_369_995_1_f64 * 16_777_216.0).ceil() as u32;
        assert_eq!(inexact.thresholds()[1], want);
        let certain = CountDraw::new(1.0, 0.0, 30.0, 4);
        // ceil(p 2^24) is 1 for any p > 0, however small (here about e^-120).
        assert_eq!(certain.thresholds(), &[1, 1, 1 << 23, 1 << 24, 1 << 24]);
        assert_eq!(certain.plane_tables[24], 0b11000);
        assert_eq!(certain.plane_tables[0], 0b00100);
        assert_eq!(certain.plane_tables[23], 0b00011);
        assert_eq!(certain.packed_tables()[6], 0b11000);
        assert_eq!(certain.packed_tables()[5] >> 24, 0b00011);
    }

    #[test]
    fn draws_follow_the_count_thresholds() {
        // Lanes with 0 or 1 of 4 neighbours up are down, 3 or 4 up are up (probabilities 0 and 1
        // up to 2^-24); over many words the 2-up lanes are up half the time.
        let certain = CountDraw::new(1.0, 0.0, 30.0, 4);
        let neighbours = [0x0000_ffff, 0x00ff_00ff, 0x0f0f_0f0f, 0x3333_3333];
        let mut half = 0;
        for node in 0..200 {
            let [a, b, c, d] = neighbours;
            let [up] = draw([&certain], (5, 7), ([node], [0]), &[[a], [b], [c], [d]]);
            let counts = count_planes(neighbours);
            let lanes: [u32; 5] =
                std::array::from_fn(|k| lanes_in::<4>(&counts, &table_masks(1 << k)));
            assert_eq!(up & (lanes[0] | lanes[1]), 0);
            assert_eq!(up & (lanes[3] | lanes[4]), lanes[3] | lanes[4]);
            half += (up & lanes[2]).count_ones();
        }
        let lanes2 =
            lanes_in::<4>(&count_planes(neighbours), &table_masks(1 << 2)).count_ones() * 200;
        let (mean, n) = (f64::from(half) / f64::from(lanes2), f64::from(lanes2));
        assert!(
            (mean - 0.5).abs() < 5.0 * (0.25 / n).sqrt(),
            "{mean} of {n}"
        );
    }

    #[test]
    fn words_set_aside_are_the_words_drawn_at_once() {
        // Near-even thresholds (beta 0.05) make ties common; a mixed field per word exercises the
        // per-word draws.
        let draws: Vec<CountDraw> = [0.0, 0.3, -0.2]
            .iter()
            .map(|&h| CountDraw::new(1.0, h, 0.05, 4))
            .collect();
        let word = |n: u32, d: u32| crate::rng::philox4x32_10([n, d, 0, 0], [9, 9])[0];
        let (mut stored, mut stores) = (vec![None; 200], 0);
        let mut tied = TiedDraws::<8, usize>::new(0);
        let store = &mut |g: usize, up: u32| {
            stored[g] = Some(up);
            stores += 1;
        };
        let mut want = Vec::new();
        for first in (0..200).step_by(8) {
            let mut batch_draws = [&draws[0]; 8];
            let mut neighbours = [[0u32; 8]; 4];
            let (mut nodes, mut targets) = ([0u32; 8], [0usize; 8]);
            for i in 0..8 {
                let g = first + i;
                batch_draws[i] = &draws[g % 3];
                for (d, word_d) in neighbours.iter_mut().enumerate() {
                    word_d[i] = word(g as u32, d as u32);
                }
                (nodes[i], targets[i]) = (g as u32, g);
                let one = neighbours.map(|w| [w[i]]);
                want.push(draw([batch_draws[i]], (3, 11), ([g as u32], [7]), &one)[0]);
            }
            let keys = (nodes, [7; 8]);
            tied.draw(batch_draws, (3, 11), keys, &neighbours, targets, store);
        }
        tied.finish((3, 11), store);
        // About one lane in 256 ties after the top byte: some twenty words are set aside.
        assert!(stores > 210, "{stores} stores");
        let got: Vec<u32> = stored.iter().map(|w| w.unwrap()).collect();
        assert_eq!(got, want);
    }
}
