//! [`GpuSlab`]: one rank's slab of a site-packed lattice on a GPU, for [`super::RankedSitePacked`].

use super::slab::SlabPart;
use crate::backend::{GpuSitePacked, SitePackedSampler, read_after};
use crate::error::Result;

/// A slab's words on the device ([`GpuSitePacked`] holding the slab), with a mappable buffer the
/// boundary planes are copied into. Each half-sweep submits the boundary planes' update with their
/// copy, then the interior's update, and waits for the first submission alone: the device updates
/// the interior while the planes are read back and travel, and the neighbours' planes are written
/// into the halos before the next submission.
pub(crate) struct GpuSlab {
    sampler: GpuSitePacked,
    /// Two planes of words, `MAP_READ | COPY_DST`.
    staging: wgpu::Buffer,
}

impl GpuSlab {
    /// `sampler` (holding a slab) with its staging buffer.
    pub(crate) fn new(sampler: GpuSitePacked) -> Self {
        let bytes = 8 * sampler.held().plane_words() as u64;
        let staging = sampler
            .context()
            .device()
            .create_buffer(&wgpu::BufferDescriptor {
                label: Some("boundary planes"),
                size: bytes,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
        GpuSlab { sampler, staging }
    }

    fn boundary_on_device(
        &mut self,
        colour: usize,
        sweep: u64,
        [first, last]: [&mut [u32]; 2],
    ) -> Result<()> {
        let (n, pw) = self.sampler.held().shape();
        let own = self.sampler.held().own();
        let ctx = self.sampler.context().clone();
        let encoder = || {
            ctx.device()
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None })
        };
        let planes = [own.start..own.start + pw, own.end - pw..own.end];
        let mut boundary = encoder();
        let updated = if n > 1 { &planes[..] } else { &planes[..1] };
        self.sampler
            .record_update(&mut boundary, colour, sweep, updated)?;
        // The own planes start at local index pw: the first at pw, the last at n pw.
        for (k, start) in [pw, n * pw].into_iter().enumerate() {
            for (buffer, offset, part) in self.sampler.held_pieces(colour, start..start + pw) {
                let at = 4 * (k * pw + part.start) as u64;
                let bytes = 4 * part.len() as u64;
                boundary.copy_buffer_to_buffer(buffer, offset, &self.staging, at, bytes);
            }
        }
        let copied = ctx.queue().submit([boundary.finish()]);
        if n > 2 {
            let mut interior = encoder();
            let inner = own.start + pw..own.end - pw;
            self.sampler
                .record_update(&mut interior, colour, sweep, &[inner])?;
            ctx.queue().submit([interior.finish()]);
        }
        let words = read_after(&ctx, &self.staging, copied)?;
        first.copy_from_slice(&words[..pw]);
        last.copy_from_slice(&words[pw..]);
        Ok(())
    }
}

impl SlabPart for GpuSlab {
    fn boundary(&mut self, colour: usize, sweep: u64, planes: [&mut [u32]; 2]) -> Result<()> {
        let ctx = self.sampler.context().clone();
        ctx.checked("site-packed slab half-sweep", || {
            self.boundary_on_device(colour, sweep, planes)
        })
    }

    /// Queued behind the boundary planes by [`SlabPart::boundary`].
    fn interior(&mut self, _colour: usize, _sweep: u64) -> Result<()> {
        Ok(())
    }

    fn set_halos(&mut self, colour: usize, [lower, upper]: [&[u32]; 2]) -> Result<()> {
        let (n, pw) = self.sampler.held().shape();
        let queue = self.sampler.context().queue();
        for (start, words) in [(0, lower), ((n + 1) * pw, upper)] {
            for (buffer, offset, part) in self.sampler.held_pieces(colour, start..start + pw) {
                queue.write_buffer(buffer, offset, bytemuck::cast_slice(&words[part]));
            }
        }
        Ok(())
    }

    /// Waits for the last interior too.
    fn settle(&mut self) -> Result<()> {
        self.sampler.context().wait()
    }

    fn counts(&mut self) -> Result<(u64, u64)> {
        self.sampler.counts()
    }

    fn own_words(&mut self) -> Result<[Vec<u32>; 2]> {
        self.sampler.own_words()
    }

    fn set_parameters(&mut self, coupling: f32, field: f32, beta: f32) -> Result<()> {
        self.sampler.set_parameters(coupling, field, beta)
    }

    fn name(&self) -> String {
        self.sampler.backend_name()
    }
}
