//! Choosing the workgroup size by measurement, once per process and adapter.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use super::context::GpuContext;
use super::plan::PlanLimits;
use super::sampler::GpuSampler;
use crate::backend::{Init, Sampler};
use crate::error::Result;
use crate::graph::Lattice;
use crate::program::{Blocks, SamplingProgram, SamplingSchedule};

/// Workgroup sizes tried, where the device allows them.
const CANDIDATES: [u32; 4] = [32, 64, 128, 256];

/// The fastest workgroup size of the Gibbs kernel on `ctx`'s adapter: each candidate runs 20 sweeps of
/// 256 chains on a 128 x 128 torus with inexact couplings (the float path); measured once per process
/// and adapter, then cached. Samples never depend on the choice.
pub fn tuned_workgroup_size(ctx: &GpuContext) -> Result<u32> {
    static TUNED: OnceLock<Mutex<HashMap<String, u32>>> = OnceLock::new();
    let key = ctx.describe();
    let cache = TUNED.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(&size) = cache
        .lock()
        .ok()
        .and_then(|c| c.get(&key).copied())
        .as_ref()
    {
        return Ok(size);
    }
    let lattice = Lattice::square(128, 128, true)?;
    let program = SamplingProgram::new(
        lattice.model(0.3, 0.1, 1.0)?,
        Blocks::Given(lattice.blocks().to_vec()),
        &[],
    )?;
    let device = PlanLimits::of_device(&ctx.device().limits());
    let most = ctx.device().limits().max_compute_invocations_per_workgroup;
    let mut best = (f64::INFINITY, device.workgroup_size);
    for size in CANDIDATES.into_iter().filter(|&s| s <= most) {
        let limits = PlanLimits {
            workgroup_size: size,
            ..device
        };
        let mut sampler =
            GpuSampler::with_limits(ctx, &program, 256, 0, Init::Uniform, None, limits)?;
        sampler.sample(&SamplingSchedule::new(2, 1, 1)?, &[0])?;
        let start = Instant::now();
        sampler.sample(&SamplingSchedule::new(20, 1, 1)?, &[0])?;
        let seconds = start.elapsed().as_secs_f64();
        if seconds < best.0 {
            best = (seconds, size);
        }
    }
    if let Ok(mut cache) = cache.lock() {
        cache.insert(key, best.1);
    }
    Ok(best.1)
}
