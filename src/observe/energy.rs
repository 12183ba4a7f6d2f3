//! Energy and magnetisation of every chain at each sample point: `H(s) = -(sum_i b_i s_i +
//! sum_k J_k s_i s_j)` (without beta: THRML's energy is `beta H`) and the number of up spins, from
//! which `M(s) = sum_i s_i` follows, over every node, clamped ones included.
//!
//! The terms (nodes, then edges) are summed in `f32` in chunks of [`ENERGY_CHUNK`] items, each chunk
//! from zero in item order, then the chunks' sums in chunk order. `energy.wgsl` sums the very same
//! chunks in the same order (one invocation per chunk and word, then one per chain), so the GPU's
//! energies equal [`EnergyObserver`]'s bit for bit; the counts of up spins are exact integers.
//! Where every such sum is exact (terms of a few values, multiples of one power of two, small
//! enough), the host counts up nodes and agreeing edges by value instead, which gives the same
//! energies.

use super::Observer;
use crate::backend::cpu::vector_level::{VectorLevel, VectorWork};
use crate::model::IsingModel;
use crate::packed::{PairCounts, WordSlice};
use crate::update::general::sums_are_exact;

/// Items (nodes, then edges) per partial sum of the energy.
pub(crate) const ENERGY_CHUNK: u32 = 64;

/// The terms of the energy: biases, edges and their weights.
#[derive(Clone, Debug)]
pub(crate) struct EnergyTerms {
    biases: Vec<f32>,
    edges: Vec<(u32, u32)>,
    weights: Vec<f32>,
    /// The same terms grouped by value, where their sums are exact.
    counted: Option<CountedTerms>,
    /// The vector instructions the sums are compiled for; one this processor runs.
    level: VectorLevel,
}

/// Distinct values of biases and of weights up to which [`CountedTerms`] counts by value.
const COUNTED_VALUES: usize = 8;

/// The energy's terms grouped by value, when every `f32` sum of them is exact: then the chunked
/// sums equal the exact energy `-(sum_v v (2 ups_v - nodes_v) + sum_w w (2 agree_w - edges_w))`,
/// from counts of up nodes and agreeing edges of each value.
#[derive(Clone, Debug)]
struct CountedTerms {
    /// Each distinct bias and its nodes.
    biases: Vec<(f32, Vec<u32>)>,
    /// Each distinct weight and its edges.
    weights: Vec<(f32, Vec<(u32, u32)>)>,
}

impl CountedTerms {
    /// The terms of `model` by value, or `None` where they take too many values or some `f32` sum
    /// of them could round.
    fn of(model: &IsingModel) -> Option<Self> {
        let values = model.biases().iter().chain(model.weights());
        if !sums_are_exact(values.map(|&v| (v, 1))) {
            return None;
        }
        let biases = by_value(model.biases().iter().copied().zip(0..))?;
        let edges = model.edges().iter().copied();
        let weights = by_value(model.weights().iter().copied().zip(edges))?;
        Some(CountedTerms { biases, weights })
    }

    /// [`EnergyTerms::sums`] by counts.
    #[inline(always)]
    fn sums(&self, spins: &WordSlice<'_>, w: usize) -> ([f32; 32], [u32; 32]) {
        let word = |i: u32| spins.bits[i as usize * spins.stride + w];
        let mut total = [0f64; 32];
        let mut ups = [0u32; 32];
        let mut add = |value: f32, items: usize, counts: &[u32; 32]| {
            for (t, &c) in total.iter_mut().zip(counts) {
                *t += f64::from(value) * (2.0 * f64::from(c) - items as f64);
            }
        };
        for (b, nodes) in &self.biases {
            let mut counts = LaneCounts::default();
            for &i in nodes {
                counts.add(word(i));
            }
            let counts = counts.total();
            add(*b, nodes.len(), &counts);
            for (u, c) in ups.iter_mut().zip(counts) {
                *u += c;
            }
        }
        for (j, edges) in &self.weights {
            // Lanes where the edge's spins agree.
            let mut counts = LaneCounts::default();
            for &(a, b) in edges {
                counts.add(!(word(a) ^ word(b)));
            }
            add(*j, edges.len(), &counts.total());
        }
        // Exact in f64 and in f32: the same value as the chunked f32 sums.
        (total.map(|t| -(t as f32)), ups)
    }
}

/// The items of each distinct value, or `None` beyond [`COUNTED_VALUES`] values.
fn by_value<T>(items: impl Iterator<Item = (f32, T)>) -> Option<Vec<(f32, Vec<T>)>> {
    let mut classes: Vec<(f32, Vec<T>)> = Vec::new();
    for (v, item) in items {
        match classes.iter().position(|(c, _)| c.to_bits() == v.to_bits()) {
            Some(class) => classes[class].1.push(item),
            None if classes.len() < COUNTED_VALUES => classes.push((v, vec![item])),
            None => return None,
        }
    }
    Some(classes)
}

