//! Draws whose probability depends only on how many of a site's neighbours are up: one coupling and
//! one field. The counts come from bit-sliced adds of the neighbours' words, the draw from
//! [`bernoulli_words_sliced`], whose threshold bits are functions of the count's bits looked up in a
//! table of 8 bits per bit plane: no per-lane loop at all. Shared by the lattice path and the
//! site-packed lattice; the WGSL twins are in `count_draw.wgsl` beside it.

use crate::rng::{Purpose, bernoulli_words_sliced};

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
            plane_masks: plane_tables.map(table_masks),
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
    // Plain loops rather than `map`, which the compiler may keep out of line.
    let mut counts = [[0u32; N]; 3];
    for word in neighbours {
        for i in 0..N {
            let [c0, c1, c2] = add_word([counts[0][i], counts[1][i], counts[2][i]], word[i]);
            (counts[0][i], counts[1][i], counts[2][i]) = (c0, c1, c2);
        }
    }
    let count = |i: usize| [counts[0][i], counts[1][i], counts[2][i]];
    let mut always = [0u32; N];
    for i in 0..N {
        debug_assert_eq!(draws[i].degree, D);
        always[i] = lanes_in(&count(i), &draws[i].plane_masks[24]);
    }
    let (seed, sweep) = seed_sweep;
    bernoulli_words_sliced(
        seed,
        sweep,
        keys,
        Purpose::Update,
        |i, q| lanes_in(&count(i), &draws[i].plane_masks[q]),
        always,
    )
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

/// The bits of `table` as all-ones or all-zero words.
fn table_masks(table: u8) -> [u32; 8] {
    std::array::from_fn(|k| 0u32.wrapping_sub(u32::from(table >> k) & 1))
}

/// The lanes whose count (in the planes [`add_word`] builds) is one of the counts of a table (bit `k`:
/// count `k`) given as [`table_masks`]: a multiplexer tree over the count's bits.
#[inline(always)]
fn lanes_in(&[c0, c1, c2]: &[u32; 3], t: &[u32; 8]) -> u32 {
    let pick = |a: u32, b: u32, c: u32| a ^ ((a ^ b) & c);
    let (t01, t23) = (pick(t[0], t[1], c0), pick(t[2], t[3], c0));
    let (t45, t67) = (pick(t[4], t[5], c0), pick(t[6], t[7], c0));
    pick(pick(t01, t23, c1), pick(t45, t67, c1), c2)
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
            let lanes: [u32; 8] = std::array::from_fn(|k| lanes_in(&counts, &table_masks(1 << k)));
            for l in 0..32 {
                let want = words[..n].iter().filter(|&&w| (w >> l) & 1 == 1).count();
                let got: Vec<usize> = (0..8).filter(|&k| (lanes[k] >> l) & 1 == 1).collect();
                assert_eq!(got, [want], "{n} words, lane {l}");
            }
            // A table of several counts selects their union.
            assert_eq!(
                lanes_in(&counts, &table_masks(0b1010_0110)),
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
            let lanes: [u32; 5] = std::array::from_fn(|k| lanes_in(&counts, &table_masks(1 << k)));
            assert_eq!(up & (lanes[0] | lanes[1]), 0);
            assert_eq!(up & (lanes[3] | lanes[4]), lanes[3] | lanes[4]);
            half += (up & lanes[2]).count_ones();
        }
        let lanes2 = lanes_in(&count_planes(neighbours), &table_masks(1 << 2)).count_ones() * 200;
        let (mean, n) = (f64::from(half) / f64::from(lanes2), f64::from(lanes2));
        assert!(
            (mean - 0.5).abs() < 5.0 * (0.25 / n).sqrt(),
            "{mean} of {n}"
        );
    }
}
