//! The block Gibbs update on packed words: the host twin of the GPU kernel, arithmetic for arithmetic.

use super::lattice::LatticeUpdate;
use super::vector_level::VectorLevel;
use crate::program::SamplingProgram;
use crate::rng::{
    Purpose, approx_top_bytes, bernoulli_word, bernoulli_word_refined, sigmoid, threshold,
};

/// Everything one sweep reads: CSR with per-entry weights, biases, `2 * beta`, the blocks and the seed,
/// and for nodes whose field takes few exact values, the thresholds of each count of up neighbours.
pub(crate) struct SweepKernel {
    row_ptr: Vec<u32>,
    col: Vec<u32>,
    weights: Vec<f32>,
    biases: Vec<f32>,
    beta: f32,
    blocks: Vec<Vec<u32>>,
    seed: u64,
    /// Per node, the offset in `thresholds` of its `degree + 1` thresholds, when it has one.
    by_count: Vec<Option<u32>>,
    thresholds: Vec<u32>,
    /// The lattice path, when the program takes it.
    lattice: Option<LatticeUpdate>,
    /// The vector instructions sweeps are compiled for; one this processor runs.
    level: VectorLevel,
}

/// The granularity `2^e` of a nonzero finite `x = m 2^e` with `m` an odd integer.
fn granularity(x: f32) -> f64 {
    let bits = x.to_bits();
    let exponent = ((bits >> 23) & 0xff) as i32;
    let mantissa = if exponent == 0 {
        bits & 0x7f_ffff
    } else {
        (bits & 0x7f_ffff) | 0x80_0000
    };
    let e = exponent.max(1) - 150 + mantissa.trailing_zeros() as i32;
    2f64.powi(e)
}

