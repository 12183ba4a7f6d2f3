//! Optimisation problems in the forms users have them: Ising (spin) and QUBO (binary) quadratic
//! models and MaxCut graphs, each held as an [`IsingModel`] (beta 1) plus what converts its energies
//! back into the problem's own convention ([`Problem`]). Readers are in [`crate::io`]
//! ([`crate::io::read_problem`]).

use std::collections::HashMap;

use ndarray::{Array2, ArrayView2};

use crate::error::{Error, Result};
use crate::model::IsingModel;

/// The variables of a problem as its file states them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vartype {
    /// Spins -1/+1 (dimod's `SPIN`).
    Spin,
    /// Bits 0/1 (dimod's `BINARY`, a QUBO), `x = (1 + s) / 2`.
    Binary,
}

impl Vartype {
    /// `SPIN` or `BINARY`, as dimod names it.
    pub fn name(self) -> &'static str {
        match self {
            Vartype::Spin => "SPIN",
            Vartype::Binary => "BINARY",
        }
    }
}

/// A quadratic problem: minimise `E(v) = offset + sum_i a_i v_i + sum_(i,j) q_ij v_i v_j` over spins or
/// bits `v`, held as the Ising model whose energy `H(s) = -(sum b_i s_i + sum J s_i s_j)` plus
/// [`Problem::offset`] is `E` exactly (a QUBO is converted with `x = (1 + s) / 2`). A MaxCut problem is
/// the Ising problem `E(s) = sum w_ij s_i s_j` (dimod's convention) with cut `(W - E) / 2`,
/// `W = sum w_ij`.
///
/// ```
/// use ising_wgpu::problem::{Problem, Vartype};
/// // Minimise x0 + x1 - 2 x0 x1 + 3: 3 at x = (0, 0) and (1, 1).
/// let qubo = Problem::quadratic(2, Vartype::Binary, &[(0, 0, 1.0), (1, 1, 1.0), (0, 1, -2.0)], 3.0)?;
/// assert_eq!(qubo.energy(&[-1, -1])?, 3.0);
/// assert_eq!(qubo.energy(&[1, -1])?, 4.0);
/// assert_eq!(qubo.variables(&[1, -1]), vec![1, 0]);
/// # Ok::<(), ising_wgpu::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    model: IsingModel,
    offset: f64,
    vartype: Vartype,
    cut_weight: Option<f64>,
}

impl Problem {
    /// The problem `offset + sum` of `terms` `(i, j, value)` over `num_vars` variables of `vartype`:
    /// `i == j` a linear term `value v_i`, otherwise `value v_i v_j`; repeated pairs (either order)
    /// add up, as in dimod. Errors name the term.
    pub fn quadratic(
        num_vars: usize,
        vartype: Vartype,
        terms: &[(u32, u32, f64)],
        offset: f64,
    ) -> Result<Self> {
        crate::model::check_model_size(num_vars, terms.len())?;
        // dimod's Ising coefficients h and J, accumulated in f64.
        let mut h = vec![0.0f64; num_vars];
        let mut order: Vec<(u32, u32)> = Vec::new();
        let mut couplings: HashMap<(u32, u32), f64> = HashMap::new();
        let mut offset = offset;
        for (k, &(i, j, value)) in terms.iter().enumerate() {
            for node in [i, j] {
                if node as usize >= num_vars {
                    return Err(Error::NodeOutOfRange {
                        what: format!("term {k} ({i}, {j})"),
                        node: u64::from(node),
                        num_nodes: num_vars,
                    });
                }
            }
            if !value.is_finite() {
                return Err(Error::NonFinite {
                    what: format!("the value of term {k} ({i}, {j})"),
                    value,
                });
            }
            let mut couple = |a: u32, b: u32, v: f64| {
                let key = (a.min(b), a.max(b));
                let entry = couplings.entry(key).or_insert_with(|| {
                    order.push(key);
                    0.0
                });
                *entry += v;
            };
            match (vartype, i == j) {
                (Vartype::Spin, true) => h[i as usize] += value,
                (Vartype::Spin, false) => couple(i, j, value),
                // a x = a / 2 + a s / 2.
                (Vartype::Binary, true) => {
                    h[i as usize] += value / 2.0;
                    offset += value / 2.0;
                }
                // q x_i x_j = q / 4 (1 + s_i + s_j + s_i s_j).
                (Vartype::Binary, false) => {
                    h[i as usize] += value / 4.0;
                    h[j as usize] += value / 4.0;
                    offset += value / 4.0;
                    couple(i, j, value / 4.0);
                }
            }
        }
        let weights = order.iter().map(|key| -couplings[key] as f32).collect();
        let biases = h.iter().map(|&v| -v as f32).collect();
        let model = IsingModel::new(num_vars, order, weights, biases, 1.0)?;
        Ok(Problem {
            model,
            offset,
            vartype,
            cut_weight: None,
        })
    }

