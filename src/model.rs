//! [`IsingModel`]: nodes, weighted edges, biases and inverse temperature, validated on construction.

use std::collections::HashMap;

use ndarray::{Array1, ArrayView2};

use crate::error::{Error, Result, check_finite};
use crate::rng::{self, Purpose};
use crate::spin::spin_from_i8;

/// An Ising model over `num_nodes` spins with THRML's conventions:
/// `E(s) = -beta * (sum_i b_i s_i + sum_k J_k s_i s_j)` and `P(s) ∝ exp(-E(s))`.
///
/// Parameters are `f32`, the precision of the samplers; enumeration and energies use `f64`.
#[doc(alias = "IsingEBM")]
#[derive(Clone, Debug, PartialEq)]
pub struct IsingModel {
    num_nodes: usize,
    edges: Vec<(u32, u32)>,
    weights: Vec<f32>,
    biases: Vec<f32>,
    beta: f32,
}

/// An error unless a model of `num_nodes` nodes and `num_edges` edges, and the program and CSR
/// built from it, fit this machine's memory (about 24 bytes a node and 40 an edge in all).
pub(crate) fn check_model_size(num_nodes: usize, num_edges: usize) -> Result<()> {
    let needed = crate::budget::total(&[
        crate::budget::bytes(num_nodes, 24),
        crate::budget::bytes(num_edges, 40),
    ]);
    crate::budget::check(
        "num_nodes",
        || format!("a model of {num_nodes} nodes and {num_edges} edges"),
        needed,
    )
}

impl IsingModel {
    /// A model on `edges` with weights and biases drawn from a standard normal (Box-Muller on Philox
    /// draws keyed by `seed`), the random models of THRML's benchmarks and of `ising bench --graph`.
    ///
    /// ```
    /// let m = ising_wgpu::IsingModel::random_normal(3, vec![(0, 1), (1, 2)], 1.0, 7)?;
    /// assert_eq!(m, ising_wgpu::IsingModel::random_normal(3, vec![(0, 1), (1, 2)], 1.0, 7)?);
    /// # Ok::<(), ising_wgpu::Error>(())
    /// ```
    pub fn random_normal(
        num_nodes: usize,
        edges: Vec<(u32, u32)>,
        beta: f32,
        seed: u64,
    ) -> Result<Self> {
        check_model_size(num_nodes, edges.len())?;
        let key = rng::key_of(seed);
        let normal = |index: usize| {
            let tag = rng::tag(0, Purpose::ModelParameters);
            let r = rng::philox4x32_10([index as u32, (index >> 32) as u32, 0, tag], key);
            let u = (f64::from(r[0]) + 0.5) / 4_294_967_296.0;
            let v = f64::from(r[1]) / 4_294_967_296.0;
            ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
        };
        let m = edges.len();
        let weights = (0..m).map(normal).collect();
        let biases = (m..m + num_nodes).map(normal).collect();
        IsingModel::new(num_nodes, edges, weights, biases, beta)
    }

    /// Builds and validates a model.
    ///
    /// Errors name the culprit: zero nodes, `weights`/`biases` of the wrong length, an edge endpoint out
    /// of range, a self-loop, a duplicate edge (either orientation) or a non-finite number.
    ///
    /// ```
    /// use ising_wgpu::IsingModel;
    /// let model = IsingModel::new(3, vec![(0, 1), (1, 2)], vec![0.5, -0.25], vec![0.0; 3], 1.0)?;
    /// assert_eq!(model.num_edges(), 2);
    /// assert!(IsingModel::new(3, vec![(0, 1), (1, 0)], vec![1.0, 1.0], vec![0.0; 3], 1.0).is_err());
    /// # Ok::<(), ising_wgpu::Error>(())
    /// ```
    pub fn new(
        num_nodes: usize,
        edges: Vec<(u32, u32)>,
        weights: Vec<f32>,
        biases: Vec<f32>,
        beta: f32,
    ) -> Result<Self> {
        if num_nodes == 0 {
            return Err(Error::NoNodes);
        }
        if u32::try_from(num_nodes).is_err() {
            return Err(Error::invalid(
                "num_nodes",
                format!("{num_nodes} nodes do not fit 32-bit node indices"),
            ));
        }
        check_edges(num_nodes, &edges)?;
        let mut model = IsingModel {
            num_nodes,
            edges,
            weights: Vec::new(),
            biases: Vec::new(),
            beta: 0.0,
        };
        model.set_weights(weights)?;
        model.set_biases(biases)?;
        model.set_beta(beta)?;
        Ok(model)
    }

