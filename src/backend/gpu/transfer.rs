//! Moving work and data between host and device: recorded dispatches with their parameter slots,
//! bind groups over whole buffers, reusable buffers, read-back.

use wgpu::util::DeviceExt;

use super::completion::completion;
use super::context::GpuContext;
use super::pipelines::{PARAMS_STRIDE, Params, Pipeline};
use super::plan::PlanLimits;
use crate::error::{Error, Result};

/// Dispatches recorded per submission (each uses one 256-byte parameter slot).
pub(crate) const OPS_PER_SUBMIT: usize = 1024;

/// The uniform buffer of [`OPS_PER_SUBMIT`] parameter slots.
pub(crate) fn params_buffer(device: &wgpu::Device) -> wgpu::Buffer {
    device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("params"),
        size: PARAMS_STRIDE * OPS_PER_SUBMIT as u64,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

/// One dispatch to record: its bind group reads `params` from the slot of the dispatch's position.
pub(crate) struct Dispatch<'a> {
    pub(crate) pipeline: &'a wgpu::ComputePipeline,
    pub(crate) bind_group: &'a wgpu::BindGroup,
    pub(crate) params: Params,
    /// Workgroups, folded into a second dimension past the per-dimension limit.
    pub(crate) workgroups: u64,
}

/// Records `dispatches` in order into `encoder`, [`OPS_PER_SUBMIT`] at a time: each batch first copies
/// its parameters into their slots of `params` (from a buffer made for this batch), then runs in one
/// compute pass. The copies are commands of the encoder, so batches recorded one after another, in
/// one encoder or several, each read their own parameters.
pub(crate) fn record(
    ctx: &GpuContext,
    encoder: &mut wgpu::CommandEncoder,
    params: &wgpu::Buffer,
    limits: &PlanLimits,
    dispatches: &[Dispatch<'_>],
) -> Result<()> {
    for batch in dispatches.chunks(OPS_PER_SUBMIT) {
        let mut bytes = vec![0u8; batch.len() * PARAMS_STRIDE as usize];
        for (k, d) in batch.iter().enumerate() {
            let at = k * PARAMS_STRIDE as usize;
            bytes[at..at + std::mem::size_of::<Params>()]
                .copy_from_slice(bytemuck::bytes_of(&d.params));
        }
        let upload = ctx
            .device()
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("params upload"),
                contents: &bytes,
                usage: wgpu::BufferUsages::COPY_SRC,
            });
        encoder.copy_buffer_to_buffer(&upload, 0, params, 0, bytes.len() as u64);
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("sweeps"),
            timestamp_writes: None,
        });
        for (k, d) in batch.iter().enumerate() {
            let (x, y) = limits.fold(d.workgroups)?;
            if x == 0 {
                continue;
            }
            pass.set_pipeline(d.pipeline);
            pass.set_bind_group(0, d.bind_group, &[(k as u64 * PARAMS_STRIDE) as u32]);
            pass.dispatch_workgroups(x, y, 1);
        }
    }
    Ok(())
}

/// A bind group whose binding 0 is one `Params` slot of `params` (at a dynamic offset) and whose
/// bindings 1.. are the whole of each `storage` buffer.
pub(crate) fn bind_group(
    ctx: &GpuContext,
    pipeline: &Pipeline,
    params: &wgpu::Buffer,
    storage: &[(&str, &wgpu::Buffer)],
) -> wgpu::BindGroup {
    let names: Vec<&str> = storage.iter().map(|(name, _)| *name).collect();
    let declared: Vec<&str> = pipeline.bindings.iter().map(|b| b.name).collect();
    debug_assert_eq!(
        names, declared,
        "buffers bound in the kernel's binding order"
    );
    let params_entry = wgpu::BindGroupEntry {
        binding: 0,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: params,
            offset: 0,
            size: std::num::NonZeroU64::new(std::mem::size_of::<Params>() as u64),
        }),
    };
    let entries: Vec<wgpu::BindGroupEntry> = std::iter::once(params_entry)
        .chain(
            storage
                .iter()
                .enumerate()
                .map(|(k, (_, buffer))| wgpu::BindGroupEntry {
                    binding: k as u32 + 1,
                    resource: buffer.as_entire_binding(),
                }),
        )
        .collect();
    ctx.device().create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &pipeline.layout,
        entries: &entries,
    })
}

