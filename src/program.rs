//! What to sample: the model, its free blocks in update order, the clamped nodes, and the schedule.

use ndarray::Array2;

use crate::error::{Error, Result, check_finite};
use crate::graph::{Csr, NodeRoles, colour_dsatur, validate_blocks};
use crate::model::IsingModel;

/// How the free spins of each chain start.
#[derive(Clone, Debug, PartialEq)]
pub enum Init {
    /// THRML's `hinton_init`: each spin up with probability `sigmoid(beta * b_i)`, at the beta of
    /// the chain's temperature group.
    #[doc(alias = "hinton_init")]
    Hinton,
    /// Each spin up with probability 1/2 (a hot start).
    Uniform,
    /// Every spin up (a cold start).
    AllUp,
    /// Given states, chains x nodes, values -1/+1 (clamped nodes are overwritten by their values);
    /// a site-packed lattice takes one row of its sites.
    States(Array2<i8>),
}

/// How the free nodes are split into blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocks {
    /// Colour the free nodes automatically (DSatur).
    Auto,
    /// Use these blocks, in this order; they are checked for independence and coverage.
    Given(Vec<Vec<u32>>),
}

/// A model with its free blocks (updated in order, one sweep updating each once) and its clamped
/// nodes (never written, but seen by their neighbours). THRML's `IsingSamplingProgram`.
#[doc(alias = "IsingSamplingProgram")]
#[derive(Clone, Debug)]
pub struct SamplingProgram {
    model: IsingModel,
    csr: Csr,
    blocks: Vec<Vec<u32>>,
    clamped: Vec<u32>,
    lattice_sides: Option<[u32; 3]>,
}

impl SamplingProgram {
    /// Builds a program, colouring the free nodes when `blocks` is [`Blocks::Auto`].
    ///
    /// ```
    /// use ising_wgpu::{Blocks, IsingModel, SamplingProgram};
    /// let model = IsingModel::new(3, vec![(0, 1), (1, 2)], vec![1.0, 1.0], vec![0.0; 3], 1.0)?;
    /// let program = SamplingProgram::new(model.clone(), Blocks::Auto, &[])?;
    /// assert_eq!(program.blocks(), &[vec![1], vec![0, 2]]);
    /// let bad = SamplingProgram::new(model, Blocks::Given(vec![vec![0, 1], vec![2]]), &[]);
    /// assert!(bad.unwrap_err().to_string().contains("edge 0 joins nodes 0 and 1"));
    /// # Ok::<(), ising_wgpu::Error>(())
    /// ```
    pub fn new(model: IsingModel, blocks: Blocks, clamped: &[u32]) -> Result<Self> {
        let csr = Csr::new(&model);
        let blocks = match blocks {
            Blocks::Given(blocks) => blocks,
            Blocks::Auto => {
                let mut roles = NodeRoles::new(model.num_nodes());
                for &i in clamped {
                    roles.claim(i, "the clamped nodes")?;
                }
                let free: Vec<u32> = (0..model.num_nodes() as u32)
                    .filter(|&i| !roles.is_claimed(i as usize))
                    .collect();
                colour_dsatur(&csr, &free)
            }
        };
        validate_blocks(&csr, &blocks, clamped)?;
        Ok(SamplingProgram {
            model,
            csr,
            blocks,
            clamped: clamped.to_vec(),
            lattice_sides: None,
        })
    }

    /// Marks the program as a periodic lattice of these sides (`x + lx * (y + ly * z)` numbering, even
    /// sides, checkerboard blocks), so that samplers may find neighbours by index arithmetic.
    pub(crate) fn on_lattice(mut self, sides: [u32; 3]) -> Self {
        self.lattice_sides = Some(sides);
        self
    }

    /// The sides `[lx, ly, lz]` (`lz = 1` in 2D) of the periodic lattice the program was built on by
    /// [`crate::Lattice::program`], when it has the lattice path's shape; `None` for other programs.
    /// Samplers take the lattice path when this is set, every coupling is equal and the fields take at
    /// most 256 values (a uniform field, or a random field of a few values).
    pub fn lattice_sides(&self) -> Option<[u32; 3]> {
        self.lattice_sides
    }