/// Counts of set bits lane by lane over any number of words: [`PairCounts`] of up to `2^16 - 1`
/// words added into 32-bit counts.
struct LaneCounts {
    total: [u32; 32],
    pairs: PairCounts,
    room: u16,
}

impl Default for LaneCounts {
    fn default() -> Self {
        LaneCounts {
            total: [0; 32],
            pairs: PairCounts::default(),
            room: u16::MAX,
        }
    }
}

impl LaneCounts {
    /// Counts `word`'s set bits.
    #[inline(always)]
    fn add(&mut self, word: u32) {
        self.pairs.add(word);
        self.room -= 1;
        if self.room == 0 {
            self.flush();
        }
    }

    /// Adds the pairs' counts into the totals.
    #[inline(always)]
    fn flush(&mut self) {
        for (t, c) in self.total.iter_mut().zip(self.pairs.lanes()) {
            *t += c;
        }
        (self.pairs, self.room) = (PairCounts::default(), u16::MAX);
    }

    /// The counts of every word added.
    #[inline(always)]
    fn total(mut self) -> [u32; 32] {
        self.flush();
        self.total
    }
}

/// The sums of one word, as work for a vector level.
struct WordSums<'a, 'b, 'c> {
    terms: &'a EnergyTerms,
    spins: &'b WordSlice<'c>,
    w: usize,
    out: ([f32; 32], [u32; 32]),
}

impl VectorWork for WordSums<'_, '_, '_> {
    #[inline(always)]
    fn run<const N: usize>(&mut self) {
        self.out = self.terms.sums(self.spins, self.w);
    }
}

impl EnergyTerms {
    /// The terms of `model`'s current parameters.
    pub(crate) fn of(model: &IsingModel) -> Self {
        EnergyTerms {
            biases: model.biases().to_vec(),
            edges: model.edges().to_vec(),
            weights: model.weights().to_vec(),
            counted: CountedTerms::of(model),
            level: VectorLevel::widest(),
        }
    }

    /// Energies and up counts of the 32 lanes of word `w` of `spins`, summed at the widest vector
    /// level (the same sums at every level).
    pub(crate) fn word(&self, spins: &WordSlice<'_>, w: usize) -> ([f32; 32], [u32; 32]) {
        let mut work = WordSums {
            terms: self,
            spins,
            w,
            out: ([0.0; 32], [0; 32]),
        };
        self.level.run(&mut work);
        work.out
    }

    /// Whether the energies are summed by counts, every `f32` sum of the terms being exact: they are
    /// then the exact `H(s)`, however summed.
    pub(crate) fn exact(&self) -> bool {
        self.counted.is_some()
    }

    /// [`EnergyTerms::word`]'s sums, inlined into each level's copy.
    #[inline(always)]
    fn sums(&self, spins: &WordSlice<'_>, w: usize) -> ([f32; 32], [u32; 32]) {
        if let Some(counted) = &self.counted {
            return counted.sums(spins, w);
        }
        let n = self.biases.len();
        let items = n + self.edges.len();
        let stride = spins.stride;
        let (mut total, mut ups) = ([0f32; 32], [0u32; 32]);
        for start in (0..items).step_by(ENERGY_CHUNK as usize) {
            let mut partial = [0f32; 32];
            for item in start..(start + ENERGY_CHUNK as usize).min(items) {
                let (bits, v) = if item < n {
                    let word = spins.bits[item * stride + w];
                    for (l, up) in ups.iter_mut().enumerate() {
                        *up += (word >> l) & 1;
                    }
                    (word, self.biases[item])
                } else {
                    let e = item - n;
                    let (i, j) = self.edges[e];
                    let (a, b) = (
                        spins.bits[i as usize * stride + w],
                        spins.bits[j as usize * stride + w],
                    );
                    (!(a ^ b), self.weights[e])
                };
                for (l, p) in partial.iter_mut().enumerate() {
                    *p += if (bits >> l) & 1 == 1 { v } else { -v };
                }
            }
            for (t, p) in total.iter_mut().zip(partial) {
                *t += p;
            }
        }
        (total.map(|t| -t), ups)
    }
}

/// Collects the energy and the up count of each local chain at each sample point (samples x local
/// chains, flattened).
pub(crate) struct EnergyObserver {
    /// What the energy sums.
    pub(crate) terms: EnergyTerms,
    /// Chains of the thread's words.
    pub(crate) local_chains: usize,
    /// `H(s)` of each chain at each sample point so far.
    pub(crate) energies: Vec<f32>,
    /// Up spins of each chain at each sample point so far.
    pub(crate) ups: Vec<u32>,
}

