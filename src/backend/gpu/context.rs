//! [`GpuContext`]: the device and queue every GPU call uses, brought by the caller or created here.

use std::sync::{Arc, Mutex};

use super::completion::completion;
use crate::error::{Error, Result};

/// A wgpu device and queue with the adapter's name and limits. The library never needs to own the
/// device: [`GpuContext::from_device`] wraps one the application already has.
#[derive(Clone, Debug)]
pub struct GpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    info: wgpu::AdapterInfo,
    lost: Arc<Mutex<Option<String>>>,
}

impl GpuContext {
    /// Creates a device on the best adapter, blocking; see [`GpuContext::new_async`].
    pub fn new() -> Result<Self> {
        pollster::block_on(Self::new_async())
    }

    /// Creates a device on the adapter [`GpuContext::choose_adapter`] picks.
    pub async fn new_async() -> Result<Self> {
        Self::from_adapter(&Self::choose_adapter().await?).await
    }

    /// The adapter [`GpuContext::new`] takes, chosen by the environment: `WGPU_BACKEND` (e.g.
    /// `vulkan`, `metal`, `dx12`, `gl`) limits the backends, `WGPU_ADAPTER_NAME` picks an adapter
    /// whose name contains it (case-insensitive); otherwise the high-performance adapter of the
    /// primary backends (Vulkan, Metal, DX12), then of GL. No adapter is an [`Error::NoAdapter`]
    /// saying how to get one.
    pub async fn choose_adapter() -> Result<wgpu::Adapter> {
        let tiers = match wgpu::Backends::from_env() {
            Some(chosen) => vec![chosen],
            None => vec![wgpu::Backends::PRIMARY, wgpu::Backends::SECONDARY],
        };
        let mut found = Err(Error::NoAdapter {
            detail: String::new(),
        });
        for backends in tiers {
            found = find_adapter(backends).await;
            if found.is_ok() {
                break;
            }
        }
        found
    }

    /// The adapter of the `local`-th rank of an MPI job on one machine (e.g.
    /// `distributed::local_rank` with the `mpi` feature): the one `WGPU_ADAPTER_NAME` names, as for every rank;
    /// otherwise the `local % k`-th of the `k` adapters of the backend and device type that
    /// [`GpuContext::choose_adapter`] picks, in wgpu's order, so that the ranks on a machine
    /// with several GPUs take one each.
    pub async fn choose_adapter_for_local_rank(local: usize) -> Result<wgpu::Adapter> {
        let chosen = Self::choose_adapter().await?;
        let named = std::env::var("WGPU_ADAPTER_NAME").is_ok_and(|name| !name.is_empty());
        if named {
            return Ok(chosen);
        }
        let info = chosen.get_info();
        let backends = wgpu::Backends::from(info.backend);
        let mut alike: Vec<wgpu::Adapter> = instance(backends)
            .enumerate_adapters(backends)
            .await
            .into_iter()
            .filter(|a| a.get_info().device_type == info.device_type)
            .collect();
        Ok(match alike.len() {
            0 => chosen,
            k => alike.swap_remove(local % k),
        })
    }

    /// [`GpuContext::new`] for the `local`-th rank on a machine, on the adapter
    /// [`GpuContext::choose_adapter_for_local_rank`] picks.
    pub fn for_local_rank(local: usize) -> Result<Self> {
        pollster::block_on(async {
            Self::from_adapter(&Self::choose_adapter_for_local_rank(local).await?).await
        })
    }

    /// Every adapter wgpu finds on `backends` (all of them with [`wgpu::Backends::all`]), primary
    /// backends first.
    pub async fn adapters(backends: wgpu::Backends) -> Vec<wgpu::Adapter> {
        let mut adapters = Vec::new();
        for tier in [wgpu::Backends::PRIMARY, wgpu::Backends::SECONDARY] {
            if !(tier & backends).is_empty() {
                adapters.extend(
                    instance(tier & backends)
                        .enumerate_adapters(tier & backends)
                        .await,
                );
            }
        }
        adapters
    }

