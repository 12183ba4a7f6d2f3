//! One sweep on the host: every free block once, in order, by the program's update algorithm, at
//! the widest vector level the processor runs.

use std::sync::Arc;

use super::vector_level::{VectorLevel, VectorWork};
use crate::backend::{UpdatePath, UpdateRule};
use crate::packed::WordSlice;
use crate::program::{SamplingProgram, Temperatures};
use crate::rng::{Purpose, bernoulli_word, threshold};
use crate::update::general::GeneralUpdate;
use crate::update::lattice::LatticeUpdate;

/// The update algorithm a program's sweeps run on the host.
enum HostUpdate {
    /// The general heat bath over CSR weights.
    General(GeneralUpdate),
    /// The lattice path.
    Lattice(LatticeUpdate),
}

/// One sweep of a kernel over some words, as work for a vector level, keeping `scores` up to date
/// where given ([`SweepKernel::sweep`]).
struct OneSweep<'a, 'b, 'c> {
    kernel: &'a SweepKernel,
    spins: &'b mut WordSlice<'c>,
    sweep: u64,
    scores: Option<&'b mut [[f32; 32]]>,
}

impl VectorWork for OneSweep<'_, '_, '_> {
    /// The sweep itself, inlined into each level's copy together with the updates' helpers (marked
    /// `#[inline(always)]`: a helper left out of line runs at the baseline); the lattice path draws
    /// `N` words side by side.
    #[inline(always)]
    fn run<const N: usize>(&mut self) {
        let kernel = self.kernel;
        for block in kernel.blocks.iter() {
            match &kernel.update {
                // `SweepKernel::tracks_energy` is false here: no scores.
                HostUpdate::Lattice(lattice) => {
                    lattice.update_block::<N>(self.spins, block, kernel.seed, self.sweep);
                }
                HostUpdate::General(general) => {
                    let (seed_sweep, scores) =
                        ((kernel.seed, self.sweep), self.scores.as_deref_mut());
                    general.update_block::<N>(self.spins, block, seed_sweep, scores);
                }
            }
        }
    }
}

/// Everything one sweep reads: the blocks, the seed and the update algorithm of the program's
/// current parameters.
pub(crate) struct SweepKernel {
    blocks: Arc<[Vec<u32>]>,
    seed: u64,
    update: HostUpdate,
    /// Whether sweeps can keep energy scores up to date ([`SweepKernel::tracks_energy`]).
    tracks_energy: bool,
    /// The vector instructions sweeps are compiled for; one this processor runs.
    level: VectorLevel,
}

impl SweepKernel {
    /// The sweeps of `program` at `temperatures` drawing with `seed`: the lattice path when given
    /// its update, the general update by `rule` otherwise.
    pub(crate) fn new(
        program: &SamplingProgram,
        temperatures: &Temperatures,
        lattice: Option<LatticeUpdate>,
        rule: UpdateRule,
        seed: u64,
    ) -> Self {
        let update = match lattice {
            Some(lattice) => HostUpdate::Lattice(lattice),
            None => HostUpdate::General(GeneralUpdate::new(program, temperatures, rule)),
        };
        let tracks_energy = match &update {
            HostUpdate::General(general) => general.all_counting(program),
            HostUpdate::Lattice(_) => false,
        };
        SweepKernel {
            blocks: program.blocks().into(),
            seed,
            update,
            tracks_energy,
            level: VectorLevel::widest(),
        }
    }

    /// The same sweeps at `temperatures`, sharing what does not depend on them.
    pub(crate) fn at(&self, temperatures: &Temperatures) -> Self {
        SweepKernel {
            blocks: Arc::clone(&self.blocks),
            update: match &self.update {
                HostUpdate::General(general) => HostUpdate::General(general.at(temperatures)),
                HostUpdate::Lattice(lattice) => HostUpdate::Lattice(lattice.at(temperatures)),
            },
            ..*self
        }
    }

    /// The vector level sweeps run at.
    pub(crate) fn vector_level(&self) -> VectorLevel {
        self.level
    }

    /// Whether [`SweepKernel::sweep`] can keep the energies up to date: on the general update where
    /// every free node counts its up neighbours.
    pub(crate) fn tracks_energy(&self) -> bool {
        self.tracks_energy
    }

    /// One sweep (every block once, in order) over the words of `spins`, using sweep index `sweep`,
    /// at the kernel's vector level; adds each update's change of `-H(s)` to each word's lanes'
    /// `scores` where given (only where [`SweepKernel::tracks_energy`]).
    pub(crate) fn sweep(
        &self,
        spins: &mut WordSlice<'_>,
        sweep: u64,
        scores: Option<&mut [[f32; 32]]>,
    ) {
        debug_assert!(
            scores.is_none() || self.tracks_energy,
            "scores without counting nodes"
        );
        self.level.run(&mut OneSweep {
            kernel: self,
            spins,
            sweep,
            scores,
        });
    }

    /// Initial free spins: node `i` of global word `w` up with probability `p(i, w)`, drawn with
    /// the init counters.
    pub(crate) fn init(&self, spins: &mut WordSlice<'_>, p: impl Fn(usize, usize) -> f32) {
        for &node in self.blocks.iter().flatten() {
            for w in 0..spins.stride {
                let t = [threshold(p(node as usize, spins.first_word + w)); 32];
                let word = (spins.first_word + w) as u32;
                let bits = bernoulli_word(self.seed, 0, node, word, Purpose::Init, &t);
                spins.bits[node as usize * spins.stride + w] = bits & spins.masks[w];
            }
        }
    }