    /// Takes the weights, biases and beta of `model`, which must have the same nodes and edges (in
    /// the same order); blocks and CSR stay.
    pub fn set_parameters(&mut self, model: &IsingModel) -> Result<()> {
        if model.num_nodes() != self.model.num_nodes() || model.edges() != self.model.edges() {
            return Err(Error::invalid(
                "model",
                "new parameters must belong to a model with the same nodes and edges (in the same order)",
            ));
        }
        self.model = model.clone();
        Ok(())
    }

    /// The model.
    pub fn model(&self) -> &IsingModel {
        &self.model
    }

    /// The model's adjacency.
    pub fn csr(&self) -> &Csr {
        &self.csr
    }

    /// Free blocks in update order.
    pub fn blocks(&self) -> &[Vec<u32>] {
        &self.blocks
    }

    /// Clamped nodes, in the order their values are given.
    pub fn clamped(&self) -> &[u32] {
        &self.clamped
    }

    /// Number of free nodes (updated each sweep).
    pub fn num_free(&self) -> usize {
        self.blocks.iter().map(Vec::len).sum()
    }
}

/// The inverse temperatures of a sampler's chains: `k` groups of equally many whole 32-chain words,
/// group `g` holding words `g * W / k .. (g + 1) * W / k` of the `W` words (chains `32 * g * W / k ..`,
/// the last group's last word possibly partial), each sampled at its own beta. Whole words keep the
/// lattice path's bit-sliced draws, which share one threshold table per word.
///
/// ```
/// let t = ising_wgpu::Temperatures::new(&[0.2, 0.4, 0.6, 0.8], 256)?;
/// assert_eq!(t.chains_of(1), 64..128);
/// assert!(ising_wgpu::Temperatures::new(&[0.2, 0.4, 0.6], 256).is_err()); // 8 words in 3 groups
/// # Ok::<(), ising_wgpu::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Temperatures {
    betas: Vec<f32>,
    chains: usize,
    words_per_beta: usize,
}

impl Temperatures {
    /// `betas.len()` groups of the words of `chains` chains, in order; an error unless every beta is
    /// finite and the words split evenly.
    pub fn new(betas: &[f32], chains: usize) -> Result<Self> {
        if betas.is_empty() {
            return Err(Error::invalid(
                "betas",
                "give at least one inverse temperature",
            ));
        }
        for (k, &beta) in betas.iter().enumerate() {
            check_finite(|| format!("betas[{k}]"), f64::from(beta))?;
        }
        let words = chains.div_ceil(32);
        let k = betas.len();
        if words == 0 || !words.is_multiple_of(k) {
            return Err(Error::invalid(
                "betas",
                format!(
                    "{k} temperatures need the {words} words of 32 chains ({chains} chains) to split \
                     evenly into groups of whole words; give a multiple of {} chains",
                    32 * k
                ),
            ));
        }
        Ok(Temperatures {
            betas: betas.to_vec(),
            chains,
            words_per_beta: words / k,
        })
    }

    /// Every chain at `beta`.
    pub fn single(beta: f32, chains: usize) -> Self {
        Temperatures {
            betas: vec![beta],
            chains,
            words_per_beta: chains.div_ceil(32).max(1),
        }
    }

    /// Chains in all groups.
    pub fn chains(&self) -> usize {
        self.chains
    }

    /// The beta of each group, in order.
    pub fn betas(&self) -> &[f32] {
        &self.betas
    }

    /// The chains of group `k`.
    pub fn chains_of(&self, k: usize) -> std::ops::Range<usize> {
        let per = 32 * self.words_per_beta;
        (k * per).min(self.chains)..((k + 1) * per).min(self.chains)
    }

    /// Words of 32 chains in each group.
    pub(crate) fn words_per_beta(&self) -> usize {
        self.words_per_beta
    }

    /// The beta of global word `w`'s group.
    pub(crate) fn beta_of_word(&self, w: usize) -> f32 {
        self.betas[w / self.words_per_beta]
    }

