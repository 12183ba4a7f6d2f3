//! Results per temperature group as JSON keys: one value a key for one group, or with several an
//! array over the groups in beta order (as `sample --betas` and `temper` print them).

use std::ops::Range;

use ising_wgpu::{EnergyTrace, Moments, OverlapTrace};
use serde_json::{Map, Value, json};

/// Writes each result of the chain groups `groups` into `object`.
pub(crate) struct PerBeta<'a> {
    pub(crate) object: &'a mut Map<String, Value>,
    pub(crate) groups: Vec<Range<usize>>,
    /// Arrays over the groups even for one group.
    pub(crate) arrays: bool,
}

impl PerBeta<'_> {
    /// `key`: the groups' values, as one value or an array.
    fn insert(&mut self, key: String, values: Vec<Value>) {
        let value = if self.arrays {
            json!(values)
        } else {
            values.into_iter().next().unwrap_or_default()
        };
        self.object.insert(key, value);
    }

    /// `NAME_mean` and `NAME_stderr` of each group's `(mean, standard error)`.
    fn estimate(&mut self, name: &str, values: Vec<(f64, f64)>) {
        let means = values.iter().map(|v| json!(v.0)).collect();
        let errors = values.iter().map(|v| json!(v.1)).collect();
        self.insert(format!("{name}_mean"), means);
        self.insert(format!("{name}_stderr"), errors);
    }

    /// `node_means`, `edge_means`, `node_stderr` and `edge_stderr`.
    pub(crate) fn moments(&mut self, moments: &Moments) {
        let per: Vec<Moments> = self
            .groups
            .iter()
            .map(|c| moments.select_chains(c.clone()))
            .collect();
        let each = |f: &dyn Fn(&Moments) -> Vec<f64>| per.iter().map(|m| json!(f(m))).collect();
        self.insert("node_means".into(), each(&|m| m.node_means().to_vec()));
        self.insert("edge_means".into(), each(&|m| m.edge_means().to_vec()));
        self.insert("node_stderr".into(), each(&|m| m.node_stderr().to_vec()));
        self.insert("edge_stderr".into(), each(&|m| m.edge_stderr().to_vec()));
    }

    /// `energy_mean`/`_stderr` (per site) when `energy`, `magnetization_mean`/`_stderr` when
    /// `magnetization`.
    pub(crate) fn observables(&mut self, trace: &EnergyTrace, energy: bool, magnetization: bool) {
        let per: Vec<EnergyTrace> = self
            .groups
            .iter()
            .map(|c| trace.select_chains(c.clone()))
            .collect();
        if energy {
            self.estimate(
                "energy",
                per.iter().map(EnergyTrace::energy_per_site).collect(),
            );
        }
        if magnetization {
            let values = per
                .iter()
                .map(EnergyTrace::magnetization_per_site)
                .collect();
            self.estimate("magnetization", values);
        }
    }

    /// `q_`, `q2_` and `q4_mean`/`_stderr` and `binder`.
    pub(crate) fn overlaps(&mut self, trace: &OverlapTrace) {
        let stats: Vec<_> = self
            .groups
            .iter()
            .map(|c| trace.select_chains(c.clone()).stats())
            .collect();
        self.estimate("q", stats.iter().map(|s| s.q).collect());
        self.estimate("q2", stats.iter().map(|s| s.q2).collect());
        self.estimate("q4", stats.iter().map(|s| s.q4).collect());
        self.insert(
            "binder".into(),
            stats.iter().map(|s| json!(s.binder)).collect(),
        );
    }
}
