//! The training loop: mini-batches of rows, persistent negative chains, an optimiser, weight decay and
//! a learning-rate decay per epoch.

use ndarray::{Array1, Array2, ArrayView2, Axis, Ix1};

use super::kl_grad::{KlGradEstimate, KlGradEstimator};
use super::optim::{Optimizer, OptimizerState};
use super::spec::TrainingSpec;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::io::Checkpoint;
use crate::model::IsingModel;
use crate::rng::{Purpose, key_of, philox4x32_10, tag};

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
    // Views of one lifetime, the run's.
    let (data, conditioning) = (data.view(), conditioning.as_ref().map(|c| c.view()));
    let mut run = TrainRun::new(backend, model, spec, data, conditioning, config)?;
    while !run.finished() {
        let gradient = run.step()?;
        if !report(&run.report(&gradient)) && !run.finished() {
            return Err(Error::Interrupted {
                done: run.steps_done() as u64,
                total: run.total_steps() as u64,
                unit: "gradient steps",
            });
        }
    }
    Ok(run.into_model())
}

/// A training run taken a gradient step at a time: the parameters (in `f64`, as the optimiser
/// holds them), the optimiser's moments, the learning rate and both phases' chains, which together
/// are all a checkpoint needs ([`TrainRun::store`], [`TrainRun::restore`]).
pub struct TrainRun<'d> {
    config: TrainConfig,
    data: ArrayView2<'d, i8>,
    conditioning: Option<ArrayView2<'d, i8>>,
    /// Rows per step, and steps per epoch.
    batch: usize,
    batches: usize,
    estimator: KlGradEstimator,
    model: IsingModel,
    /// Weights then biases.
    params: Vec<f64>,
    optimizer: OptimizerState,
    learning_rate: f64,
    /// The rate of the last step taken.
    last_rate: f64,
    /// Steps taken.
    steps: usize,
    /// The row order of the current epoch.
    order: Vec<usize>,
}

impl<'d> TrainRun<'d> {
    /// Nothing trained yet: both phases set up on the first batch ([`train`] says what the
    /// arguments are); an error naming the first bad field of `config` or of the data.
    pub fn new(
        backend: &Backend,
        model: &IsingModel,
        spec: &TrainingSpec,
        data: ArrayView2<'d, i8>,
        conditioning: Option<ArrayView2<'d, i8>>,
        config: &TrainConfig,
    ) -> Result<Self> {
        config.check()?;
        let batch = config.batch_rows.min(data.nrows());
        let order = permutation(data.nrows(), config.seed, 0);
        let first = &order[..batch];
        let estimator = KlGradEstimator::new(
            backend,
            model,
            spec,
            data.select(Axis(0), first).view(),
            take(first, conditioning).as_ref().map(Array2::view),
            config.seed,
        )?;
        let params: Vec<f64> = model
            .weights()
            .iter()
            .chain(model.biases())
            .map(|&v| f64::from(v))
            .collect();
        Ok(TrainRun {
            optimizer: OptimizerState::new(config.optimizer, params.len()),
            config: config.clone(),
            data,
            conditioning,
            batch,
            batches: data.nrows() / batch.max(1),
            estimator,
            model: model.clone(),
            params,
            learning_rate: config.learning_rate,
            last_rate: config.learning_rate,
            steps: 0,
            order,
        })
    }

    /// Takes the next gradient step and returns its estimate (before weight decay).
    pub fn step(&mut self) -> Result<KlGradEstimate> {
        let (batch, b) = (self.batch, self.steps % self.batches);
        let chosen = &self.order[b * batch..(b + 1) * batch];
        let gradient = self.estimator.estimate(
            self.data.select(Axis(0), chosen).view(),
            take(chosen, self.conditioning).as_ref().map(Array2::view),
        )?;
        let m = self.model.num_edges();
        let mut grad: Vec<f64> = gradient
            .grad_weights
            .iter()
            .chain(&gradient.grad_biases)
            .copied()
            .collect();
        for (g, &w) in grad[..m].iter_mut().zip(&self.params[..m]) {
            *g += self.config.weight_decay * w;
        }
        self.optimizer
            .step(&mut self.params, &grad, self.learning_rate);
        self.last_rate = self.learning_rate;
        self.set_model()?;
        self.steps += 1;
        if self.steps.is_multiple_of(self.batches) && !self.finished() {
            self.learning_rate *= self.config.learning_rate_decay;
            let epoch = (self.steps / self.batches) as u64;
            self.order = permutation(self.data.nrows(), self.config.seed, epoch);
        }
        Ok(gradient)
    }