    /// Creates a device on `adapter` with the adapter's full limits and the features the kernels
    /// use where it has them ([`GpuContext::USED_FEATURES`]).
    pub async fn from_adapter(adapter: &wgpu::Adapter) -> Result<Self> {
        let info = adapter.get_info();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("ising-wgpu"),
                required_features: adapter.features() & Self::USED_FEATURES,
                required_limits: adapter.limits(),
                experimental_features: wgpu::ExperimentalFeatures::disabled(),
                memory_hints: wgpu::MemoryHints::Performance,
                trace: wgpu::Trace::Off,
            })
            .await
            .map_err(|e| Error::DeviceRequest {
                adapter: info.name.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self::with_info(device, queue, info))
    }

    /// The optional features the kernels use where an adapter has them: 64-bit integers make
    /// Philox cheaper ([`crate::shaders::Multiply`]), subgroup operations let the lanes of a word
    /// share work ([`crate::GeneralKernel::Ballot`]); without them the kernels emulate the multiply
    /// and assemble words in workgroup memory, with the same results.
    pub const USED_FEATURES: wgpu::Features =
        wgpu::Features::SHADER_INT64.union(wgpu::Features::SUBGROUP);

    /// Wraps a device and queue the caller already has (its limits are read from the device).
    pub fn from_device(device: wgpu::Device, queue: wgpu::Queue) -> Self {
        let info = device.adapter_info();
        Self::with_info(device, queue, info)
    }

    fn with_info(device: wgpu::Device, queue: wgpu::Queue, info: wgpu::AdapterInfo) -> Self {
        let lost = Arc::new(Mutex::new(None));
        let flag = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut slot) = flag.lock() {
                *slot = Some(if message.is_empty() {
                    format!("{reason:?}")
                } else {
                    format!("{reason:?}: {message}")
                });
            }
        });
        GpuContext {
            device,
            queue,
            info,
            lost,
        }
    }

    /// The device.
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// The queue.
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// The adapter's name, backend and type.
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.info
    }

    /// "name (backend, device type)", for notices and benchmark tables.
    pub fn describe(&self) -> String {
        format!(
            "{} ({:?}, {:?})",
            self.info.name, self.info.backend, self.info.device_type
        )
    }

    /// Whether the adapter is a CPU implementation such as lavapipe.
    pub fn is_software(&self) -> bool {
        self.info.device_type == wgpu::DeviceType::Cpu
    }

    /// The most loop iterations one shader invocation runs on this adapter, where the driver cuts
    /// loops short silently: llvmpipe (lavapipe, and Mesa's software GL) ends all loops of an
    /// invocation after 65535 iterations in total.
    pub fn max_loop_iterations(&self) -> Option<usize> {
        let llvmpipe = [&self.info.name, &self.info.driver]
            .iter()
            .any(|s| s.to_lowercase().contains("llvmpipe"));
        llvmpipe.then_some(65_535)
    }

    /// Runs `f` inside validation and out-of-memory error scopes, turning any error into
    /// [`Error::Gpu`] and a lost device into [`Error::DeviceLost`].
    pub(crate) fn checked<T>(
        &self,
        during: &'static str,
        f: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        self.check_lost()?;
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let result = f();
        let errors = [
            pollster::block_on(memory.pop()),
            pollster::block_on(validation.pop()),
        ];
        self.check_lost()?;
        if let Some(e) = errors.into_iter().flatten().next() {
            return Err(Error::Gpu {
                during,
                message: e.to_string(),
            });
        }
        result
    }

    /// Waits until the device has finished all submitted work.
    pub(crate) fn wait(&self) -> Result<()> {
        self.wait_for(None)
    }

    /// Waits until the device has finished the submission `index` and those before it (all
    /// submitted work with `None`).
    pub(crate) fn wait_for(&self, index: Option<wgpu::SubmissionIndex>) -> Result<()> {
        self.device
            .poll(wgpu::PollType::Wait {
                submission_index: index,
                timeout: None,
            })
            .map_err(|e| Error::Gpu {
                during: "waiting for the device",
                message: e.to_string(),
            })?;
        self.check_lost()
    }

    /// Completes when the device has finished the work submitted so far (when it is polled).
    pub(crate) async fn work_done(&self) -> Result<()> {
        let (callback, done) = completion();
        self.queue.on_submitted_work_done(move || callback(()));
        done.await;
        self.check_lost()
    }

    /// An error if the device has been lost since it was created. A destroyed device reports its
    /// loss only when polled, so this polls first (without waiting).
    pub(crate) fn check_lost(&self) -> Result<()> {
        let _ = self.device.poll(wgpu::PollType::Poll);
        match self.lost.lock().ok().and_then(|slot| slot.clone()) {
            Some(reason) => Err(Error::DeviceLost {
                device: self.describe(),
                reason,
            }),
            None => Ok(()),
        }
    }
}

/// A wgpu instance over `backends`, with the environment's instance flags.
fn instance(backends: wgpu::Backends) -> wgpu::Instance {
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    descriptor.backends = backends;
    wgpu::Instance::new(descriptor)
}

/// The adapter `WGPU_ADAPTER_NAME` names, or the high-performance one, among `backends`.
async fn find_adapter(backends: wgpu::Backends) -> Result<wgpu::Adapter> {
    let instance = instance(backends);
    match std::env::var("WGPU_ADAPTER_NAME") {
        Ok(wanted) if !wanted.is_empty() => {
            let adapters = instance.enumerate_adapters(backends).await;
            let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
            let lower = wanted.to_lowercase();
            adapters
                .into_iter()
                .find(|a| a.get_info().name.to_lowercase().contains(&lower))
                .ok_or_else(|| Error::NoAdapter {
                    detail: format!(
                        " matching WGPU_ADAPTER_NAME={wanted} (found: {})",
                        list(&names)
                    ),
                })
        }
        _ => instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::NoAdapter {
                detail: match std::env::var("WGPU_BACKEND") {
                    Ok(b) => format!(" with WGPU_BACKEND={b:?} ({e})"),
                    Err(_) => format!(" ({e})"),
                },
            }),
    }
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "no adapters".to_string()
    } else {
        names.join(", ")
    }
}