    /// MaxCut of the graph with `edges` `(i, j, w)` over `num_nodes` nodes (repeated pairs add up).
    pub fn max_cut(num_nodes: usize, edges: &[(u32, u32, f64)]) -> Result<Self> {
        if let Some((k, &(i, _, _))) = edges.iter().enumerate().find(|(_, e)| e.0 == e.1) {
            return Err(Error::SelfLoop { edge: k, node: i });
        }
        let mut problem = Problem::quadratic(num_nodes, Vartype::Spin, edges, 0.0)?;
        problem.cut_weight = Some(edges.iter().map(|e| e.2).sum());
        Ok(problem)
    }

    /// Any Ising model as a problem: its energy `H(s)` without beta, offset 0.
    pub fn from_model(model: &IsingModel) -> Result<Self> {
        let mut model = model.clone();
        model.set_beta(1.0)?;
        Ok(Problem {
            model,
            offset: 0.0,
            vartype: Vartype::Spin,
            cut_weight: None,
        })
    }

    /// The Ising model (beta 1) whose energy plus [`Problem::offset`] is the problem's.
    pub fn model(&self) -> &IsingModel {
        &self.model
    }

    /// The constant added to the model's energy to give the problem's.
    pub fn offset(&self) -> f64 {
        self.offset
    }

    /// The variables as the problem stated them.
    pub fn vartype(&self) -> Vartype {
        self.vartype
    }

    /// Whether the problem is a MaxCut (its energies have a cut value, [`Problem::cut`]).
    pub fn is_max_cut(&self) -> bool {
        self.cut_weight.is_some()
    }

    /// The problem's energy of `model_energy`, the model's `H(s)` of the same spins.
    pub fn energy_of_model(&self, model_energy: f64) -> f64 {
        model_energy + self.offset
    }

    /// The problem's energy of spins `s` (-1/+1, one per node).
    pub fn energy(&self, s: &[i8]) -> Result<f64> {
        Ok(self.energy_of_model(self.model.energy_of(s)?))
    }

    /// The problem's energy of each state whose model energy `H(s)` is in `model_energies` (as
    /// [`crate::anneal::Annealed`] has them), and which is lowest (the first of equals; `None` for
    /// no states).
    pub fn energies(&self, model_energies: &[f64]) -> (Vec<f64>, Option<usize>) {
        let energies: Vec<f64> = model_energies
            .iter()
            .map(|&e| self.energy_of_model(e))
            .collect();
        let best = (0..energies.len()).min_by(|&a, &b| energies[a].total_cmp(&energies[b]));
        (energies, best)
    }

    /// The cut value of a state of the problem's `energy`, for MaxCut problems.
    pub fn cut(&self, energy: f64) -> Option<f64> {
        self.cut_weight.map(|w| (w - energy) / 2.0)
    }

    /// Spins `s` as the problem's variables: -1/+1 for spin problems, 0/1 for binary ones.
    pub fn variables(&self, s: &[i8]) -> Vec<i8> {
        match self.vartype {
            Vartype::Spin => s.to_vec(),
            Vartype::Binary => s.iter().map(|&v| i8::from(v > 0)).collect(),
        }
    }

