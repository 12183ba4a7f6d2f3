//! `--backend auto|gpu|cpu`: which sampler runs the sweeps, with a notice when auto falls back.

use ising_wgpu::{CpuSampler, GpuContext, GpuSampler, Init, Sampler, SamplingProgram};
use ndarray::ArrayView2;

/// Which backend runs the sweeps.
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum Backend {
    /// A hardware GPU when there is one, else the CPU backend (with a notice on stderr).
    Auto,
    /// A GPU adapter (WGPU_BACKEND and WGPU_ADAPTER_NAME choose which); an error if there is none.
    Gpu,
    /// The multi-threaded CPU backend.
    Cpu,
}

/// Chain count, seed, initial state, clamp values and CPU threads of a sampler.
pub(crate) struct ChainSpec<'a> {
    pub(crate) chains: usize,
    pub(crate) seed: u64,
    pub(crate) init: Init,
    pub(crate) clamp: Option<ArrayView2<'a, i8>>,
    pub(crate) threads: Option<usize>,
}

/// A sampler of `program` on `backend`.
pub(crate) fn open(
    backend: Backend,
    program: &SamplingProgram,
    spec: ChainSpec<'_>,
) -> ising_wgpu::Result<Box<dyn Sampler>> {
    let gpu = match backend {
        Backend::Cpu => None,
        Backend::Gpu => Some(GpuContext::new()?),
        Backend::Auto => match GpuContext::new() {
            Ok(ctx) if !ctx.is_software() => Some(ctx),
            Ok(ctx) => {
                eprintln!(
                    "ising: notice: the only GPU adapter is a software one ({}); using the CPU backend, which is faster here (--backend gpu uses the adapter anyway)",
                    ctx.describe()
                );
                None
            }
            Err(e) => {
                eprintln!("ising: notice: {e}; using the CPU backend");
                None
            }
        },
    };
    Ok(match gpu {
        Some(ctx) => Box::new(GpuSampler::new(
            &ctx,
            program,
            spec.chains,
            spec.seed,
            spec.init,
            spec.clamp,
        )?),
        None => {
            let sampler = CpuSampler::new(program, spec.chains, spec.seed, spec.init, spec.clamp)?;
            Box::new(match spec.threads {
                Some(threads) => sampler.with_threads(threads),
                None => sampler,
            })
        }
    })
}
