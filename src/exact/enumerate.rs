//! Exact moments and KL gradients of small models by enumerating every free state.

use ndarray::{Array1, ArrayView2};

use crate::error::{Error, Result};
use crate::graph::NodeRoles;
use crate::model::IsingModel;
use crate::spin::spin_up;

/// Parts the states of a large enumeration are split into, whatever the thread count.
const EXACT_PARTS: u64 = 64;

/// Most free nodes [`exact_moments`] enumerates (2^24 states).
pub const MAX_EXACT_FREE: usize = 24;

/// Exact results of a model, conditioned on its clamped nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct ExactMoments {
    /// `ln Z`, the log of the sum of `exp(-E(s))` over the free states (clamped nodes fixed).
    pub log_z: f64,
    /// `<s_i>` per node (clamped nodes give their value).
    pub node_means: Array1<f64>,
    /// `<s_i s_j>` per edge.
    pub edge_means: Array1<f64>,
}

impl ExactMoments {
    /// `<H>` of `model` (the model these moments are of): `-(sum_i b_i <s_i> + sum_k J_k <s_i s_j>)`,
    /// the energy without beta, as [`crate::EnergyTrace`] records it.
    pub fn mean_energy(&self, model: &IsingModel) -> f64 {
        let fields: f64 = model
            .biases()
            .iter()
            .zip(&self.node_means)
            .map(|(&b, m)| f64::from(b) * m)
            .sum();
        let couplings: f64 = model
            .weights()
            .iter()
            .zip(&self.edge_means)
            .map(|(&j, m)| f64::from(j) * m)
            .sum();
        -(fields + couplings)
    }

    /// `<M> = sum_i <s_i>`, clamped nodes included.
    pub fn mean_magnetization(&self) -> f64 {
        self.node_means.sum()
    }
}

