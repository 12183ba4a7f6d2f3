//! Moving work and data between host and device: recorded dispatches with their parameter slots,
//! bind groups over whole buffers, reusable buffers, read-back.

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

/// Writes each dispatch's parameters into its slot of `params` (at most [`OPS_PER_SUBMIT`]), records
/// the dispatches in order in one compute pass and submits it.
pub(crate) fn submit(
    ctx: &GpuContext,
    params: &wgpu::Buffer,
    limits: &PlanLimits,
    dispatches: &[Dispatch<'_>],
) -> Result<()> {
    debug_assert!(dispatches.len() <= OPS_PER_SUBMIT);
    let mut bytes = vec![0u8; dispatches.len() * PARAMS_STRIDE as usize];
    for (k, d) in dispatches.iter().enumerate() {
        let at = k * PARAMS_STRIDE as usize;
        bytes[at..at + std::mem::size_of::<Params>()]
            .copy_from_slice(bytemuck::bytes_of(&d.params));
    }
    ctx.queue().write_buffer(params, 0, &bytes);
    let mut encoder = ctx
        .device()
        .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
    {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("sweeps"),
            timestamp_writes: None,
        });
        for (k, d) in dispatches.iter().enumerate() {
            let (x, y) = limits.fold(d.workgroups)?;
            if x == 0 {
                continue;
            }
            pass.set_pipeline(d.pipeline);
            pass.set_bind_group(0, d.bind_group, &[(k as u64 * PARAMS_STRIDE) as u32]);
            pass.dispatch_workgroups(x, y, 1);
        }
    }
    ctx.queue().submit([encoder.finish()]);
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

impl Readback {
    /// Copies the first `bytes` of `src` to the host and waits for them.
    pub(crate) fn read(
        &mut self,
        ctx: &GpuContext,
        src: &wgpu::Buffer,
        bytes: u64,
    ) -> Result<Vec<u32>> {
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
        let (tx, rx) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, ..bytes, move |r| {
            let _ = tx.send(r);
        });
        let gpu = |message: String| Error::Gpu {
            during: "read-back",
            message,
        };
        ctx.device()
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| gpu(e.to_string()))?;
        ctx.check_lost()?;
        rx.recv()
            .map_err(|e| gpu(e.to_string()))?
            .map_err(|e| gpu(e.to_string()))?;
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