    /// Number of spins.
    pub fn num_nodes(&self) -> usize {
        self.num_nodes
    }

    /// Number of edges.
    pub fn num_edges(&self) -> usize {
        self.edges.len()
    }

    /// The undirected edges `(i, j)`, in the order given.
    pub fn edges(&self) -> &[(u32, u32)] {
        &self.edges
    }

    /// One weight per edge.
    pub fn weights(&self) -> &[f32] {
        &self.weights
    }

    /// One bias per node.
    pub fn biases(&self) -> &[f32] {
        &self.biases
    }

    /// Inverse temperature.
    pub fn beta(&self) -> f32 {
        self.beta
    }

    /// Replaces the weights (same edge order); checks length and finiteness.
    pub fn set_weights(&mut self, weights: Vec<f32>) -> Result<()> {
        check_len("weights", self.edges.len(), weights.len())?;
        check_all_finite("weights", &weights)?;
        self.weights = weights;
        Ok(())
    }

    /// Replaces the biases; checks length and finiteness.
    pub fn set_biases(&mut self, biases: Vec<f32>) -> Result<()> {
        check_len("biases", self.num_nodes, biases.len())?;
        check_all_finite("biases", &biases)?;
        self.biases = biases;
        Ok(())
    }

    /// Replaces the inverse temperature; it must be finite.
    pub fn set_beta(&mut self, beta: f32) -> Result<()> {
        check_finite(|| "beta".to_string(), f64::from(beta))?;
        self.beta = beta;
        Ok(())
    }

    /// `E(s)` of one state given as -1/+1 values (or 0/1).
    pub fn energy_of(&self, state: &[i8]) -> Result<f64> {
        check_len("state", self.num_nodes, state.len())?;
        let spins = state
            .iter()
            .enumerate()
            .map(|(i, &v)| spin_from_i8(v, || format!("state node {i}")))
            .collect::<Result<Vec<f64>>>()?;
        Ok(self.energy_of_spins(&spins))
    }

    /// `E(s)` of each row of `states` (rows x `num_nodes`, values -1/+1 or 0/1).
    pub fn energy(&self, states: ArrayView2<'_, i8>) -> Result<Array1<f64>> {
        check_len("state row", self.num_nodes, states.ncols())?;
        states
            .rows()
            .into_iter()
            .map(|row| self.energy_of(&row.to_vec()))
            .collect::<Result<Vec<f64>>>()
            .map(Array1::from)
    }

    /// `E(s)` for spins already given as `f64` values -1.0/+1.0 (unchecked).
    pub(crate) fn energy_of_spins(&self, s: &[f64]) -> f64 {
        let field: f64 = self
            .biases
            .iter()
            .zip(s)
            .map(|(&b, &si)| f64::from(b) * si)
            .sum();
        let coupling: f64 = self
            .edges
            .iter()
            .zip(&self.weights)
            .map(|(&(i, j), &w)| f64::from(w) * s[i as usize] * s[j as usize])
            .sum();
        -f64::from(self.beta) * (field + coupling)
    }
}

fn check_len(what: &'static str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            got,
        })
    }
}

fn check_all_finite(what: &str, values: &[f32]) -> Result<()> {
    for (k, &v) in values.iter().enumerate() {
        check_finite(|| format!("{what}[{k}]"), f64::from(v))?;
    }
    Ok(())
}

