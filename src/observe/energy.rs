//! Energy and magnetisation of every chain at each sample point: `H(s) = -(sum_i b_i s_i +
//! sum_k J_k s_i s_j)` (without beta: THRML's energy is `beta H`) and the number of up spins, from
//! which `M(s) = sum_i s_i` follows, over every node, clamped ones included.
//!
//! The terms (nodes, then edges) are summed in `f32` in chunks of [`ENERGY_CHUNK`] items, each chunk
//! from zero in item order, then the chunks' sums in chunk order. `energy.wgsl` sums the very same
//! chunks in the same order (one invocation per chunk and word, then one per chain), so the GPU's
//! energies equal [`EnergyObserver`]'s bit for bit; the counts of up spins are exact integers.

use super::Observer;
use crate::backend::cpu::vector_level::{VectorLevel, VectorWork};
use crate::model::IsingModel;
use crate::packed::WordSlice;

/// Items (nodes, then edges) per partial sum of the energy.
pub(crate) const ENERGY_CHUNK: u32 = 64;

/// The terms of the energy: biases, edges and their weights.
#[derive(Clone, Debug)]
pub(crate) struct EnergyTerms {
    biases: Vec<f32>,
    edges: Vec<(u32, u32)>,
    weights: Vec<f32>,
    /// The vector instructions the sums are compiled for; one this processor runs.
    level: VectorLevel,
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

    /// [`EnergyTerms::word`]'s sums, inlined into each level's copy.
    #[inline(always)]
    fn sums(&self, spins: &WordSlice<'_>, w: usize) -> ([f32; 32], [u32; 32]) {
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

    #[test]
    fn energies_and_ups_are_those_of_each_chain() {
        // 150 nodes on a ring with chords: more items than a chunk, three chains' words.
        let n = 150;
        let mut edges: Vec<(u32, u32)> = (0..n).map(|i| (i, (i + 1) % n)).collect();
        edges.extend((0..n / 2).map(|i| (i, i + n / 2)));
        let m = edges.len();
        let weights: Vec<f32> = (0..m).map(|k| (k as f32 * 0.37).sin()).collect();
        let biases: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos() * 0.5).collect();
        let model = IsingModel::new(n as usize, edges.clone(), weights, biases, 0.7).unwrap();
        let chains = 70;
        let states = Array2::from_shape_fn((chains, n as usize), |(c, i)| {
            if (c * 7 + i * 13 + c * i) % 5 < 2 {
                1i8
            } else {
                -1
            }
        });
        let mut packed = PackedSpins::from_states(states.view()).unwrap();
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
            terms: EnergyTerms::of(&model),
            local_chains: chains,
            energies: Vec::new(),
            ups: Vec::new(),
        };
        observer.observe(&slice);
        for c in 0..chains {
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
            let got = f64::from(observer.energies[c]);
            assert!(
                (got - exact).abs() < 1e-4,
                "chain {c}: {got} against {exact}"
            );
            let ups = s.iter().filter(|&&v| v > 0.0).count() as u32;
            assert_eq!(observer.ups[c], ups, "chain {c}");
        }
    }
}
