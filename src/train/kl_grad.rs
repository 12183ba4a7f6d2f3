//! The KL gradient estimate: positive (data) phase and negative (model) phase moments, THRML's sign.

use ndarray::{Array1, Array2, ArrayView2, Axis, concatenate};

use super::spec::{TrainingSpec, check_rows};
use crate::backend::SamplerConfig;
use crate::backend::{Backend, Sampler, SamplerState};
use crate::error::{Error, Result};
use crate::model::IsingModel;
use crate::moments::Moments;
use crate::observe::Observe;
use crate::program::{Blocks, SamplingProgram};
use crate::rng::{Purpose, derived_seed};

/// Means and standard errors of one phase.
#[derive(Clone, Debug, PartialEq)]
pub struct PhaseMoments {
    /// `<s_i>` per node.
    pub node_means: Array1<f64>,
    /// `<s_i s_j>` per edge.
    pub edge_means: Array1<f64>,
    /// Standard error of each node mean.
    pub node_stderr: Array1<f64>,
    /// Standard error of each edge mean.
    pub edge_stderr: Array1<f64>,
}

/// An estimated KL gradient with its standard errors and the moments of both phases.
#[derive(Clone, Debug, PartialEq)]
pub struct KlGradEstimate {
    /// `-beta * (<s_i s_j>_data - <s_i s_j>_model)` per edge.
    pub grad_weights: Array1<f64>,
    /// `-beta * (<s_i>_data - <s_i>_model)` per node.
    pub grad_biases: Array1<f64>,
    /// Standard error of each weight gradient.
    pub grad_weights_stderr: Array1<f64>,
    /// Standard error of each bias gradient.
    pub grad_biases_stderr: Array1<f64>,
    /// Positive-phase moments.
    pub data: PhaseMoments,
    /// Negative-phase moments.
    pub model: PhaseMoments,
}

impl KlGradEstimate {
    fn from_phases(beta: f64, data: PhaseMoments, model: PhaseMoments) -> Self {
        let combine =
            |a: &Array1<f64>, b: &Array1<f64>| (a * a + b * b).mapv(|v| beta.abs() * v.sqrt());
        KlGradEstimate {
            grad_weights: (&data.edge_means - &model.edge_means) * -beta,
            grad_biases: (&data.node_means - &model.node_means) * -beta,
            grad_weights_stderr: combine(&data.edge_stderr, &model.edge_stderr),
            grad_biases_stderr: combine(&data.node_stderr, &model.node_stderr),
            data,
            model,
        }
    }
}

/// Estimates THRML's `estimate_kl_grad` for `data` (rows x data nodes) and, with conditioning nodes,
/// `conditioning` (rows x conditioning nodes): fresh chains from `hinton_init`, the spec's schedules.
///
/// ```
/// use ising_wgpu::{Backend, IsingModel, SamplingSchedule, train::{TrainingSpec, estimate_kl_grad}};
/// let model = IsingModel::new(3, vec![(0, 1), (1, 2)], vec![0.5, -0.3], vec![0.1, 0.0, -0.2], 1.0)?;
/// let spec = TrainingSpec {
///     data_nodes: vec![0, 2],
///     conditioning_nodes: vec![],
///     positive: SamplingSchedule::new(20, 50, 1)?,
///     negative: SamplingSchedule::new(20, 50, 1)?,
///     chains_per_row: 32,
///     negative_chains: 64,
/// };
/// let data = ndarray::array![[1i8, -1], [1, 1]];
/// let g = estimate_kl_grad(&Backend::Cpu { threads: None }, &model, &spec, data.view(), None, 0)?;
/// assert_eq!(g.grad_weights.len(), 2);
/// # Ok::<(), ising_wgpu::Error>(())
/// ```
pub fn estimate_kl_grad(
    backend: &Backend,
    model: &IsingModel,
    spec: &TrainingSpec,
    data: ArrayView2<'_, i8>,
    conditioning: Option<ArrayView2<'_, i8>>,
    seed: u64,
) -> Result<KlGradEstimate> {
    let mut estimator = KlGradEstimator::new(backend, model, spec, data, conditioning, seed)?;
    estimator.estimate(data, conditioning)
}

/// The samplers of both phases, kept between gradient steps: the positive chains take each new batch
/// of rows as clamp values, the negative chains persist (PCD) and take each new set of parameters.
pub struct KlGradEstimator {
    spec: TrainingSpec,
    beta: f64,
    rows: usize,
    positive: Option<Box<dyn Sampler>>,
    negative: Box<dyn Sampler>,
    edges: Vec<(u32, u32)>,
}