fn check_edges(num_nodes: usize, edges: &[(u32, u32)]) -> Result<()> {
    let mut seen: HashMap<(u32, u32), usize> = HashMap::with_capacity(edges.len());
    for (k, &(i, j)) in edges.iter().enumerate() {
        for node in [i, j] {
            if node as usize >= num_nodes {
                return Err(Error::EdgeNodeOutOfRange {
                    edge: k,
                    i: u64::from(i),
                    j: u64::from(j),
                    node: u64::from(node),
                    num_nodes,
                });
            }
        }
        if i == j {
            return Err(Error::SelfLoop { edge: k, node: i });
        }
        if let Some(&first) = seen.get(&(i.min(j), i.max(j))) {
            return Err(Error::DuplicateEdge {
                first,
                second: k,
                i,
                j,
            });
        }
        seen.insert((i.min(j), i.max(j)), k);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(n: usize, edges: Vec<(u32, u32)>) -> Result<IsingModel> {
        let m = edges.len();
        IsingModel::new(n, edges, vec![1.0; m], vec![0.0; n], 1.0)
    }

    #[test]
    fn rejects_each_bad_input_with_a_message_naming_it() {
        let msg = |r: Result<IsingModel>| r.unwrap_err().to_string();
        assert!(msg(model(0, vec![])).contains("no nodes"));
        assert!(msg(model(3, vec![(0, 3)])).contains("edge 0 (0, 3) names node 3"));
        assert!(msg(model(3, vec![(0, 1), (2, 2)])).contains("edge 1 (2, 2) is a self-loop"));
        assert!(
            msg(model(3, vec![(0, 1), (1, 2), (1, 0)]))
                .contains("edges 0 and 2 both join nodes 1 and 0")
        );
        assert!(msg(model(3, vec![(0, 1), (0, 1)])).contains("edges 0 and 1"));
        let e = IsingModel::new(2, vec![(0, 1)], vec![1.0, 2.0], vec![0.0; 2], 1.0);
        assert!(msg(e).contains("weights has length 2, expected 1"));
        let e = IsingModel::new(2, vec![(0, 1)], vec![1.0], vec![0.0; 3], 1.0);
        assert!(msg(e).contains("biases has length 3, expected 2"));
        let e = IsingModel::new(2, vec![(0, 1)], vec![f32::NAN], vec![0.0; 2], 1.0);
        assert!(msg(e).contains("weights[0] is not a finite number"));
        let e = IsingModel::new(2, vec![(0, 1)], vec![1.0], vec![0.0, f32::INFINITY], 1.0);
        assert!(msg(e).contains("biases[1] is not a finite number"));
        let e = IsingModel::new(2, vec![(0, 1)], vec![1.0], vec![0.0; 2], f32::NAN);
        assert!(msg(e).contains("beta is not a finite number"));
    }

    #[test]
    fn energy_follows_thrml_sign_convention() {
        // E = -beta (b0 s0 + b1 s1 + J s0 s1)
        let m = IsingModel::new(2, vec![(0, 1)], vec![0.5], vec![0.25, -1.0], 2.0).unwrap();
        let e = |s: &[i8]| m.energy_of(s).unwrap();
        assert!((e(&[1, 1]) - (-2.0 * (0.25 - 1.0 + 0.5))).abs() < 1e-12);
        assert!((e(&[1, -1]) - (-2.0 * (0.25 + 1.0 - 0.5))).abs() < 1e-12);
        assert!((e(&[-1, -1]) - (-2.0 * (-0.25 + 1.0 + 0.5))).abs() < 1e-12);
        // 0/1 encoding is accepted and means the same.
        assert_eq!(e(&[1, 0]), e(&[1, -1]));
        let err = m.energy_of(&[1, 2]).unwrap_err().to_string();
        assert!(err.contains("state node 1: 2 is not a spin"), "{err}");
        let batch = ndarray::array![[1i8, 1], [-1, 1]];
        let es = m.energy(batch.view()).unwrap();
        assert_eq!(es[0], e(&[1, 1]));
        assert_eq!(es[1], e(&[-1, 1]));
    }
}
