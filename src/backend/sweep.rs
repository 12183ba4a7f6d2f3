//! The block Gibbs update on packed words: the host twin of the GPU kernel, arithmetic for arithmetic.

use crate::program::SamplingProgram;
use crate::rng::{Purpose, bernoulli_word, sigmoid, threshold};

/// Everything one sweep reads: CSR with per-entry weights, biases, `2 * beta`, the blocks and the seed.
pub(crate) struct SweepKernel {
    row_ptr: Vec<u32>,
    col: Vec<u32>,
    weights: Vec<f32>,
    biases: Vec<f32>,
    beta: f32,
    blocks: Vec<Vec<u32>>,
    seed: u64,
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

impl SweepKernel {
    pub(crate) fn new(program: &SamplingProgram, seed: u64) -> Self {
        let model = program.model();
        let csr = program.csr();
        SweepKernel {
            row_ptr: csr.row_ptr().to_vec(),
            col: csr.col().to_vec(),
            weights: csr.entry_weights(model.weights()),
            biases: model.biases().to_vec(),
            beta: model.beta(),
            blocks: program.blocks().to_vec(),
            seed,
        }
    }

    /// The new word of `node`: field `b_i + sum_j J_ij s_j` summed in CSR order in `f32`, then
    /// up with probability `sigmoid(2 beta field)`, as a threshold on the lane's 24-bit uniform.
    fn update_word(&self, spins: &WordSlice<'_>, node: u32, w: usize, sweep: u64) -> u32 {
        let i = node as usize;
        let mut field = [self.biases[i]; 32];
        for k in self.row_ptr[i] as usize..self.row_ptr[i + 1] as usize {
            let word = spins.bits[self.col[k] as usize * spins.stride + w];
            let j = self.weights[k];
            for (b, f) in field.iter_mut().enumerate() {
                *f += if (word >> b) & 1 == 1 { j } else { -j };
            }
        }
        let two_beta = 2.0 * self.beta;
        let t = field.map(|f| threshold(sigmoid(two_beta * f)));
        let word = (spins.first_word + w) as u32;
        bernoulli_word(self.seed, sweep, node, word, Purpose::Update, &t) & spins.masks[w]
    }

    /// One sweep (every block once, in order) over the words of `spins`, using sweep index `sweep`.
    pub(crate) fn sweep(&self, spins: &mut WordSlice<'_>, sweep: u64) {
        for block in &self.blocks {
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

    /// `hinton_init`'s probability for node `i`: `sigmoid(beta * b_i)`.
    pub(crate) fn hinton_probability(&self, i: usize) -> f32 {
        sigmoid(self.beta * self.biases[i])
    }
}
