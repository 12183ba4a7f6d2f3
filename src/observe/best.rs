//! The host's anneal check: each chain's energy at a check point and, where it is the lowest so
//! far, the chain's spins kept. The GPU runs the same check as `energy.wgsl` then `lane_keep.wgsl`
//! (the default [`crate::Sampler::anneal_sweeps`]); both keep the very same states.

use super::Observer;
use super::energy::EnergyTerms;
use crate::anneal::BestSoFar;
use crate::packed::WordSlice;
use crate::update::lane_exchange::keep_lanes;

/// One thread's best energies and kept words, from its first check on.
pub(crate) struct Kept {
    /// The thread's first word among the sampler's.
    pub(crate) first_word: usize,
    /// The best so far of the thread's chains (its chain `k` is the sampler's chain
    /// `32 first_word + k`).
    pub(crate) best: BestSoFar,
    /// The kept spins of the thread's words, node-major.
    pub(crate) words: Vec<u32>,
}

/// Checks a thread's chains at each check point of an anneal (the sample points of its schedule).
pub(crate) struct BestKeeper<'a> {
    /// What the energy sums.
    pub(crate) terms: EnergyTerms,
    /// Chains of the thread's words.
    pub(crate) local_chains: usize,
    /// The global index of the sampler's first word (0 unless it holds a shard of the chains).
    pub(crate) first_held_word: usize,
    /// Every chain's best before this call.
    pub(crate) before: &'a BestSoFar,
    /// Every chain's kept spins before this call, `stride` words a node.
    pub(crate) kept_before: &'a [u32],
    /// Words a node of `kept_before`.
    pub(crate) stride: usize,
    /// The sweep of the call at each check, in order.
    pub(crate) check_sweeps: &'a [u64],
    /// Checks so far.
    pub(crate) checks: usize,
    /// Set at the first check.
    pub(crate) kept: Option<Kept>,
    /// Whether the sweeps keep the energies up to date ([`Observer::energy_scores`]) instead of
    /// each check summing them: only where every update's change and every sum of the energy is
    /// exact in `f32` (`SweepKernel::tracks_energy`, `EnergyTerms::exact`), so that both give the
    /// same bits.
    pub(crate) tracks: bool,
    /// Each word's scores `-H(s)`, from the first sweep on when `tracks`.
    pub(crate) scores: Option<Vec<[f32; 32]>>,
}

impl Observer for BestKeeper<'_> {
    fn observe(&mut self, spins: &WordSlice<'_>) {
        let (local, before, kept_before, stride, first_held) = (
            self.local_chains,
            self.before,
            self.kept_before,
            self.stride,
            self.first_held_word,
        );
        let kept = self.kept.get_or_insert_with(|| {
            let w0 = spins.first_word - first_held;
            let c0 = 32 * w0;
            Kept {
                first_word: w0,
                best: BestSoFar {
                    energies: before.energies[c0..c0 + local].to_vec(),
                    found_at: before.found_at[c0..c0 + local].to_vec(),
                    sweeps: before.sweeps,
                },
                words: kept_before
                    .chunks_exact(stride)
                    .flat_map(|node| node[w0..w0 + spins.stride].iter().copied())
                    .collect(),
            }
        });
        let mut energies = Vec::with_capacity(local);
        for w in 0..spins.stride {
            let e = match &self.scores {
                Some(scores) => scores[w].map(|score| -score),
                None => self.terms.word(spins, w).0,
            };
            energies.extend_from_slice(&e[..(local - 32 * w).min(32)]);
        }
        let masks = kept
            .best
            .improve(0, &energies, self.check_sweeps[self.checks]);
        self.checks += 1;
        if masks.iter().any(|&m| m != 0) {
            keep_lanes(&mut kept.words, spins.bits, &masks);
        }
    }

    fn energy_scores(&mut self, spins: &WordSlice<'_>) -> Option<&mut [[f32; 32]]> {
        if !self.tracks {
            return None;
        }
        let terms = &self.terms;
        let scores = self.scores.get_or_insert_with(|| {
            (0..spins.stride)
                .map(|w| terms.word(spins, w).0.map(|e| -e))
                .collect()
        });
        Some(scores)
    }
}
