//! The wgpu backend: device acquisition, kernels, buffers and the sampler that drives them.

mod completion;
mod context;
mod multi;
mod pipelines;
mod plan;
mod sampler;
mod site_packed;
mod spin_buffers;
mod transfer;
mod tune;
mod tune_cache;

pub use context::GpuContext;
pub use multi::MultiGpuSampler;
pub use plan::{GeneralKernel, LatticeKernel, PlanLimits};
pub use sampler::GpuSampler;
pub use site_packed::{GpuSitePacked, SitePackedKernel};
pub use spin_buffers::{
    CHAIN_MAJOR_SPIN_WGSL, ChainMajorSpins, EnergyBuffer, SITE_PACKED_SPIN_WGSL, SitePackedCounts,
    SitePackedSpins,
};
#[cfg(feature = "mpi")]
pub(crate) use transfer::read_after;
pub use tune::{
    tuned_general_kernel, tuned_lattice_kernel, tuned_site_packed_kernel,
    tuned_words_per_invocation, tuned_workgroup_size,
};
