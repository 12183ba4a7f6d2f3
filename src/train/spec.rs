//! [`TrainingSpec`]: which nodes are data, which condition, which are latent, and how each phase samples.

use ndarray::ArrayView2;

use crate::error::{Error, Result};
use crate::graph::NodeRoles;
use crate::model::IsingModel;
use crate::program::SamplingSchedule;
use crate::spin::spin_up;

/// THRML's `IsingTrainingSpec`: data (visible) nodes clamped to each data row in the positive phase,
/// optional conditioning nodes clamped to their row in both phases, every other node latent.
#[doc(alias = "IsingTrainingSpec")]
#[derive(Clone, Debug, PartialEq)]
pub struct TrainingSpec {
    /// Nodes the data columns belong to, in column order.
    pub data_nodes: Vec<u32>,
    /// Nodes clamped to the conditioning columns in both phases (often empty).
    pub conditioning_nodes: Vec<u32>,
    /// Schedule of the positive (data) phase; unused when there are no latent nodes.
    pub positive: SamplingSchedule,
    /// Schedule of the negative (model) phase.
    pub negative: SamplingSchedule,
    /// Chains per data row in the positive phase (and in the negative phase with conditioning).
    pub chains_per_row: usize,
    /// Chains of the negative phase when there is no conditioning.
    pub negative_chains: usize,
}

impl TrainingSpec {
    /// Checks the spec against a model: nodes in range, none repeated, data and conditioning disjoint,
    /// at least one chain in each phase.
    pub fn validate(&self, model: &IsingModel) -> Result<()> {
        let mut roles = NodeRoles::new(model.num_nodes());
        for &i in &self.data_nodes {
            roles.claim(i, "the data nodes")?;
        }
        for &i in &self.conditioning_nodes {
            roles.claim(i, "the conditioning nodes")?;
        }
        if self.chains_per_row == 0 || self.negative_chains == 0 {
            return Err(Error::invalid(
                "chains",
                "each phase needs at least one chain",
            ));
        }
        Ok(())
    }

    /// Nodes that are neither data nor conditioning.
    pub fn latent_nodes(&self, model: &IsingModel) -> Vec<u32> {
        (0..model.num_nodes() as u32)
            .filter(|i| !self.data_nodes.contains(i) && !self.conditioning_nodes.contains(i))
            .collect()
    }
}

/// Checks that `rows` has `columns` columns of spins; errors name the row and column (1-based).
pub(crate) fn check_rows(what: &str, rows: ArrayView2<'_, i8>, columns: usize) -> Result<()> {
    if rows.ncols() != columns {
        return Err(Error::invalid(
            "data",
            format!(
                "{what} has {} columns, expected {columns} (one per node)",
                rows.ncols()
            ),
        ));
    }
    if rows.nrows() == 0 {
        return Err(Error::invalid("data", format!("{what} has no rows")));
    }
    for ((r, c), &v) in rows.indexed_iter() {
        spin_up(v, || format!("{what} row {}, column {}", r + 1, c + 1))?;
    }
    Ok(())
}