/// The buffer in `slot` if it holds at least `bytes`, else a new one of that size.
pub(crate) fn ensure(
    device: &wgpu::Device,
    slot: &mut Option<wgpu::Buffer>,
    bytes: u64,
    usage: wgpu::BufferUsages,
    label: &str,
) -> wgpu::Buffer {
    let bytes = bytes.max(4).next_multiple_of(4);
    match slot {
        Some(buffer) if buffer.size() >= bytes => buffer.clone(),
        _ => {
            let buffer = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: bytes,
                usage,
                mapped_at_creation: false,
            });
            *slot = Some(buffer.clone());
            buffer
        }
    }
}

/// Read-back through one staging buffer, grown when needed and reused.
#[derive(Default)]
pub(crate) struct Readback {
    staging: Option<wgpu::Buffer>,
}

/// How a call waits for the device: blocking, polling it until the work is done, or as a future
/// that completes when the caller's own polling (or a later submission) reports the work done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wait {
    /// Poll the device until done.
    Block,
    /// Leave polling to the caller.
    Poll,
}

impl Wait {
    /// Completes when the work submitted so far is done.
    pub(crate) async fn done(self, ctx: &GpuContext) -> Result<()> {
        match self {
            Wait::Block => ctx.wait(),
            Wait::Poll => ctx.work_done().await,
        }
    }
}

impl Readback {
    /// Copies the first `bytes` of `src` to the host and waits for them.
    pub(crate) fn read(
        &mut self,
        ctx: &GpuContext,
        src: &wgpu::Buffer,
        bytes: u64,
    ) -> Result<Vec<u32>> {
        pollster::block_on(self.read_with(ctx, src, bytes, Wait::Block))
    }

    /// Copies the first `bytes` of `src` to the host, waiting as `wait` says.
    pub(crate) async fn read_with(
        &mut self,
        ctx: &GpuContext,
        src: &wgpu::Buffer,
        bytes: u64,
        wait: Wait,
    ) -> Result<Vec<u32>> {
        let words = self.start(ctx, src, bytes)?;
        if wait == Wait::Block {
            ctx.wait()?;
        }
        words.await
    }

    /// Submits the copy of the first `bytes` of `src` and asks for it to be mapped; the future
    /// completes with the words once wgpu has mapped them (when the device is polled).
    fn start(
        &mut self,
        ctx: &GpuContext,
        src: &wgpu::Buffer,
        bytes: u64,
    ) -> Result<impl Future<Output = Result<Vec<u32>>> + use<>> {
        let staging = ensure(
            ctx.device(),
            &mut self.staging,
            bytes,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            "staging",
        );
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.copy_buffer_to_buffer(src, 0, &staging, 0, bytes);
        ctx.queue().submit([encoder.finish()]);
        Ok(mapped_words(ctx, staging, bytes))
    }
}

/// Asks for the first `bytes` of `staging` to be mapped; the future completes with its words (and
/// unmaps it) once wgpu has mapped them, when the device is polled.
fn mapped_words(
    ctx: &GpuContext,
    staging: wgpu::Buffer,
    bytes: u64,
) -> impl Future<Output = Result<Vec<u32>>> + use<> {
    let (callback, mapped) = completion();
    staging.map_async(wgpu::MapMode::Read, ..bytes, callback);
    let ctx = ctx.clone();
    async move {
        let gpu = |message: String| Error::Gpu {
            during: "read-back",
            message,
        };
        let result = mapped.await;
        ctx.check_lost()?;
        result.map_err(|e| gpu(e.to_string()))?;
        let words = {
            let view = staging
                .get_mapped_range(..bytes)
                .map_err(|e| gpu(e.to_string()))?;
            bytemuck::cast_slice::<u8, u32>(&view).to_vec()
        };
        staging.unmap();
        Ok(words)
    }
}

/// The words of the mappable `staging` once the submission `copied` (which fills it) is done,
/// waiting for that submission alone: work submitted after it may still be running.
#[cfg(feature = "mpi")]
pub(crate) fn read_after(
    ctx: &GpuContext,
    staging: &wgpu::Buffer,
    copied: wgpu::SubmissionIndex,
) -> Result<Vec<u32>> {
    let words = mapped_words(ctx, staging.clone(), staging.size());
    ctx.wait_for(Some(copied))?;
    pollster::block_on(words)
}
