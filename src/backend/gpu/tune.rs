//! Choosing the launch shape of the general update and the site-packed kernel by measurement, once per
//! adapter: kept for the process, and on disk for later processes (`tune_cache`).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::context::GpuContext;
use super::plan::{GeneralKernel, LatticeKernel, PlanLimits};
use super::sampler::GpuSampler;
use super::site_packed::{GpuSitePacked, SitePackedKernel};
use super::tune_cache::DiskCache;
use crate::backend::Sampler;
use crate::backend::SamplerConfig;
use crate::backend::SitePackedSampler;
use crate::error::Result;
use crate::graph::Lattice;
use crate::model::IsingModel;
use crate::program::Init;
use crate::program::{Blocks, SamplingProgram, SamplingSchedule};
use crate::shaders::{self, Kernel, Multiply};
use crate::update::site_packed::SitePackedLattice;

/// Workgroup sizes tried, where the device allows them.
const CANDIDATES: [u32; 4] = [32, 64, 128, 256];

/// Words per invocation of the general update tried.
const WORDS_CANDIDATES: [u32; 3] = [1, 2, 4];

impl PlanLimits {
    /// The device's limits with the workgroup size and words per invocation measured fastest on it,
    /// as the samplers plan with by default. Measured once per adapter, then kept for the process
    /// and in the tuning file for later ones: each workgroup size runs 20 sweeps of 256 chains of a
    /// degree-12 graph at one word per invocation, then 2 and 4 words run at the fastest size.
    pub fn tuned(ctx: &GpuContext) -> Result<Self> {
        let launch = tuned_launch(ctx)?;
        Ok(PlanLimits {
            workgroup_size: launch.workgroup_size,
            words_per_invocation: launch.words_per_invocation,
            general_kernel: launch.general_kernel,
            ..PlanLimits::of_device(&ctx.device().limits())
        })
    }
}

/// The launch shape of the general update measured fastest on an adapter.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct Launch {
    workgroup_size: u32,
    words_per_invocation: u32,
    general_kernel: GeneralKernel,
}

/// `measure()` once per adapter, then the cached result: the process's, else the tuning file's
/// entry for `what` on the adapter measured with these `kernels` (where the measurement is then
/// stored): a kernel that changes is measured again.
fn cached<T: Copy + Serialize + DeserializeOwned>(
    cache: &OnceLock<Mutex<HashMap<String, T>>>,
    (what, kernels): (&str, &[Kernel]),
    ctx: &GpuContext,
    measure: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let key = adapter_key(ctx);
    let cache = cache.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&key).copied()) {
        return Ok(found);
    }
    let disk = DiskCache::from_env();
    let mut sources = DefaultHasher::new();
    for kernel in kernels {
        kernel.source(Multiply::Emulated).hash(&mut sources);
    }
    let entry = format!("{what} (kernels {:016x}) on {key}", sources.finish());
    let found = match disk.as_ref().and_then(|d| d.get(&entry)) {
        Some(found) => found,
        None => {
            let found = measure()?;
            if let Some(disk) = &disk {
                disk.put(&entry, &found);
            }
            found
        }
    };
    if let Ok(mut cache) = cache.lock() {
        cache.insert(key, found);
    }
    Ok(found)
}

/// What tells an adapter from others: its name, backend and type, driver and
/// driver version, vendor and device ids.
fn adapter_key(ctx: &GpuContext) -> String {
    let info = ctx.adapter_info();
    format!(
        "{}; driver {} {}; vendor {:#x} device {:#x}",
        ctx.describe(),
        info.driver,
        info.driver_info,
        info.vendor,
        info.device
    )
}

/// The fastest workgroup size of the general kernel on `ctx`'s adapter, as [`PlanLimits::tuned`]
/// measures it. Samples never depend on the choice.
pub fn tuned_workgroup_size(ctx: &GpuContext) -> Result<u32> {
    Ok(tuned_launch(ctx)?.workgroup_size)
}

/// The fastest number of chain words per invocation of the general kernel on `ctx`'s adapter, as
/// [`PlanLimits::tuned`] measures it. Samples never depend on the choice.
pub fn tuned_words_per_invocation(ctx: &GpuContext) -> Result<u32> {
    Ok(tuned_launch(ctx)?.words_per_invocation)
}

