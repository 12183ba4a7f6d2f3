//! The wgpu backend: device acquisition, kernels, buffers and the sampler that drives them.

mod context;
mod pipelines;
mod plan;
mod sampler;
mod site_packed;
mod transfer;
mod tune;

pub use context::GpuContext;
pub use plan::PlanLimits;
pub use sampler::GpuSampler;
pub use site_packed::{GpuSitePacked, SitePackedKernel};
pub use tune::{tuned_site_packed_kernel, tuned_words_per_invocation, tuned_workgroup_size};
