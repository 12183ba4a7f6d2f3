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

/// One sweep of a kernel over some words, as work for a vector level.
struct OneSweep<'a, 'b, 'c> {
    kernel: &'a SweepKernel,
    spins: &'b mut WordSlice<'c>,
    sweep: u64,
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
                HostUpdate::Lattice(lattice) => {
                    lattice.update_block::<N>(self.spins, block, kernel.seed, self.sweep);
                }
                HostUpdate::General(general) => {
                    general.update_block::<N>(self.spins, block, kernel.seed, self.sweep);
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
        SweepKernel {
            blocks: program.blocks().into(),
            seed,
            update,
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

    /// One sweep (every block once, in order) over the words of `spins`, using sweep index `sweep`,
    /// at the kernel's vector level.
    pub(crate) fn sweep(&self, spins: &mut WordSlice<'_>, sweep: u64) {
        self.level.run(&mut OneSweep {
            kernel: self,
            spins,
            sweep,
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
    use crate::packed::words_after_sweeps;
    use crate::program::Blocks;

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
            let expected = words_after_sweeps(96, |s, sweep| baseline.sweep(s, sweep));
            for &level in &levels[1..] {
                let kernel = kernel(level);
                assert_eq!(
                    words_after_sweeps(96, |s, sweep| kernel.sweep(s, sweep)),
                    expected,
                    "{level:?}, path {path:?}, {rule:?}"
                );
            }
        }
    }
}