/// The variant of the general update measured fastest on `ctx`'s adapter, as [`PlanLimits::tuned`]
/// measures it. Samples never depend on the choice.
pub fn tuned_general_kernel(ctx: &GpuContext) -> Result<GeneralKernel> {
    Ok(tuned_launch(ctx)?.general_kernel)
}

/// The launch shape of the general kernel, measured once per adapter, then cached: each
/// workgroup size runs 20 sweeps of 256 chains of [`tuning_program`] at one word per invocation, then
/// each larger number of words per invocation at the fastest size, then the one-lane-a-chain
/// variants the device runs at that size and at 256.
fn tuned_launch(ctx: &GpuContext) -> Result<Launch> {
    static TUNED: OnceLock<Mutex<HashMap<String, Launch>>> = OnceLock::new();
    let measured = [
        shaders::GENERAL,
        shaders::GENERAL_2,
        shaders::GENERAL_4,
        shaders::GENERAL_LANES,
        shaders::GENERAL_BALLOT,
    ];
    cached(&TUNED, ("general launch", &measured), ctx, || {
        measure_launch(ctx)
    })
}

/// A graph of 8192 nodes, each joined to those 1, 5, 17, 65, 257 and 1025 places on either side
/// (degree 12, neighbours spread through memory as in Pegasus), with standard normal weights and
/// biases: the general path's tuning model.
fn tuning_program() -> Result<SamplingProgram> {
    const NODES: u32 = 8192;
    let edges = (0..NODES)
        .flat_map(|i| [1, 5, 17, 65, 257, 1025].map(|d| (i, (i + d) % NODES)))
        .collect();
    let model = IsingModel::random_normal(NODES as usize, edges, 1.0, 0)?;
    SamplingProgram::new(model, Blocks::Auto, &[])
}

fn measure_launch(ctx: &GpuContext) -> Result<Launch> {
    let program = tuning_program()?;
    // 20 sweeps of a candidate after 2 untimed ones; a candidate whose first sweep already takes
    // longer than 10 of the best so far (10 times slower a sweep) is not timed further.
    let time = |limits: PlanLimits, best: f64| -> Result<(f64, PlanLimits)> {
        let mut sampler = GpuSampler::with_limits(
            ctx,
            &program,
            &SamplerConfig::new(256).init(Init::Uniform),
            limits,
        )?;
        let start = Instant::now();
        sampler.sweep(1)?;
        if start.elapsed().as_secs_f64() > best / 2.0 {
            return Ok((f64::INFINITY, limits));
        }
        sampler.sweep(1)?;
        let start = Instant::now();
        sampler.sample(&SamplingSchedule::new(20, 1, 1)?, &[0])?;
        Ok((start.elapsed().as_secs_f64(), limits))
    };
    // The fastest of `best` and `candidates`. A candidate the device cannot run (a driver may refuse
    // the 128-chain kernel) is passed over; if none runs, the sampler's own start-up reports why.
    let fastest = |mut best: (f64, PlanLimits),
                   candidates: &mut dyn Iterator<Item = PlanLimits>| {
        for limits in candidates {
            if let Ok(timed) = time(limits, best.0)
                && timed.0 < best.0
            {
                best = timed;
            }
        }
        best
    };
    let device = PlanLimits::of_device(&ctx.device().limits());
    let most = ctx.device().limits().max_compute_invocations_per_workgroup;
    let mut sizes = CANDIDATES
        .into_iter()
        .filter(|&s| s <= most)
        .map(|workgroup_size| PlanLimits {
            workgroup_size,
            ..device
        });
    let size = fastest((f64::INFINITY, device), &mut sizes);
    let mut words = WORDS_CANDIDATES
        .into_iter()
        .filter(|&w| w > 1)
        .map(|words_per_invocation| PlanLimits {
            words_per_invocation,
            ..size.1
        });
    let words = fastest(size, &mut words);
    let features = ctx.device().features();
    let max_subgroup = ctx.adapter_info().subgroup_max_size;
    let mut sizes = vec![words.1.workgroup_size];
    if most >= 256 && words.1.workgroup_size != 256 {
        sizes.push(256);
    }
    let mut lanes = [GeneralKernel::Lanes, GeneralKernel::Ballot]
        .into_iter()
        .flat_map(|general_kernel| {
            sizes.iter().map(move |&workgroup_size| PlanLimits {
                workgroup_size,
                general_kernel,
                ..words.1
            })
        })
        .filter(|l| {
            l.general_kernel
                .unavailable(l.workgroup_size, features, max_subgroup)
                .is_none()
        });
    let (_, best) = fastest(words, &mut lanes);
    Ok(Launch {
        workgroup_size: best.workgroup_size,
        words_per_invocation: best.words_per_invocation,
        general_kernel: best.general_kernel,
    })
}