impl Observer for EnergyObserver {
    fn observe(&mut self, spins: &WordSlice<'_>) {
        for w in 0..spins.stride {
            let (energies, ups) = self.terms.word(spins, w);
            let lanes = (self.local_chains - 32 * w).min(32);
            self.energies.extend_from_slice(&energies[..lanes]);
            self.ups.extend_from_slice(&ups[..lanes]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packed::PackedSpins;
    use ndarray::Array2;

    /// 150 nodes on a ring with chords (more items than a chunk) and 70 chains' states (three
    /// words) with the packed words.
    fn ring_and_states() -> (Vec<(u32, u32)>, Array2<i8>, PackedSpins) {
        let n = 150;
        let mut edges: Vec<(u32, u32)> = (0..n).map(|i| (i, (i + 1) % n)).collect();
        edges.extend((0..n / 2).map(|i| (i, i + n / 2)));
        let states = Array2::from_shape_fn((70, n as usize), |(c, i)| {
            if (c * 7 + i * 13 + c * i) % 5 < 2 {
                1i8
            } else {
                -1
            }
        });
        let packed = PackedSpins::from_states(states.view()).unwrap();
        (edges, states, packed)
    }

    /// The energies and up counts `terms` gives for the three words of `packed`.
    fn observed(terms: EnergyTerms, packed: &mut PackedSpins) -> (Vec<f32>, Vec<u32>) {
        let chains = 70;
        let masks: Vec<u32> = (0..3)
            .map(|w| crate::packed::lane_mask(chains, w))
            .collect();
        let slice = WordSlice {
            bits: packed.bits_mut(),
            stride: 3,
            first_word: 0,
            masks: &masks,
        };
        let mut observer = EnergyObserver {
            terms,
            local_chains: chains,
            energies: Vec::new(),
            ups: Vec::new(),
        };
        observer.observe(&slice);
        (observer.energies, observer.ups)
    }

    #[test]
    fn energies_and_ups_are_those_of_each_chain() {
        let (edges, states, mut packed) = ring_and_states();
        let (n, m) = (states.ncols(), edges.len());
        let weights: Vec<f32> = (0..m).map(|k| (k as f32 * 0.37).sin()).collect();
        let biases: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos() * 0.5).collect();
        let model = IsingModel::new(n, edges.clone(), weights, biases, 0.7).unwrap();
        let terms = EnergyTerms::of(&model);
        assert!(terms.counted.is_none());
        let (energies, ups) = observed(terms, &mut packed);
        for c in 0..states.nrows() {
            let s: Vec<f64> = states.row(c).iter().map(|&v| f64::from(v)).collect();
            let exact = -(model
                .biases()
                .iter()
                .zip(&s)
                .map(|(&b, s)| f64::from(b) * s))
            .sum::<f64>()
                - edges
                    .iter()
                    .zip(model.weights())
                    .map(|(&(i, j), &w)| f64::from(w) * s[i as usize] * s[j as usize])
                    .sum::<f64>();
            let got = f64::from(energies[c]);
            assert!(
                (got - exact).abs() < 1e-4,
                "chain {c}: {got} against {exact}"
            );
            let up = s.iter().filter(|&&v| v > 0.0).count() as u32;
            assert_eq!(ups[c], up, "chain {c}");
        }
    }

    #[test]
    fn counts_by_value_give_the_chunked_sums() {
        let (edges, states, mut packed) = ring_and_states();
        let (n, m) = (states.ncols(), edges.len());
        let model = |weight: &dyn Fn(usize) -> f32| {
            let weights = (0..m).map(weight).collect();
            let biases = (0..n).map(|i| [0.0, 0.75, -2.0][i % 3]).collect();
            IsingModel::new(n, edges.clone(), weights, biases, 0.7).unwrap()
        };
        // Three weights, multiples of 1/4.
        let terms = EnergyTerms::of(&model(&|k| [1.0, -0.5, 0.25][k % 3]));
        assert_eq!(terms.counted.as_ref().map(|c| c.weights.len()), Some(3));
        let chunked = EnergyTerms {
            counted: None,
            ..terms.clone()
        };
        let (counted, counted_ups) = observed(terms, &mut packed);
        let (expected, expected_ups) = observed(chunked, &mut packed);
        assert_eq!(counted_ups, expected_ups);
        let bits = |e: &[f32]| e.iter().map(|e| e.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&counted), bits(&expected));
        assert!(expected.iter().any(|&e| e != expected[0]));
        // Too many values, or sums that could round, are summed in chunks.
        assert!(
            EnergyTerms::of(&model(&|k| (k % 9) as f32))
                .counted
                .is_none()
        );
        assert!(
            EnergyTerms::of(&model(&|k| [1.0, 1e-6][k % 2]))
                .counted
                .is_none()
        );
        assert!(
            EnergyTerms::of(&model(&|k| (k % 8) as f32))
                .counted
                .is_some()
        );
    }
}