    /// Rows of spins (states x nodes) as the problem's variables, as [`Problem::variables`].
    pub fn variable_rows(&self, spins: ArrayView2<'_, i8>) -> Array2<i8> {
        match self.vartype {
            Vartype::Spin => spins.to_owned(),
            Vartype::Binary => spins.mapv(|v| i8::from(v > 0)),
        }
    }

    /// Spins of the problem's variables `v` (-1/+1, or 0/1 for binary problems); an error naming the
    /// first value that is neither.
    pub fn spins_of(&self, v: &[i8]) -> Result<Vec<i8>> {
        v.iter()
            .enumerate()
            .map(|(i, &x)| match (self.vartype, x) {
                (Vartype::Spin, -1 | 1) => Ok(x),
                (Vartype::Binary, 0 | 1) => Ok(2 * x - 1),
                _ => Err(Error::invalid(
                    "initial states",
                    format!(
                        "variable {i} is {x}; a {} problem takes {}",
                        self.vartype.name(),
                        match self.vartype {
                            Vartype::Spin => "-1 or +1",
                            Vartype::Binary => "0 or 1",
                        }
                    ),
                )),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every state of `n` spins.
    fn states(n: usize) -> impl Iterator<Item = Vec<i8>> {
        (0u32..1 << n).map(move |k| {
            (0..n)
                .map(|i| if k >> i & 1 == 1 { 1 } else { -1 })
                .collect()
        })
    }

    #[test]
    fn qubo_energies_are_exact_in_every_state() {
        let terms = [
            (0, 0, 1.5),
            (1, 1, -2.0),
            (0, 1, 3.0),
            (2, 1, -1.25),
            (1, 2, 0.5),
            (2, 2, 0.75),
        ];
        let p = Problem::quadratic(3, Vartype::Binary, &terms, -4.0).unwrap();
        assert_eq!(p.model().num_edges(), 2, "(2, 1) and (1, 2) add up");
        for s in states(3) {
            let x: Vec<f64> = s.iter().map(|&v| f64::from(i8::from(v > 0))).collect();
            let want: f64 = -4.0
                + terms
                    .iter()
                    .map(|&(i, j, q)| q * x[i as usize] * x[j as usize])
                    .sum::<f64>();
            assert_eq!(p.energy(&s).unwrap(), want, "{s:?}");
        }
    }

    #[test]
    fn spin_problems_keep_dimods_signs() {
        let p = Problem::quadratic(2, Vartype::Spin, &[(0, 0, 1.0), (0, 1, -2.0)], 0.5).unwrap();
        for s in states(2) {
            let want = 0.5 + f64::from(s[0]) - 2.0 * f64::from(s[0] * s[1]);
            assert_eq!(p.energy(&s).unwrap(), want);
        }
    }

    #[test]
    fn max_cut_counts_cut_edges() {
        let p = Problem::max_cut(3, &[(0, 1, 1.0), (1, 2, 2.0), (0, 2, -1.0)]).unwrap();
        for s in states(3) {
            let cut: f64 = [(0, 1, 1.0), (1, 2, 2.0), (0, 2, -1.0)]
                .iter()
                .filter(|(i, j, _)| s[*i] != s[*j])
                .map(|e| e.2)
                .sum();
            assert_eq!(p.cut(p.energy(&s).unwrap()), Some(cut), "{s:?}");
        }
        assert!(Problem::max_cut(2, &[(1, 1, 1.0)]).is_err());
    }

    #[test]
    fn bad_terms_are_named() {
        let err = Problem::quadratic(2, Vartype::Spin, &[(0, 2, 1.0)], 0.0).unwrap_err();
        assert!(err.to_string().contains("term 0 (0, 2)"), "{err}");
        let err = Problem::quadratic(2, Vartype::Spin, &[(0, 1, f64::NAN)], 0.0).unwrap_err();
        assert!(err.to_string().contains("term 0"), "{err}");
        let binary = Problem::quadratic(2, Vartype::Binary, &[], 0.0).unwrap();
        assert_eq!(binary.spins_of(&[0, 1]).unwrap(), vec![-1, 1]);
        assert!(
            binary
                .spins_of(&[0, -1])
                .unwrap_err()
                .to_string()
                .contains("variable 1")
        );
    }
}