    /// The model of the parameters so far, in both phases.
    fn set_model(&mut self) -> Result<()> {
        let m = self.model.num_edges();
        let (weights, biases) = self.params.split_at(m);
        self.model
            .set_weights(weights.iter().map(|&v| v as f32).collect())?;
        self.model
            .set_biases(biases.iter().map(|&v| v as f32).collect())?;
        self.estimator.set_model(&self.model)
    }

    /// What [`train`] reports of the step just taken, whose estimate was `gradient`.
    pub fn report<'a>(&'a self, gradient: &'a KlGradEstimate) -> StepReport<'a> {
        let step = self.steps.saturating_sub(1);
        let epoch = step / self.batches;
        StepReport {
            epoch,
            step,
            total_steps: self.total_steps(),
            learning_rate: self.last_rate,
            gradient,
            model: &self.model,
            epoch_done: self.steps.is_multiple_of(self.batches),
        }
    }

    /// Whether every step of every epoch has been taken.
    pub fn finished(&self) -> bool {
        self.steps == self.total_steps()
    }

    /// Gradient steps taken.
    pub fn steps_done(&self) -> usize {
        self.steps
    }

    /// Gradient steps of the whole run.
    pub fn total_steps(&self) -> usize {
        self.config.epochs * self.batches
    }

    /// The model so far.
    pub fn model(&self) -> &IsingModel {
        &self.model
    }

    /// The trained model (so far, if the run has not finished).
    pub fn into_model(self) -> IsingModel {
        self.model
    }

    /// Stores the run's progress under `train.*` and both phases' chains under `positive.` and
    /// `negative.` prefixes of the sampler state's names.
    pub fn store(&mut self, checkpoint: &mut Checkpoint) -> Result<()> {
        let floats = |v: &[f64]| Array1::from(v.to_vec()).into_dyn();
        checkpoint.put("train.params", &floats(&self.params));
        let (first, second) = self.optimizer.moments();
        checkpoint.put("train.optimizer_first", &floats(first));
        checkpoint.put("train.optimizer_second", &floats(second));
        checkpoint.put_count("train.steps", self.steps as u64);
        checkpoint.put("train.learning_rate", &floats(&[self.learning_rate]));
        let (positive, negative) = self.estimator.save_states()?;
        for (prefix, state) in [("positive.", positive), ("negative.", Some(negative))] {
            if let Some(state) = state {
                let mut phase = Checkpoint::default();
                phase.put_sampler_state(&state);
                checkpoint.absorb(prefix, phase);
            }
        }
        Ok(())
    }

    /// This run (just made, by [`TrainRun::new`] with the same arguments) continued from where
    /// [`TrainRun::store`] left one in `checkpoint`; an error naming what does not fit.
    pub fn restore(&mut self, checkpoint: &Checkpoint) -> Result<()> {
        let bad = |what: &str| {
            Error::invalid(
                "checkpoint",
                format!("its training {what} do not fit this run"),
            )
        };
        let floats = |name: &str, len: usize| -> Result<Vec<f64>> {
            let v: Vec<f64> = checkpoint.require::<f64, Ix1>(name)?.into_iter().collect();
            match v.len() == len && v.iter().all(|x| x.is_finite()) {
                true => Ok(v),
                false => Err(bad("parameters")),
            }
        };
        let len = self.params.len();
        let params = floats("train.params", len)?;
        let first = floats("train.optimizer_first", len)?;
        let second = floats("train.optimizer_second", len)?;
        let learning_rate = floats("train.learning_rate", 1)?[0];
        let steps = checkpoint.count("train.steps")?;
        // The optimiser has taken one step a gradient step.
        let optimizer_steps = i32::try_from(steps).map_err(|_| bad("step counts"))?;
        if steps > self.total_steps() as u64 {
            return Err(bad("step counts"));
        }
        let positive = checkpoint.extract("positive.");
        let positive = match positive.is_empty() {
            true => None,
            false => Some(positive.sampler_state()?),
        };
        let negative = checkpoint.extract("negative.").sampler_state()?;
        self.estimator
            .restore_states(positive.as_ref(), &negative)?;
        self.params = params;
        self.optimizer.restore(first, second, optimizer_steps);
        self.learning_rate = learning_rate;
        self.steps = steps as usize;
        let epoch = (self.steps / self.batches) as u64;
        self.order = permutation(self.data.nrows(), self.config.seed, epoch);
        self.set_model()
    }
}

/// The rows `rows` of `m`, if there is one.
fn take(rows: &[usize], m: Option<ArrayView2<'_, i8>>) -> Option<Array2<i8>> {
    m.map(|m| m.select(Axis(0), rows))
}

/// A permutation of `0..n` for `epoch`, from Philox (Fisher-Yates), so row order depends only on the seed.
fn permutation(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let key = key_of(seed);
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
