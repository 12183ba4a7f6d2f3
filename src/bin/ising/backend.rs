//! `--backend auto|gpu|cpu`: which sampler runs the sweeps, with a notice when auto falls back.

use ising_wgpu::{Backend, GpuContext};

/// Which backend runs the sweeps.
#[derive(Clone, Copy, clap::ValueEnum)]
enum BackendChoice {
    /// A hardware GPU when there is one, else the CPU backend (with a notice on stderr).
    Auto,
    /// A GPU adapter (WGPU_BACKEND and WGPU_ADAPTER_NAME choose which; under mpirun, one a rank
    /// of the machine's alike adapters); an error if there is none.
    Gpu,
    /// The multi-threaded CPU backend.
    Cpu,
}

/// `--backend` and `--threads`, shared by every sampling subcommand.
#[derive(clap::Args)]
pub(crate) struct BackendArgs {
    /// Backend that runs the sweeps.
    #[arg(long, value_enum, default_value = "auto")]
    backend: BackendChoice,
    /// CPU threads, at least 1 (default: up to all cores, fewer for short runs); results do not
    /// depend on it.
    #[arg(long, value_parser = crate::values::thread_count)]
    threads: Option<usize>,
}

impl BackendArgs {
    /// The backend these arguments name (on each rank, over all of them, under `mpirun`).
    pub(crate) fn open(&self) -> ising_wgpu::Result<Backend> {
        open(self.backend, self.threads).map(crate::ranks::over_ranks)
    }
}

/// The backend `choice` names; `auto` falls back to the CPU, with a notice, when there is no hardware
/// GPU. Under `mpirun` the ranks on a machine with several GPUs take one each.
fn open(choice: BackendChoice, threads: Option<usize>) -> ising_wgpu::Result<Backend> {
    let gpu = || match crate::ranks::ranks() {
        1 => GpuContext::new(),
        _ => GpuContext::for_local_rank(crate::ranks::local_rank()),
    };
    Ok(match choice {
        BackendChoice::Cpu => Backend::Cpu { threads },
        BackendChoice::Gpu => Backend::Gpu(Box::new(gpu()?)),
        BackendChoice::Auto => {
            let (backend, notice) = Backend::auto_on(gpu(), threads);
            if let Some(notice) = notice {
                eprintln!("ising: notice: {notice} (--backend gpu uses any adapter)");
            }
            backend
        }
    })
}
