//! [`Observed`] in a [`Checkpoint`]: each observation's arrays under `observed.*`.

use ndarray::{Ix1, Ix2, Ix3};

use super::{EnergyTrace, Observe, Observed, OverlapTrace};
use crate::error::{Error, Result};
use crate::io::Checkpoint;
use crate::moments::Moments;

/// A stored count of nodes as `usize`.
fn node_count(checkpoint: &Checkpoint, name: &str) -> Result<usize> {
    let v = checkpoint.count(name)?;
    usize::try_from(v).map_err(|_| Error::invalid("checkpoint", format!("{name} is {v}")))
}

impl Observed {
    /// Stores every observation present in `checkpoint`.
    pub fn store(&self, checkpoint: &mut Checkpoint) {
        checkpoint.put_count("observed.present", 1);
        if let Some(samples) = &self.samples {
            checkpoint.put("observed.samples", &samples.clone().into_dyn());
        }
        if let Some(moments) = &self.moments {
            checkpoint.put_count("observed.moment_samples", moments.samples_per_chain());
            let nodes = moments.node_counts().to_owned().into_dyn();
            checkpoint.put("observed.node_counts", &nodes);
            let edges = moments.edge_counts().to_owned().into_dyn();
            checkpoint.put("observed.edge_counts", &edges);
        }
        if let Some(energy) = &self.energy {
            checkpoint.put_count("observed.energy_nodes", energy.num_nodes as u64);
            checkpoint.put("observed.energies", &energy.energies.clone().into_dyn());
            checkpoint.put("observed.ups", &energy.ups.clone().into_dyn());
        }
        if let Some(overlap) = &self.overlap {
            checkpoint.put_count("observed.overlap_nodes", overlap.num_nodes as u64);
            let disagreements = overlap.disagreements.clone().into_dyn();
            checkpoint.put("observed.disagreements", &disagreements);
        }
    }

    /// What [`Observed::store`] stored, `None` when it stored nothing; an error naming what differs
    /// when an array has the wrong type, or the observations are not what `observe` asks of
    /// `chains` chains of a model of `nodes` nodes and `edges` edges.
    pub fn restore(
        checkpoint: &Checkpoint,
        observe: &Observe,
        chains: usize,
        (nodes, edges): (usize, usize),
    ) -> Result<Option<Observed>> {
        if checkpoint.get::<u64, Ix1>("observed.present")?.is_none() {
            return Ok(None);
        }
        let samples = checkpoint.get::<i8, Ix3>("observed.samples")?;
        let moments = match checkpoint.get::<u32, Ix2>("observed.node_counts")? {
            Some(nodes) => {
                let edges = checkpoint.require::<u32, Ix2>("observed.edge_counts")?;
                let samples = checkpoint.count("observed.moment_samples")?;
                if nodes.nrows() != edges.nrows() {
                    return Err(Error::invalid(
                        "checkpoint",
                        "its node and edge counts are of different numbers of chains",
                    ));
                }
                Some(Moments::from_counts(samples, nodes, edges))
            }
            None => None,
        };
        let energy = match checkpoint.get::<f32, Ix2>("observed.energies")? {
            Some(energies) => {
                let ups = checkpoint.require::<u32, Ix2>("observed.ups")?;
                if energies.dim() != ups.dim() {
                    return Err(Error::invalid(
                        "checkpoint",
                        "its energies and up-spin counts differ in shape",
                    ));
                }
                let nodes = node_count(checkpoint, "observed.energy_nodes")?;
                Some(EnergyTrace::new(nodes, energies, ups))
            }
            None => None,
        };
        let overlap = match checkpoint.get::<u32, Ix2>("observed.disagreements")? {
            Some(d) => {
                let nodes = node_count(checkpoint, "observed.overlap_nodes")?;
                Some(OverlapTrace::new(nodes, d))
            }
            None => None,
        };
        let observed = Observed {
            samples,
            moments,
            energy,
            overlap,
        };
        observed.check_fits(observe, chains, nodes, edges)?;
        Ok(Some(observed))
    }

    /// An error naming the first observation that `observe` does not ask for, or asks for and is
    /// missing, or whose chains or nodes are not `chains` and the model's.
    fn check_fits(
        &self,
        observe: &Observe,
        chains: usize,
        nodes: usize,
        edges: usize,
    ) -> Result<()> {
        let wrong = |what: &str| {
            Err(Error::invalid(
                "checkpoint",
                format!("its {what} do not fit this run"),
            ))
        };
        let asked = [
            observe.samples.is_some(),
            observe.moments,
            observe.energy,
            observe.overlap,
        ];
        let held = [
            self.samples.is_some(),
            self.moments.is_some(),
            self.energy.is_some(),
            self.overlap.is_some(),
        ];
        let names = ["samples", "moment counts", "energies", "overlaps"];
        if let Some(k) = (0..4).find(|&k| asked[k] != held[k]) {
            return wrong(names[k]);
        }
        let fits = [
            match (&self.samples, &observe.samples) {
                (Some(s), Some(wanted)) => s.dim().1 == chains && s.dim().2 == wanted.len(),
                _ => true,
            },
            self.moments.as_ref().is_none_or(|m| {
                m.node_counts().dim() == (chains, nodes) && m.edge_counts().dim() == (chains, edges)
            }),
            self.energy
                .as_ref()
                .is_none_or(|e| e.energies.ncols() == chains && e.num_nodes == nodes),
            self.overlap
                .as_ref()
                .is_none_or(|o| o.disagreements.ncols() == chains / 2 && o.num_nodes == nodes),
        ];
        if let Some(k) = (0..4).find(|&k| !fits[k]) {
            return wrong(names[k]);
        }
        Ok(())
    }
}
