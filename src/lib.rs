//! Define, sample and train Ising models by block Gibbs sampling.
//!
//! Conventions are THRML's: spins are -1/+1, `E(s) = -beta (sum_i b_i s_i + sum_k J_k s_i s_j)`,
//! `P(s) ∝ exp(-E(s))`, and a heat-bath update sets `s_i = +1` with probability
//! `sigmoid(2 beta (b_i + sum_j J_ij s_j))`; a Metropolis update ([`UpdateRule`]) flips `s_i` with
//! probability `min(1, exp(-beta dE))`.
//!
//! Data flows one way: [`IsingModel`] -> [`graph`] (CSR, colouring into blocks) ->
//! [`SamplingProgram`] -> a [`Sampler`] backend -> [`Moments`] or samples. [`exact`] enumerates
//! small models and holds the closed-form lattice results the samplers are tested against.
//!
//! Inside, each update algorithm (the general update over CSR weights, the lattice path, the
//! site-packed lattice; `src/update/`) and each observation (samples, moment counts; `src/observe/`)
//! keeps its WGSL kernel beside its host twin under one name, and the executors (`src/backend/`: CPU
//! threads and vector levels, GPU context, planning, pipelines and buffers) run them; [`shaders`]
//! composes the kernels and declares their bindings, and [`rng`] names every random stream.
//!
//! Lattices have two fast layouts: [`Lattice::program`] marks a periodic lattice for the samplers'
//! lattice path (many chains, 32 a word), and [`SitePackedLattice`] packs one huge lattice 32 sites a
//! word ([`Backend::site_packed`]).
//!
//! ```
//! use ising_wgpu::{Blocks, CpuSampler, IsingModel, Sampler, SamplerConfig, SamplingProgram, SamplingSchedule};
//! // A 5-spin chain, THRML's first example.
//! let edges: Vec<(u32, u32)> = (0..4).map(|i| (i, i + 1)).collect();
//! let model = IsingModel::new(5, edges, vec![0.5; 4], vec![0.0; 5], 1.0)?;
//! let program = SamplingProgram::new(model, Blocks::Auto, &[])?;
//! let schedule = SamplingSchedule::new(100, 1000, 2)?;
//! let mut sampler = CpuSampler::new(&program, &SamplerConfig::new(64))?;
//! let samples = sampler.sample(&schedule, &[0, 4])?; // samples x chains x nodes
//! assert_eq!(samples.shape(), &[1000, 64, 2]);
//! let moments = sampler.estimate_moments(&schedule)?;
//! println!("<s0 s1> = {:.3} +/- {:.3}", moments.edge_means()[0], moments.edge_stderr()[0]);
//! # Ok::<(), ising_wgpu::Error>(())
//! ```

pub mod anneal;
mod backend;
mod budget;
#[cfg(feature = "mpi")]
pub mod distributed;
pub use budget::MEMORY_VARIABLE;
mod error;
pub mod exact;
pub mod graph;
pub mod io;
mod model;
mod moments;
mod observe;
mod packed;
pub mod problem;
mod program;
pub mod render;
pub mod rng;
pub mod shaders;
mod spin;
mod stats;
pub mod temper;
pub mod train;
mod update;
pub use backend::{
    Backend, CHAIN_MAJOR_SPIN_WGSL, ChainMajorSpins, CpuSampler, CpuSitePacked, EnergyBuffer,
    GeneralKernel, GpuContext, GpuSampler, GpuSitePacked, LaneSwap, LatticeKernel, MultiGpuSampler,
    Observables, Pace, PlanLimits, SITE_PACKED_SPIN_WGSL, SITE_PACKED_WORD, Sampler, SamplerConfig,
    SamplerState, ScheduleRun, SitePackedCounts, SitePackedKernel, SitePackedLattice,
    SitePackedSampler, SitePackedSpins, UpdatePath, UpdateRule, run_in_parts, sweep_in_parts,
    tuned_general_kernel, tuned_lattice_kernel, tuned_site_packed_kernel,
    tuned_words_per_invocation, tuned_workgroup_size,
};
pub use error::{Error, Result};
pub use exact::{ExactMoments, KlGradient, exact_kl_grad, exact_moments, physics};
pub use graph::Lattice;
pub use model::IsingModel;
pub use moments::Moments;
pub use observe::{EnergyTrace, Observe, Observed, OverlapStats, OverlapTrace};
pub use packed::PackedSpins;
pub use program::{Blocks, Init, SamplingProgram, SamplingSchedule, Temperatures};
pub use stats::mean_and_stderr;
pub use wgpu;

/// The README's Rust example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
