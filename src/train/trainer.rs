//! The training loop: mini-batches of rows, persistent negative chains, an optimiser, weight decay and
//! a learning-rate decay per epoch.

use ndarray::{Array2, ArrayView2, Axis};

use super::kl_grad::{KlGradEstimate, KlGradEstimator};
use super::optim::{Optimizer, OptimizerState};
use super::spec::TrainingSpec;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::model::IsingModel;
use crate::rng::{Purpose, philox4x32_10, tag};

/// How to train.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Passes over the data.
    pub epochs: usize,
    /// Rows per gradient step (all rows when larger than the data set).
    pub batch_rows: usize,
    /// Learning rate of the first epoch.
    pub learning_rate: f64,
    /// Factor applied to the learning rate after each epoch (1 for a constant rate).
    pub learning_rate_decay: f64,
    /// L2 penalty on the weights (not the biases): adds `weight_decay * J` to each weight gradient.
    pub weight_decay: f64,
    /// The optimiser.
    pub optimizer: Optimizer,
    /// Seed of the chains and of the row order.
    pub seed: u64,
}

impl TrainConfig {
    /// An error naming the first field that cannot train: epochs and batch rows at least 1,
    /// learning rate and its decay finite and above 0, weight decay finite and 0 or more, momentum
    /// in [0, 1), Adam's constants finite (its betas in [0, 1), epsilon above 0).
    ///
    /// ```
    /// use ising_wgpu::train::{Optimizer, TrainConfig};
    /// let mut config = TrainConfig {
    ///     epochs: 1, batch_rows: 10, learning_rate: 0.1, learning_rate_decay: 1.0,
    ///     weight_decay: 0.0, optimizer: Optimizer::adam(), seed: 0,
    /// };
    /// assert!(config.check().is_ok());
    /// config.learning_rate = f64::NAN;
    /// assert!(config.check().unwrap_err().to_string().contains("learning_rate"));
    /// ```
    pub fn check(&self) -> Result<()> {
        let bad = |what: &'static str, why: &str, value: f64| {
            Err(Error::invalid(what, format!("{value} is not {why}")))
        };
        if self.epochs == 0 {
            return Err(Error::invalid("epochs", "train for at least 1 epoch"));
        }
        if self.batch_rows == 0 {
            return Err(Error::invalid("batch_rows", "at least 1 row a step"));
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        let fraction = |v: f64| (0.0..1.0).contains(&v);
        if !positive(self.learning_rate) {
            return bad(
                "learning_rate",
                "a finite number above 0",
                self.learning_rate,
            );
        }
        if !positive(self.learning_rate_decay) {
            return bad(
                "learning_rate_decay",
                "a finite number above 0",
                self.learning_rate_decay,
            );
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(
                "weight_decay",
                "a finite number, 0 or more",
                self.weight_decay,
            );
        }
        match self.optimizer {
            Optimizer::Sgd { momentum } if !fraction(momentum) => {
                bad("momentum", "in [0, 1)", momentum)
            }
            Optimizer::Adam { beta1, .. } if !fraction(beta1) => bad("beta1", "in [0, 1)", beta1),
            Optimizer::Adam { beta2, .. } if !fraction(beta2) => bad("beta2", "in [0, 1)", beta2),
            Optimizer::Adam { epsilon, .. } if !positive(epsilon) => {
                bad("epsilon", "a finite number above 0", epsilon)
            }
            _ => Ok(()),
        }
    }
}

/// What [`train`] reports after each gradient step.
#[derive(Clone, Debug)]
pub struct StepReport<'a> {
    /// Epoch, from 0.
    pub epoch: usize,
    /// Step within all epochs, from 0.
    pub step: usize,
    /// Total steps of the run.
    pub total_steps: usize,
    /// Learning rate of this step.
    pub learning_rate: f64,
    /// The gradient estimate of this step (before weight decay).
    pub gradient: &'a KlGradEstimate,
    /// The model after this step.
    pub model: &'a IsingModel,
    /// Whether this step ends an epoch.
    pub epoch_done: bool,
}

/// Trains `model` on `data` (rows x data nodes; `conditioning` rows x conditioning nodes when the spec
/// has any) and returns the trained model. The negative chains persist between steps (PCD); `report`
/// sees every step, and `false` from it stops the training with [`Error::Interrupted`].
pub fn train(
    backend: &Backend,
    model: &IsingModel,
    spec: &TrainingSpec,
    data: ArrayView2<'_, i8>,
    conditioning: Option<ArrayView2<'_, i8>>,
    config: &TrainConfig,
    mut report: impl FnMut(&StepReport<'_>) -> bool,
) -> Result<IsingModel> {
    config.check()?;
    let batch = config.batch_rows.min(data.nrows());
    let batches = data.nrows() / batch.max(1);
    let take = |rows: &[usize], m: Option<ArrayView2<'_, i8>>| m.map(|m| m.select(Axis(0), rows));
    let order = |epoch: usize| permutation(data.nrows(), config.seed, epoch as u64);
    let first: Vec<usize> = order(0)[..batch].to_vec();
    let mut model = model.clone();
    let mut estimator = KlGradEstimator::new(
        backend,
        &model,
        spec,
        data.select(Axis(0), &first).view(),
        take(&first, conditioning).as_ref().map(Array2::view),
        config.seed,
    )?;
    let m = model.num_edges();
    let mut params: Vec<f64> = model
        .weights()
        .iter()
        .chain(model.biases())
        .map(|&v| f64::from(v))
        .collect();
    let mut optimizer = OptimizerState::new(config.optimizer, params.len());
    let total_steps = config.epochs * batches;
    let mut learning_rate = config.learning_rate;
    for epoch in 0..config.epochs {
        let rows = order(epoch);
        for b in 0..batches {
            let chosen = &rows[b * batch..(b + 1) * batch];
            let gradient = estimator.estimate(
                data.select(Axis(0), chosen).view(),
                take(chosen, conditioning).as_ref().map(Array2::view),
            )?;
            let mut grad: Vec<f64> = gradient
                .grad_weights
                .iter()
                .chain(&gradient.grad_biases)
                .copied()
                .collect();
            for (g, &w) in grad[..m].iter_mut().zip(&params[..m]) {
                *g += config.weight_decay * w;
            }
            optimizer.step(&mut params, &grad, learning_rate);
            model.set_weights(params[..m].iter().map(|&v| v as f32).collect())?;
            model.set_biases(params[m..].iter().map(|&v| v as f32).collect())?;
            estimator.set_model(&model)?;
            let step = epoch * batches + b;
            let go_on = report(&StepReport {
                epoch,
                step,
                total_steps,
                learning_rate,
                gradient: &gradient,
                model: &model,
                epoch_done: b + 1 == batches,
            });
            if !go_on && step + 1 < total_steps {
                return Err(Error::Interrupted {
                    done: (step + 1) as u64,
                    total: total_steps as u64,
                    unit: "gradient steps",
                });
            }
        }
        learning_rate *= config.learning_rate_decay;
    }
    Ok(model)
}

/// A permutation of `0..n` for `epoch`, from Philox (Fisher-Yates), so row order depends only on the seed.
fn permutation(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let key = [seed as u32, (seed >> 32) as u32];
    for i in (1..n).rev() {
        let draw = philox4x32_10(
            [
                i as u32,
                epoch as u32,
                (epoch >> 32) as u32,
                tag(0, Purpose::Shuffle),
            ],
            key,
        );
        let wide = (u64::from(draw[0]) << 32) | u64::from(draw[1]);
        order.swap(i, (wide % (i as u64 + 1)) as usize);
    }
    order
}