/// The faster lattice-path update on `ctx`'s adapter: each runs 10 sweeps of 64 chains of a 256 x 256
/// torus three times, in turns, after 2 untimed sweeps; the best time of each decides. Measured once
/// per adapter, then cached. Samples never depend on the choice.
pub fn tuned_lattice_kernel(ctx: &GpuContext) -> Result<LatticeKernel> {
    static TUNED: OnceLock<Mutex<HashMap<String, LatticeKernel>>> = OnceLock::new();
    let measured = [shaders::LATTICE, shaders::LATTICE_TILED];
    cached(&TUNED, ("lattice kernel", &measured), ctx, || {
        let program = Lattice::square(256, 256, true)?.program(1.0, 0.0, 0.44)?;
        let limits = PlanLimits::tuned(ctx)?;
        let kernels = [LatticeKernel::Sites, LatticeKernel::Tiles];
        let mut samplers = Vec::new();
        for lattice_kernel in kernels {
            let limits = PlanLimits {
                lattice_kernel,
                ..limits
            };
            let config = SamplerConfig::new(64).init(Init::Uniform);
            let mut sampler = GpuSampler::with_limits(ctx, &program, &config, limits)?;
            sampler.sweep(2)?;
            samplers.push(sampler);
        }
        let faster = faster_of(&mut samplers, 3, |s| Sampler::sweep(s, 10))?;
        Ok(kernels[faster])
    })
}

/// Which of `samplers` runs `work` fastest, each in turn `rounds` times, by its best time.
fn faster_of<S>(
    samplers: &mut [S],
    rounds: usize,
    mut work: impl FnMut(&mut S) -> Result<()>,
) -> Result<usize> {
    let mut best = vec![f64::INFINITY; samplers.len()];
    for _ in 0..rounds {
        for (sampler, best) in samplers.iter_mut().zip(&mut best) {
            let start = Instant::now();
            work(sampler)?;
            *best = best.min(start.elapsed().as_secs_f64());
        }
    }
    Ok((0..best.len())
        .min_by(|&a, &b| best[a].total_cmp(&best[b]))
        .unwrap_or(0))
}

/// The faster site-packed update kernel on `ctx`'s adapter: each runs 8 sweeps of a 2048 x 2048
/// torus five times, in turns, after 2 untimed sweeps; the best time of each decides. Measured once
/// per adapter, then cached. Samples never depend on the choice.
pub fn tuned_site_packed_kernel(ctx: &GpuContext) -> Result<SitePackedKernel> {
    static TUNED: OnceLock<Mutex<HashMap<String, SitePackedKernel>>> = OnceLock::new();
    let measured = [shaders::SITE_PACKED, shaders::SITE_PACKED_TILED];
    cached(&TUNED, ("site-packed kernel", &measured), ctx, || {
        let lattice = SitePackedLattice::square(2048, 2048, 1.0, 0.0, 0.44)?;
        let limits = PlanLimits::tuned(ctx)?;
        let size = limits.workgroup_size;
        if !size.is_multiple_of(32) || size > 256 {
            return Ok(SitePackedKernel::Words);
        }
        let kernels = [SitePackedKernel::Words, SitePackedKernel::Tiles];
        let mut samplers = Vec::new();
        for kernel in kernels {
            let init = Init::Uniform;
            let mut sampler = GpuSitePacked::with_limits(ctx, &lattice, 0, init, limits, kernel)?;
            sampler.sweep(2)?;
            sampler.observables()?;
            samplers.push(sampler);
        }
        let faster = faster_of(&mut samplers, 5, |s| {
            SitePackedSampler::sweep(s, 8)?;
            s.observables().map(|_| ())
        })?;
        Ok(kernels[faster])
    })
}
