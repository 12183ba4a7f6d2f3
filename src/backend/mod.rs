//! Samplers: where the block Gibbs sweeps run. Every backend draws the same numbers for the same seed.

mod cpu;
mod gpu;
mod sweep;

pub use cpu::CpuSampler;
pub use gpu::{GpuContext, GpuSampler, PlanLimits};

use ndarray::{Array2, Array3};

use crate::error::Result;
use crate::moments::Moments;
use crate::program::SamplingSchedule;

/// How the free spins of each chain start.
#[derive(Clone, Debug, PartialEq)]
pub enum Init {
    /// THRML's `hinton_init`: each spin up with probability `sigmoid(beta * b_i)`.
    Hinton,
    /// Each spin up with probability 1/2.
    Uniform,
    /// Given states, chains x nodes, values -1/+1 (clamped nodes are overwritten by their values).
    States(Array2<i8>),
}

/// The sampling calls every backend offers. Chains persist between calls: each call continues where
/// the previous one stopped, with fresh random numbers.
pub trait Sampler {
    /// Runs `schedule` and returns the spins of `nodes` at each sample point, samples x chains x nodes.
    fn sample(&mut self, schedule: &SamplingSchedule, nodes: &[u32]) -> Result<Array3<i8>>;

    /// Runs `schedule` and returns the node and edge moment counts of all its samples.
    fn estimate_moments(&mut self, schedule: &SamplingSchedule) -> Result<Moments>;

    /// The current state of every chain, chains x nodes.
    fn state(&mut self) -> Result<Array2<i8>>;

    /// A short name of the backend, such as "cpu".
    fn backend_name(&self) -> String;
}