    /// The group of each word of the chains, for host sweeps that look it up rather than divide.
    pub(crate) fn word_groups(&self) -> Vec<u32> {
        (0..self.chains.div_ceil(32))
            .map(|w| (w / self.words_per_beta) as u32)
            .collect()
    }
}

/// THRML's `SamplingSchedule`: `n_warmup` sweeps, then `n_samples` samples `steps_per_sample` sweeps
/// apart, the first taken right after warm-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SamplingSchedule {
    /// Sweeps before the first sample.
    pub n_warmup: u64,
    /// Number of samples (at least 1).
    pub n_samples: u64,
    /// Sweeps between consecutive samples (at least 1).
    pub steps_per_sample: u64,
}

impl SamplingSchedule {
    /// A checked schedule: `n_samples` and `steps_per_sample` must be at least 1 and the total sweep
    /// count must fit `u64`.
    ///
    /// ```
    /// let s = ising_wgpu::SamplingSchedule::new(100, 10, 3)?;
    /// assert_eq!(s.total_sweeps(), 100 + 9 * 3);
    /// assert_eq!(s.sample_sweeps().next(), Some(100));
    /// # Ok::<(), ising_wgpu::Error>(())
    /// ```
    pub fn new(n_warmup: u64, n_samples: u64, steps_per_sample: u64) -> Result<Self> {
        if n_samples == 0 {
            return Err(Error::invalid("n_samples", "at least one sample is needed"));
        }
        if steps_per_sample == 0 {
            return Err(Error::invalid(
                "steps_per_sample",
                "samples must be at least one sweep apart",
            ));
        }
        let total = (n_samples - 1)
            .checked_mul(steps_per_sample)
            .and_then(|s| s.checked_add(n_warmup));
        if total.is_none_or(|t| t > crate::rng::MAX_SWEEP) {
            return Err(Error::invalid(
                "schedule",
                "the total number of sweeps exceeds 2^58",
            ));
        }
        Ok(SamplingSchedule {
            n_warmup,
            n_samples,
            steps_per_sample,
        })
    }

    /// Total sweeps run: `n_warmup + (n_samples - 1) * steps_per_sample`.
    pub fn total_sweeps(&self) -> u64 {
        self.n_warmup + (self.n_samples - 1) * self.steps_per_sample
    }

    /// Number of sweeps completed when each sample is taken, in order.
    pub fn sample_sweeps(&self) -> impl Iterator<Item = u64> + use<> {
        let (warmup, step) = (self.n_warmup, self.steps_per_sample);
        (0..self.n_samples).map(move |k| warmup + k * step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_counts_like_thrml() {
        let s = SamplingSchedule::new(5, 4, 2).unwrap();
        assert_eq!(s.total_sweeps(), 11);
        assert_eq!(s.sample_sweeps().collect::<Vec<_>>(), vec![5, 7, 9, 11]);
        let one = SamplingSchedule::new(0, 1, 1).unwrap();
        assert_eq!(one.total_sweeps(), 0);
        assert!(
            SamplingSchedule::new(1, 0, 1)
                .unwrap_err()
                .to_string()
                .contains("n_samples")
        );
        assert!(
            SamplingSchedule::new(1, 2, 0)
                .unwrap_err()
                .to_string()
                .contains("steps_per_sample")
        );
        assert!(SamplingSchedule::new(u64::MAX, 2, 1).is_err());
    }

    #[test]
    fn clamped_nodes_are_left_out_of_automatic_blocks() {
        let m = IsingModel::new(
            3,
            vec![(0, 1), (1, 2), (0, 2)],
            vec![1.0; 3],
            vec![0.0; 3],
            1.0,
        )
        .unwrap();
        let p = SamplingProgram::new(m.clone(), Blocks::Auto, &[1]).unwrap();
        assert_eq!(p.num_free(), 2);
        assert!(p.blocks().iter().all(|b| !b.contains(&1)));
        let e = SamplingProgram::new(m, Blocks::Auto, &[7])
            .unwrap_err()
            .to_string();
        assert!(e.contains("the clamped nodes names node 7"), "{e}");
    }
}