/// Enumerates every state of the nodes not in `clamp` (node, up) and returns `ln Z` and the moments.
///
/// ```
/// use ising_wgpu::{IsingModel, exact_moments};
/// // One edge at beta J = 0.5: <s0 s1> = tanh(0.5).
/// let m = IsingModel::new(2, vec![(0, 1)], vec![0.5], vec![0.0, 0.0], 1.0)?;
/// let exact = exact_moments(&m, &[])?;
/// assert!((exact.edge_means[0] - 0.5f64.tanh()).abs() < 1e-12);
/// # Ok::<(), ising_wgpu::Error>(())
/// ```
pub fn exact_moments(model: &IsingModel, clamp: &[(u32, bool)]) -> Result<ExactMoments> {
    let n = model.num_nodes();
    let mut base = vec![0.0f64; n];
    let mut clamped = NodeRoles::new(n);
    for &(node, up) in clamp {
        clamped.claim(node, "the clamped nodes")?;
        base[node as usize] = if up { 1.0 } else { -1.0 };
    }
    let free: Vec<usize> = (0..n).filter(|&i| !clamped.is_claimed(i)).collect();
    if free.len() > MAX_EXACT_FREE {
        return Err(Error::TooLargeForExact {
            free: free.len(),
            max: MAX_EXACT_FREE,
        });
    }
    let states = 1u64 << free.len();
    // A fixed split into parts, summed in order, whatever the thread count: the same last digits on
    // every machine (threads only choose who computes which part).
    let parts = if states < 4096 { 1 } else { EXACT_PARTS };
    let threads = crate::backend::cores().min(parts as usize);
    let part = |p: u64| {
        let range = p * states / parts..(p + 1) * states / parts;
        enumerate_range(model, &base, &free, range)
    };
    let partials: Vec<Partial> = if threads == 1 {
        (0..parts).map(part).collect()
    } else {
        let mut by_thread: Vec<Vec<(u64, Partial)>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads as u64)
                .map(|t| {
                    let part = &part;
                    scope.spawn(move || {
                        (t..parts)
                            .step_by(threads)
                            .map(|p| (p, part(p)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("enumeration thread panicked"))
                .collect()
        });
        let mut all: Vec<(u64, Partial)> = by_thread.drain(..).flatten().collect();
        all.sort_by_key(|(p, _)| *p);
        all.into_iter().map(|(_, partial)| partial).collect()
    };
    let top = partials
        .iter()
        .map(|p| p.log_scale)
        .fold(f64::NEG_INFINITY, f64::max);
    let mut total = Partial::new(n, model.num_edges());
    for p in partials {
        total.add_scaled(&p, (p.log_scale - top).exp());
    }
    Ok(ExactMoments {
        log_z: top + total.z.ln(),
        node_means: Array1::from(total.nodes) / total.z,
        edge_means: Array1::from(total.edges) / total.z,
    })
}

/// Sums `w`, `w s_i` and `w s_i s_j` over a range of states, with `w = exp(-E - log_scale)`.
struct Partial {
    log_scale: f64,
    z: f64,
    nodes: Vec<f64>,
    edges: Vec<f64>,
}

impl Partial {
    fn new(n: usize, m: usize) -> Self {
        Partial {
            log_scale: f64::NEG_INFINITY,
            z: 0.0,
            nodes: vec![0.0; n],
            edges: vec![0.0; m],
        }
    }

    fn add_scaled(&mut self, other: &Partial, scale: f64) {
        self.z += other.z * scale;
        for (a, b) in self.nodes.iter_mut().zip(&other.nodes) {
            *a += b * scale;
        }
        for (a, b) in self.edges.iter_mut().zip(&other.edges) {
            *a += b * scale;
        }
    }

    fn rescale(&mut self, new_log_scale: f64) {
        let factor = (self.log_scale - new_log_scale).exp();
        self.z *= factor;
        self.nodes
            .iter_mut()
            .chain(self.edges.iter_mut())
            .for_each(|v| *v *= factor);
        self.log_scale = new_log_scale;
    }
}

fn enumerate_range(
    model: &IsingModel,
    base: &[f64],
    free: &[usize],
    range: std::ops::Range<u64>,
) -> Partial {
    let mut acc = Partial::new(model.num_nodes(), model.num_edges());
    let mut s = base.to_vec();
    let mut pair = vec![0.0f64; model.num_edges()];
    let beta = f64::from(model.beta());
    for state in range {
        for (bit, &i) in free.iter().enumerate() {
            s[i] = if (state >> bit) & 1 == 1 { 1.0 } else { -1.0 };
        }
        let mut sum = 0.0;
        for ((p, &(i, j)), &w) in pair.iter_mut().zip(model.edges()).zip(model.weights()) {
            *p = s[i as usize] * s[j as usize];
            sum += f64::from(w) * *p;
        }
        sum += s
            .iter()
            .zip(model.biases())
            .map(|(&si, &b)| f64::from(b) * si)
            .sum::<f64>();
        let log_w = beta * sum;
        if log_w > acc.log_scale {
            acc.rescale(log_w);
        }
        let w = (log_w - acc.log_scale).exp();
        acc.z += w;
        acc.nodes
            .iter_mut()
            .zip(&s)
            .for_each(|(a, &si)| *a += w * si);
        acc.edges
            .iter_mut()
            .zip(&pair)
            .for_each(|(a, &p)| *a += w * p);
    }
    acc
}

/// The exact KL gradient of a data set and the moments of both phases, THRML's sign and order.
#[derive(Clone, Debug, PartialEq)]
pub struct KlGradient {
    /// `-beta * (<s_i s_j>_data - <s_i s_j>_model)` per edge.
    pub grad_weights: Array1<f64>,
    /// `-beta * (<s_i>_data - <s_i>_model)` per node.
    pub grad_biases: Array1<f64>,
    /// Positive-phase moments: data nodes clamped to each row, averaged over rows.
    pub data: ExactMoments,
    /// Negative-phase moments of the free model.
    pub model: ExactMoments,
}

/// Exact KL gradient for `data` (rows x data nodes, values -1/+1 or 0/1) observed on `data_nodes`;
/// every other node is latent. `data.log_z` is the mean over rows of the conditional `ln Z`.
pub fn exact_kl_grad(
    model: &IsingModel,
    data_nodes: &[u32],
    data: ArrayView2<'_, i8>,
) -> Result<KlGradient> {
    if data.ncols() != data_nodes.len() {
        return Err(Error::LengthMismatch {
            what: "data row",
            expected: data_nodes.len(),
            got: data.ncols(),
        });
    }
    if data.nrows() == 0 {
        return Err(Error::invalid("data", "no data rows"));
    }
    let rows = data.nrows() as f64;
    let mut positive = ExactMoments {
        log_z: 0.0,
        node_means: Array1::zeros(model.num_nodes()),
        edge_means: Array1::zeros(model.num_edges()),
    };
    for (r, row) in data.rows().into_iter().enumerate() {
        let clamp = data_nodes
            .iter()
            .zip(row)
            .enumerate()
            .map(|(c, (&node, &v))| Ok((node, spin_up(v, || format!("data row {r}, column {c}"))?)))
            .collect::<Result<Vec<_>>>()?;
        let moments = exact_moments(model, &clamp)?;
        positive.log_z += moments.log_z / rows;
        positive.node_means += &(moments.node_means / rows);
        positive.edge_means += &(moments.edge_means / rows);
    }
    let negative = exact_moments(model, &[])?;
    let beta = f64::from(model.beta());
    Ok(KlGradient {
        grad_weights: (&positive.edge_means - &negative.edge_means) * -beta,
        grad_biases: (&positive.node_means - &negative.node_means) * -beta,
        data: positive,
        model: negative,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triangle() -> IsingModel {
        IsingModel::new(
            3,
            vec![(0, 1), (1, 2), (0, 2)],
            vec![0.3, -0.7, 0.2],
            vec![0.1, -0.4, 0.25],
            1.3,
        )
        .unwrap()
    }

    /// Moments by a plain sum over the 8 states, written independently of the enumerator.
    fn by_hand(m: &IsingModel, fixed: Option<(usize, f64)>) -> (f64, Vec<f64>, Vec<f64>) {
        let (mut z, mut nodes, mut edges) = (0.0, vec![0.0; 3], vec![0.0; 3]);
        for code in 0..8 {
            let s: Vec<f64> = (0..3)
                .map(|i| if code >> i & 1 == 1 { 1.0 } else { -1.0 })
                .collect();
            if fixed.is_some_and(|(i, v)| s[i] != v) {
                continue;
            }
            let w = (-m.energy_of_spins(&s)).exp();
            z += w;
            (0..3).for_each(|i| nodes[i] += w * s[i]);
            for (k, &(i, j)) in m.edges().iter().enumerate() {
                edges[k] += w * s[i as usize] * s[j as usize];
            }
        }
        (
            z.ln(),
            nodes.iter().map(|v| v / z).collect(),
            edges.iter().map(|v| v / z).collect(),
        )
    }

    #[test]
    fn matches_a_plain_sum_with_and_without_clamping() {
        let m = triangle();
        for (clamp, fixed) in [
            (vec![], None),
            (vec![(1, false)], Some((1, -1.0))),
            (vec![(2, true)], Some((2, 1.0))),
        ] {
            let e = exact_moments(&m, &clamp).unwrap();
            let (log_z, nodes, edges) = by_hand(&m, fixed);
            assert!((e.log_z - log_z).abs() < 1e-12);
            for (a, b) in e
                .node_means
                .iter()
                .zip(&nodes)
                .chain(e.edge_means.iter().zip(&edges))
            {
                assert!((a - b).abs() < 1e-12, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn kl_gradient_of_a_fully_visible_model_is_data_minus_model() {
        let m = triangle();
        let data = ndarray::array![[1i8, -1, 1], [1, 1, -1]];
        let g = exact_kl_grad(&m, &[0, 1, 2], data.view()).unwrap();
        let beta = f64::from(m.beta());
        let model = exact_moments(&m, &[]).unwrap();
        // data <s0> = 1, <s1> = 0, <s2> = 0; <s0 s1> = 0, <s1 s2> = -1, <s0 s2> = 0.
        let want_b = [1.0, 0.0, 0.0];
        let want_w = [0.0, -1.0, 0.0];
        for i in 0..3 {
            assert!((g.grad_biases[i] + beta * (want_b[i] - model.node_means[i])).abs() < 1e-12);
            assert!((g.grad_weights[i] + beta * (want_w[i] - model.edge_means[i])).abs() < 1e-12);
        }
    }

    #[test]
    fn bad_requests_are_named() {
        let m = triangle();
        let e = exact_moments(&m, &[(5, true)]).unwrap_err().to_string();
        assert!(e.contains("names node 5"), "{e}");
        let e = exact_moments(&m, &[(1, true), (1, false)])
            .unwrap_err()
            .to_string();
        assert!(e.contains("node 1 appears twice"), "{e}");
        let big = IsingModel::new(30, vec![], vec![], vec![0.0; 30], 1.0).unwrap();
        let e = exact_moments(&big, &[]).unwrap_err().to_string();
        assert!(
            e.contains("30 free nodes") && e.contains("limit is 24"),
            "{e}"
        );
        let e = exact_kl_grad(&m, &[0], ndarray::array![[1i8, 1]].view())
            .unwrap_err()
            .to_string();
        assert!(e.contains("data row has length 2, expected 1"), "{e}");
        let e = exact_kl_grad(&m, &[0], ndarray::array![[1i8], [5]].view())
            .unwrap_err()
            .to_string();
        assert!(e.contains("data row 1, column 0: 5 is not a spin"), "{e}");
    }
}