impl KlGradEstimator {
    /// Sets up both phases for batches of `data.nrows()` rows, starting from `data` (and
    /// `conditioning`) as the first batch.
    pub fn new(
        backend: &Backend,
        model: &IsingModel,
        spec: &TrainingSpec,
        data: ArrayView2<'_, i8>,
        conditioning: Option<ArrayView2<'_, i8>>,
        seed: u64,
    ) -> Result<Self> {
        spec.validate(model)?;
        check_batch(spec, data, conditioning)?;
        let rows = data.nrows();
        let k = spec.chains_per_row;
        // Both phases' chains and moment counts fit, before anything is allocated.
        let counts = Observe {
            moments: true,
            ..Observe::default()
        };
        let (n, m) = (model.num_nodes(), model.num_edges());
        let per_row = rows.saturating_mul(k);
        let negative_chains = if conditioning.is_some() {
            per_row
        } else {
            spec.negative_chains
        };
        counts.check_memory(&spec.positive, n, m, per_row)?;
        counts.check_memory(&spec.negative, n, m, negative_chains)?;
        let positive = if spec.latent_nodes(model).is_empty() {
            None
        } else {
            let clamped: Vec<u32> = spec
                .data_nodes
                .iter()
                .chain(&spec.conditioning_nodes)
                .copied()
                .collect();
            let program = SamplingProgram::new(model.clone(), Blocks::Auto, &clamped)?;
            let values = per_chain_rows(&positive_rows(data, conditioning), k);
            Some(backend.sampler(
                &program,
                &SamplerConfig::new(rows * k).seed(seed).clamp_values(values),
            )?)
        };
        let negative_seed = derived_seed(seed, Purpose::NegativePhase);
        let program = SamplingProgram::new(model.clone(), Blocks::Auto, &spec.conditioning_nodes)?;
        let negative = match conditioning {
            Some(cond) => {
                let values = per_chain_rows(&cond.to_owned(), k);
                backend.sampler(
                    &program,
                    &SamplerConfig::new(rows * k)
                        .seed(negative_seed)
                        .clamp_values(values),
                )?
            }
            None => backend.sampler(
                &program,
                &SamplerConfig::new(spec.negative_chains).seed(negative_seed),
            )?,
        };
        Ok(KlGradEstimator {
            spec: spec.clone(),
            beta: f64::from(model.beta()),
            rows,
            positive,
            negative,
            edges: model.edges().to_vec(),
        })
    }

    /// Both phases' chains: the positive phase's (when the model has latent nodes) and the
    /// negative phase's.
    pub fn save_states(&mut self) -> Result<(Option<SamplerState>, SamplerState)> {
        let positive = match &mut self.positive {
            Some(sampler) => Some(sampler.save_state()?),
            None => None,
        };
        Ok((positive, self.negative.save_state()?))
    }

    /// Puts both phases' chains back as [`KlGradEstimator::save_states`] gave them; an error
    /// naming the mismatch when they do not fit these phases.
    pub fn restore_states(
        &mut self,
        positive: Option<&SamplerState>,
        negative: &SamplerState,
    ) -> Result<()> {
        match (&mut self.positive, positive) {
            (Some(sampler), Some(state)) => sampler.restore_state(state)?,
            (None, None) => {}
            _ => {
                return Err(Error::invalid(
                    "positive phase",
                    "the saved states have a positive phase where this model has none, or none where it has one",
                ));
            }
        }
        self.negative.restore_state(negative)
    }

    /// Takes new weights, biases and beta (same nodes and edges) in both phases.
    pub fn set_model(&mut self, model: &IsingModel) -> Result<()> {
        if let Some(positive) = &mut self.positive {
            positive.set_parameters(model)?;
        }
        self.negative.set_parameters(model)?;
        self.beta = f64::from(model.beta());
        Ok(())
    }