/// Whether every `f32` sum of `b` and `degree` terms `±j`, in any order, is exact: then the field
/// depends only on how many neighbours are up, and the same in every backend and summation order.
fn sums_are_exact(b: f32, j: f32, degree: usize) -> bool {
    if j == 0.0 {
        return true;
    }
    let q = if b == 0.0 {
        granularity(j)
    } else {
        granularity(b).min(granularity(j))
    };
    (f64::from(b).abs() + degree as f64 * f64::from(j).abs()) / q < f64::from(1u32 << 24)
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

/// Thresholds by count of up neighbours, for the nodes whose couplings are all equal and whose field
/// sums are exact in `f32`. (The GPU kernel sums floats: on lavapipe its 32 table look-ups a word
/// cost more than the `exp` calls they replace; on hardware GPUs that is still to be measured.)
#[derive(Default)]
struct CountingTable {
    /// Per node, the offset in `thresholds` of its `degree + 1` thresholds, when it has them.
    offsets: Vec<Option<u32>>,
    /// Threshold of `ups` up neighbours at `offset + ups`.
    thresholds: Vec<u32>,
}

/// The thresholds `sigmoid(2 beta (b + j (ups - downs)))` of each count `ups` of up neighbours among
/// `degree`, when every `f32` sum of the field is exact (so the float path gives the very same ones).
fn count_thresholds(b: f32, j: f32, degree: usize, beta: f32) -> Option<Vec<u32>> {
    if !sums_are_exact(b, j, degree) {
        return None;
    }
    let two_beta = 2.0 * beta;
    // Exact, so any order of the sum gives this value: b + j * (ups - downs).
    Some(
        (0..=degree)
            .map(|up| {
                threshold(sigmoid(
                    two_beta * (b + j * (2 * up) as f32 - j * degree as f32),
                ))
            })
            .collect(),
    )
}

impl CountingTable {
    fn new(program: &SamplingProgram) -> Self {
        let model = program.model();
        let csr = program.csr();
        let weights = csr.entry_weights(model.weights());
        let mut thresholds = Vec::new();
        let offsets = (0..model.num_nodes())
            .map(|i| {
                let row = &weights[csr.row(i)];
                let j = row.first().copied().unwrap_or(0.0);
                if row.iter().any(|&w| w != j) {
                    return None;
                }
                let table = count_thresholds(model.biases()[i], j, row.len(), model.beta())?;
                let offset = thresholds.len() as u32;
                thresholds.extend(table);
                Some(offset)
            })
            .collect();
        CountingTable {
            offsets,
            thresholds,
        }
    }
}

/// `threshold(sigmoid(x))`, kept out of line so that the compiler does not compute it for every lane
/// of a word (it would: `exp` has no side effects) when only the rare lanes that need it ask.
#[inline(never)]
fn exact_threshold(x: f32) -> u32 {
    threshold(sigmoid(x))
}

impl SweepKernel {
    pub(crate) fn new(program: &SamplingProgram, seed: u64) -> Self {
        let model = program.model();
        let csr = program.csr();
        let weights = csr.entry_weights(model.weights());
        let lattice = LatticeUpdate::of(program);
        // The lattice path needs no per-node tables.
        let CountingTable {
            offsets: by_count,
            thresholds,
        } = match lattice {
            Some(_) => CountingTable::default(),
            None => CountingTable::new(program),
        };
        SweepKernel {
            row_ptr: csr.row_ptr().to_vec(),
            col: csr.col().to_vec(),
            weights,
            biases: model.biases().to_vec(),
            beta: model.beta(),
            blocks: program.blocks().to_vec(),
            seed,
            by_count,
            thresholds,
            lattice,
            level: VectorLevel::widest(),
        }
    }

    /// The vector level sweeps run at.
    pub(crate) fn vector_level(&self) -> VectorLevel {
        self.level
    }

    /// The new word of `node`: field `b_i + sum_j J_ij s_j` summed in CSR order in `f32`, then
    /// up with probability `sigmoid(2 beta field)`, as a threshold on the lane's 24-bit uniform.
    #[inline(always)]
    fn update_word(&self, spins: &WordSlice<'_>, node: u32, w: usize, sweep: u64) -> u32 {
        let i = node as usize;
        let word = (spins.first_word + w) as u32;
        if let Some(offset) = self.by_count[i] {
            // Same thresholds as the float path gives for exact sums, looked up by count of up neighbours.
            let mut ups = [0u32; 32];
            for k in self.row_ptr[i] as usize..self.row_ptr[i + 1] as usize {
                let neighbour = spins.bits[self.col[k] as usize * spins.stride + w];
                for (b, up) in ups.iter_mut().enumerate() {
                    *up += (neighbour >> b) & 1;
                }
            }
            let mut t = [0; 32];
            for (t, &up) in t.iter_mut().zip(&ups) {
                *t = self.thresholds[offset as usize + up as usize];
            }
            return bernoulli_word(self.seed, sweep, node, word, Purpose::Update, &t)
                & spins.masks[w];
        }
        let mut field = [self.biases[i]; 32];
        for k in self.row_ptr[i] as usize..self.row_ptr[i + 1] as usize {
            let word = spins.bits[self.col[k] as usize * spins.stride + w];
            let j = self.weights[k];
            for (b, f) in field.iter_mut().enumerate() {
                *f += if (word >> b) & 1 == 1 { j } else { -j };
            }
        }
        let two_beta = 2.0 * self.beta;
        let mut x = field;
        for x in &mut x {
            *x *= two_beta;
        }
        // The exact thresholds `threshold(sigmoid(x))` are computed only for the lanes that need them.
        let exact = |l: usize| exact_threshold(x[l]);
        let draws = bernoulli_word_refined(
            self.seed,
            sweep,
            node,
            word,
            Purpose::Update,
            &approx_top_bytes(&x),
            exact,
        );
        draws & spins.masks[w]
    }

    /// One sweep (every block once, in order) over the words of `spins`, using sweep index `sweep`,
    /// at the kernel's vector level.
    // The crate's only unsafe code: a function compiled for wider vector instructions may run only on
    // a processor that has them, which `VectorLevel::available` checked at run time.
    #[allow(unsafe_code)]
    pub(crate) fn sweep(&self, spins: &mut WordSlice<'_>, sweep: u64) {
        match self.level {
            VectorLevel::Baseline => self.sweep_inlined(spins, sweep),
            // SAFETY: `level` is always one that `VectorLevel::available` found this processor runs.
            #[cfg(target_arch = "x86_64")]
            VectorLevel::V3 => unsafe { self.sweep_v3(spins, sweep) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            VectorLevel::V4 => unsafe { self.sweep_v4(spins, sweep) },
        }
    }

    /// [`Self::sweep`] compiled for x86-64-v3.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
    fn sweep_v3(&self, spins: &mut WordSlice<'_>, sweep: u64) {
        self.sweep_inlined(spins, sweep);
    }

    /// [`Self::sweep`] compiled for x86-64-v4.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(
        enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt,avx512f,avx512bw,avx512cd,avx512dq,avx512vl"
    )]
    fn sweep_v4(&self, spins: &mut WordSlice<'_>, sweep: u64) {
        self.sweep_inlined(spins, sweep);
    }

    /// The sweep itself, inlined into each level's copy together with the general path's helpers
    /// (marked `#[inline(always)]`: a helper left out of line runs at the baseline). The lattice path
    /// is left to the compiler: forced into the x86-64-v3 copy it ran 20% slower than at the baseline.
    #[inline(always)]
    fn sweep_inlined(&self, spins: &mut WordSlice<'_>, sweep: u64) {
        for block in &self.blocks {
            if let Some(lattice) = &self.lattice {
                lattice.update_block(spins, block, self.seed, sweep);
                continue;
            }
            for &node in block {
                for w in 0..spins.stride {
                    let new = self.update_word(spins, node, w, sweep);
                    spins.bits[node as usize * spins.stride + w] = new;
                }
            }
        }
    }

    /// Initial free spins: node `i` up with probability `p(i)`, drawn with the init counters.
    pub(crate) fn init(&self, spins: &mut WordSlice<'_>, p: impl Fn(usize) -> f32) {
        for &node in self.blocks.iter().flatten() {
            let t = [threshold(p(node as usize)); 32];
            for w in 0..spins.stride {
                let word = (spins.first_word + w) as u32;
                let bits = bernoulli_word(self.seed, 0, node, word, Purpose::Init, &t);
                spins.bits[node as usize * spins.stride + w] = bits & spins.masks[w];
            }
        }
    }

    /// Whether sweeps take the lattice path.
    pub(crate) fn lattice_path(&self) -> bool {
        self.lattice.is_some()
    }

    /// How many nodes take the counting path.
    #[cfg(test)]
    pub(crate) fn counting_nodes(&self) -> usize {
        self.by_count.iter().flatten().count()
    }

    /// `hinton_init`'s probability for node `i`: `sigmoid(beta * b_i)`.
    pub(crate) fn hinton_probability(&self, i: usize) -> f32 {
        sigmoid(self.beta * self.biases[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Lattice;
    use crate::model::IsingModel;
    use crate::program::{Blocks, SamplingProgram};

    #[test]
    fn exact_sums_are_recognised() {
        assert!(sums_are_exact(0.0, 1.0, 4));
        assert!(sums_are_exact(0.5, -0.25, 6));
        assert!(sums_are_exact(0.3, 0.0, 4));
        assert!(!sums_are_exact(0.1, 0.3, 4));
        assert!(sums_are_exact(1e7, 1.0, 32));
        assert!(!sums_are_exact(2e7, 1.0, 32));
        assert_eq!(granularity(3.0), 1.0);
        assert_eq!(granularity(0.75), 0.25);
        assert_eq!(granularity(f32::from_bits(1)), 2f64.powi(-149));
    }

    /// The words of 70 chains (3 words a node) after each of 5 sweeps of `kernel` from a fixed start.
    fn words_per_sweep(kernel: &SweepKernel, nodes: usize) -> Vec<Vec<u32>> {
        let masks: Vec<u32> = (0..3).map(|w| crate::packed::lane_mask(70, w)).collect();
        let mut bits: Vec<u32> = (0..nodes * 3)
            .map(|k| (k as u32).wrapping_mul(0x9e37_79b9) & masks[k % 3])
            .collect();
        (0..5)
            .map(|sweep| {
                let mut slice = WordSlice {
                    bits: &mut bits,
                    stride: 3,
                    first_word: 0,
                    masks: &masks,
                };
                kernel.sweep(&mut slice, sweep);
                bits.clone()
            })
            .collect()
    }

    #[test]
    fn counting_and_float_paths_give_identical_words() {
        let lattice = Lattice::cubic(4, 4, 6, true).unwrap();
        for (j, h, beta) in [(1.0, 0.0, 0.44), (-0.5, 0.25, 1.3), (2.0, -1.0, 0.1)] {
            let program = SamplingProgram::new(
                lattice.model(j, h, beta).unwrap(),
                Blocks::Given(lattice.blocks().to_vec()),
                &[],
            )
            .unwrap();
            let counting = SweepKernel::new(&program, 9);
            assert_eq!(counting.counting_nodes(), 96);
            let float = SweepKernel {
                by_count: vec![None; 96],
                ..SweepKernel::new(&program, 9)
            };
            assert_eq!(
                words_per_sweep(&counting, 96),
                words_per_sweep(&float, 96),
                "J {j}, h {h}, beta {beta}"
            );
        }
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
        for (program, path) in programs.iter().zip(paths) {
            let baseline = SweepKernel {
                level: VectorLevel::Baseline,
                ..SweepKernel::new(program, 11)
            };
            assert_eq!((baseline.lattice_path(), baseline.counting_nodes()), path);
            let expected = words_per_sweep(&baseline, 96);
            for &level in &levels[1..] {
                let kernel = SweepKernel {
                    level,
                    ..SweepKernel::new(program, 11)
                };
                assert_eq!(
                    words_per_sweep(&kernel, 96),
                    expected,
                    "{level:?}, path {path:?}"
                );
            }
        }
    }

    #[test]
    fn counting_applies_to_exact_uniform_neighbourhoods_only() {
        let lattice = Lattice::square(6, 6, true).unwrap();
        let program = |j, h| {
            SamplingProgram::new(
                lattice.model(j, h, 0.4).unwrap(),
                Blocks::Given(lattice.blocks().to_vec()),
                &[],
            )
            .unwrap()
        };
        assert_eq!(SweepKernel::new(&program(1.0, 0.0), 0).counting_nodes(), 36);
        assert_eq!(
            SweepKernel::new(&program(0.5, 0.25), 0).counting_nodes(),
            36
        );
        assert_eq!(SweepKernel::new(&program(0.3, 0.1), 0).counting_nodes(), 0);
    }
}
