//! [`SamplerState`]: what a sampler's later draws depend on besides its program, parameters and
//! seed, saved and restored so that a run stopped anywhere continues bit for bit.

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::program::Temperatures;

/// A sampler's chains at one moment: with the same program, parameters and seed, a sampler restored
/// from it ([`crate::Sampler::restore_state`]) draws exactly what the saved one would have drawn
/// next, since every draw depends only on the seed, the sweep and the chain.
#[derive(Clone, Debug, PartialEq)]
pub struct SamplerState {
    /// The sweep the next call starts at (sweeps run since the sampler was made).
    pub next_sweep: u64,
    /// Every chain's spins, chains x nodes, -1/+1 (clamped nodes included).
    pub spins: Array2<i8>,
    /// The kept states of [`crate::Sampler::keep_lanes`], chains x nodes, once it has run.
    pub kept: Option<Array2<i8>>,
    /// The betas of the chains' temperature groups ([`Temperatures::betas`]).
    pub betas: Vec<f32>,
}

impl SamplerState {
    /// An error naming the first part of this state that a sampler of `chains` chains over `nodes`
    /// nodes cannot take: a shape, a spin other than -1/+1, or betas that do not split the chains.
    pub fn check(&self, chains: usize, nodes: usize) -> Result<()> {
        self.check_spins(chains, nodes)?;
        Temperatures::new(&self.betas, chains).map(|_| ())
    }

    /// The shape and value checks of [`SamplerState::check`] alone, for a shard of `chains` of a
    /// sampler's chains (whose betas split all of them).
    pub(crate) fn check_spins(&self, chains: usize, nodes: usize) -> Result<()> {
        for (what, states) in [
            ("spins", Some(&self.spins)),
            ("kept states", self.kept.as_ref()),
        ] {
            let Some(states) = states else { continue };
            if states.dim() != (chains, nodes) {
                return Err(Error::invalid(
                    "sampler state",
                    format!(
                        "its {what} are {} chains x {} nodes; this sampler has {chains} x {nodes}",
                        states.nrows(),
                        states.ncols()
                    ),
                ));
            }
            if let Some(((c, i), v)) = states.indexed_iter().find(|(_, v)| v.abs() != 1) {
                return Err(Error::invalid(
                    "sampler state",
                    format!("its {what} hold {v} for chain {c}, node {i}; spins are -1 or +1"),
                ));
            }
        }
        Ok(())
    }

    /// The rows of `chains` alone (one shard's chains), for each of spins and kept states.
    pub(crate) fn select_chains(&self, chains: std::ops::Range<usize>) -> SamplerState {
        let rows = ndarray::s![chains, ..];
        SamplerState {
            next_sweep: self.next_sweep,
            spins: self.spins.slice(rows).to_owned(),
            kept: self.kept.as_ref().map(|k| k.slice(rows).to_owned()),
            betas: self.betas.clone(),
        }
    }
}
