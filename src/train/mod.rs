//! Training: THRML's `IsingTrainingSpec`, `estimate_kl_grad` and a training loop with persistent chains.

mod kl_grad;
mod optim;
mod spec;
mod trainer;

pub use kl_grad::{KlGradEstimate, KlGradEstimator, PhaseMoments, estimate_kl_grad};
pub use optim::Optimizer;
pub use spec::TrainingSpec;
pub use trainer::{StepReport, TrainConfig, TrainRun, train};