    /// The gradient for one batch of rows (as many as the first batch), continuing every chain.
    pub fn estimate(
        &mut self,
        data: ArrayView2<'_, i8>,
        conditioning: Option<ArrayView2<'_, i8>>,
    ) -> Result<KlGradEstimate> {
        check_batch(&self.spec, data, conditioning)?;
        if data.nrows() != self.rows {
            return Err(Error::invalid(
                "data",
                format!(
                    "a batch of {} rows; this estimator was set up for {}",
                    data.nrows(),
                    self.rows
                ),
            ));
        }
        let k = self.spec.chains_per_row;
        let data_phase = match &mut self.positive {
            Some(sampler) => {
                let values = per_chain_rows(&positive_rows(data, conditioning), k);
                sampler.set_clamp_values(values.view())?;
                phase_moments(&sampler.estimate_moments(&self.spec.positive)?, k)
            }
            None => moments_of_rows(&self.spec, &self.edges, data, conditioning),
        };
        let model_phase = match conditioning {
            Some(cond) => {
                self.negative
                    .set_clamp_values(per_chain_rows(&cond.to_owned(), k).view())?;
                phase_moments(&self.negative.estimate_moments(&self.spec.negative)?, k)
            }
            None => phase_moments(&self.negative.estimate_moments(&self.spec.negative)?, 1),
        };
        Ok(KlGradEstimate::from_phases(
            self.beta,
            data_phase,
            model_phase,
        ))
    }
}

fn check_batch(
    spec: &TrainingSpec,
    data: ArrayView2<'_, i8>,
    conditioning: Option<ArrayView2<'_, i8>>,
) -> Result<()> {
    check_rows("data", data, spec.data_nodes.len())?;
    match conditioning {
        Some(_) if spec.conditioning_nodes.is_empty() => Err(Error::invalid(
            "conditioning",
            "conditioning rows given, but the spec has no conditioning nodes",
        )),
        Some(cond) => {
            check_rows("conditioning data", cond, spec.conditioning_nodes.len())?;
            if cond.nrows() != data.nrows() {
                return Err(Error::invalid(
                    "conditioning",
                    format!(
                        "{} conditioning rows for {} data rows",
                        cond.nrows(),
                        data.nrows()
                    ),
                ));
            }
            Ok(())
        }
        None if !spec.conditioning_nodes.is_empty() => Err(Error::invalid(
            "conditioning",
            "the spec has conditioning nodes; give their rows",
        )),
        None => Ok(()),
    }
}

/// Data columns then conditioning columns, the order of the positive phase's clamped nodes.
fn positive_rows(data: ArrayView2<'_, i8>, conditioning: Option<ArrayView2<'_, i8>>) -> Array2<i8> {
    match conditioning {
        Some(cond) => concatenate![Axis(1), data, cond],
        None => data.to_owned(),
    }
}

/// Each row repeated for its `k` chains: chain `c` gets row `c / k`.
fn per_chain_rows(rows: &Array2<i8>, k: usize) -> Array2<i8> {
    Array2::from_shape_fn((rows.nrows() * k, rows.ncols()), |(c, j)| rows[(c / k, j)])
}

/// Moments straight from fully observed rows (no latent nodes); errors from the spread of rows.
fn moments_of_rows(
    spec: &TrainingSpec,
    edges: &[(u32, u32)],
    data: ArrayView2<'_, i8>,
    conditioning: Option<ArrayView2<'_, i8>>,
) -> PhaseMoments {
    let rows = positive_rows(data, conditioning);
    let nodes: Vec<u32> = spec
        .data_nodes
        .iter()
        .chain(&spec.conditioning_nodes)
        .copied()
        .collect();
    let n = nodes.len();
    let mut column = vec![0usize; n];
    for (c, &i) in nodes.iter().enumerate() {
        column[i as usize] = c;
    }
    let per_row_nodes =
        Array2::from_shape_fn((rows.nrows(), n), |(r, i)| f64::from(rows[(r, column[i])]));
    let per_row_edges = Array2::from_shape_fn((rows.nrows(), edges.len()), |(r, k)| {
        let (i, j) = edges[k];
        f64::from(rows[(r, column[i as usize])] * rows[(r, column[j as usize])])
    });
    PhaseMoments {
        node_means: per_row_nodes.mean_axis(Axis(0)).expect("rows"),
        edge_means: per_row_edges.mean_axis(Axis(0)).expect("rows"),
        node_stderr: crate::stats::column_stderr(per_row_nodes.view()),
        edge_stderr: crate::stats::column_stderr(per_row_edges.view()),
    }
}

/// Means and errors of a phase whose chains come in groups of `k` per row: the mean over rows of each
/// row's mean, with the error from the spread inside each group (from all chains when `k == 1`).
fn phase_moments(moments: &Moments, k: usize) -> PhaseMoments {
    let group = if k < 2 { moments.chains() } else { k };
    let (node_stderr, edge_stderr) = moments.node_edge_stderr_in_groups(group);
    PhaseMoments {
        node_means: moments.node_means(),
        edge_means: moments.edge_means(),
        node_stderr,
        edge_stderr,
    }
}