    /// The update path sweeps take.
    pub(crate) fn update_path(&self) -> UpdatePath {
        match self.update {
            HostUpdate::General(_) => UpdatePath::General,
            HostUpdate::Lattice(_) => UpdatePath::Lattice,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Lattice;
    use crate::model::IsingModel;
    use crate::observe::energy::EnergyTerms;
    use crate::packed::words_after_sweeps;
    use crate::program::Blocks;

    #[test]
    fn kept_scores_are_the_checks_energies_bit_for_bit() {
        // A random graph of equal couplings and a field on every node: every node counts and the
        // energy's sums are exact. Node 3 is clamped.
        let n = 40;
        let mut state = 7u32;
        let mut edges = Vec::new();
        for i in 0..n as u32 {
            for j in i + 1..n as u32 {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                if state >> 28 < 3 {
                    edges.push((i, j));
                }
            }
        }
        let m = edges.len();
        let model = IsingModel::new(n, edges.clone(), vec![-0.5; m], vec![0.25; n], 0.8).unwrap();
        let program = SamplingProgram::new(model, Blocks::Auto, &[3]).unwrap();
        let terms = EnergyTerms::of(program.model());
        assert!(terms.exact());
        let temperatures = Temperatures::single(0.8, 70);
        for rule in UpdateRule::ALL {
            let kernel = SweepKernel::new(&program, &temperatures, None, rule, 5);
            assert!(kernel.tracks_energy());
            // Scores from a check before the first sweep, then kept by the sweeps alone.
            let mut scores: Option<Vec<[f32; 32]>> = None;
            words_after_sweeps(n, |spins, sweep| {
                let scores = scores.get_or_insert_with(|| {
                    (0..spins.stride)
                        .map(|w| terms.word(spins, w).0.map(|e| -e))
                        .collect()
                });
                kernel.sweep(spins, sweep, Some(scores));
                for (w, scores) in scores.iter().enumerate() {
                    let checked = terms.word(spins, w).0.map(f32::to_bits);
                    let kept = scores.map(|s| (-s).to_bits());
                    assert_eq!(kept, checked, "{rule:?}, sweep {sweep}, word {w}");
                }
            });
        }
        // Random couplings: no counting nodes, no exact sums, no scores.
        let float = IsingModel::random_normal(n, edges, 0.8, 1).unwrap();
        let float = SamplingProgram::new(float, Blocks::Auto, &[]).unwrap();
        let kernel = SweepKernel::new(&float, &temperatures, None, UpdateRule::HeatBath, 5);
        assert!(!kernel.tracks_energy());
        assert!(!EnergyTerms::of(float.model()).exact());
    }

    #[test]
    fn every_vector_level_gives_the_baseline_words() {
        let lattice = Lattice::cubic(4, 4, 6, true).unwrap();
        let general = IsingModel::random_normal(96, lattice.edges().to_vec(), 1.3, 5).unwrap();
        let programs = [
            // The float path (random couplings), with two clamped nodes.
            SamplingProgram::new(general, Blocks::Auto, &[3, 40]).unwrap(),
            // The counting path (equal couplings, blocks given so that the lattice path is not taken).
            SamplingProgram::new(
                lattice.model(-0.5, 0.25, 1.3).unwrap(),
                Blocks::Given(lattice.blocks().to_vec()),
                &[],
            )
            .unwrap(),
            // The lattice path.
            lattice.program(1.0, 0.5, 0.3).unwrap(),
        ];
        let levels = VectorLevel::available();
        assert_eq!(levels[0], VectorLevel::Baseline);
        let paths = [(false, 0), (false, 96), (true, 0)];
        let cases = programs.iter().zip(paths).flat_map(|(program, path)| {
            // Metropolis on the general path only.
            UpdateRule::ALL
                .into_iter()
                .take(if path.0 { 1 } else { 2 })
                .map(move |rule| (program, path, rule))
        });
        for (program, path, rule) in cases {
            // Two temperature groups of 2 and 1 words would not split 3 words; one group.
            let temperatures = Temperatures::single(program.model().beta(), 70);
            let kernel = |level| SweepKernel {
                level,
                ..SweepKernel::new(
                    program,
                    &temperatures,
                    LatticeUpdate::of(program, &temperatures).ok(),
                    rule,
                    11,
                )
            };
            let baseline = kernel(VectorLevel::Baseline);
            let counting = match &baseline.update {
                HostUpdate::General(general) => general.counting_nodes(),
                HostUpdate::Lattice(_) => 0,
            };
            let on_lattice = baseline.update_path() == UpdatePath::Lattice;
            assert_eq!((on_lattice, counting), path);
            let expected = words_after_sweeps(96, |s, sweep| baseline.sweep(s, sweep, None));
            for &level in &levels[1..] {
                let kernel = kernel(level);
                assert_eq!(
                    words_after_sweeps(96, |s, sweep| kernel.sweep(s, sweep, None)),
                    expected,
                    "{level:?}, path {path:?}, {rule:?}"
                );
            }
        }
    }
}
