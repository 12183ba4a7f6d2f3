//! [`SpinImage`]: one plane of a site-packed lattice drawn into an RGBA8 texture by `spin_image.wgsl`,
//! reading the spin buffers where they lie; [`spin_pixels`] draws the same pixels on the host.

use wgpu::util::DeviceExt;

use crate::backend::{GpuContext, SitePackedSpins};
use crate::error::{Error, Result};

/// The texture format of [`SpinImage`].
pub const SPIN_IMAGE_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

/// Workgroup side of `spin_image.wgsl` (8 x 8 pixels).
const TILE: u32 = 8;

/// The RGBA colours of up and down spins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Palette {
    /// Colour of +1.
    pub up: [u8; 4],
    /// Colour of -1.
    pub down: [u8; 4],
}

impl Default for Palette {
    /// Warm white up, dark blue down.
    fn default() -> Self {
        Palette {
            up: [250, 236, 200, 255],
            down: [24, 38, 82, 255],
        }
    }
}

/// `View` in `spin_image.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct View {
    lx: u32,
    ly: u32,
    z: u32,
    _pad: u32,
    up: [f32; 4],
    down: [f32; 4],
}

/// Draws plane `z` of a site-packed lattice, one pixel a site (`lx` x `ly`, pixel `(x, y)` the site
/// `(x, y, z)`), into a texture of its own ([`SPIN_IMAGE_FORMAT`], usable as a storage, sampled or
/// copy source texture) each time [`SpinImage::record`] records its pass.
pub struct SpinImage {
    texture: wgpu::Texture,
    pipeline: wgpu::ComputePipeline,
    bind_group: wgpu::BindGroup,
    size: [u32; 2],
}

impl SpinImage {
    /// A drawing of plane `z` of the lattice whose buffers `spins` are
    /// ([`crate::GpuSitePacked::spin_buffers`]) on `ctx`'s device, in `palette`'s colours; an error
    /// naming the limit when the plane exceeds the device's largest texture, or when the lattice has no
    /// plane `z`.
    pub fn new(
        ctx: &GpuContext,
        spins: SitePackedSpins<'_>,
        z: u32,
        palette: Palette,
    ) -> Result<Self> {
        let [lx, ly, lz] = spins.sides;
        if z >= lz {
            return Err(Error::invalid(
                "plane",
                format!("z = {z}; the lattice has {lz} planes"),
            ));
        }
        ctx.check_lost()?;
        let device = ctx.device();
        let most = device.limits().max_texture_dimension_2d;
        if lx.max(ly) > most {
            return Err(Error::invalid(
                "spin image",
                format!(
                    "{lx} x {ly} pixels; this device's textures have at most {most} a side (max_texture_dimension_2d): draw a smaller lattice, or read its spins with SITE_PACKED_SPIN_WGSL in a pass of your own"
                ),
            ));
        }
        ctx.checked("spin image set-up", || {
            let texture = device.create_texture(&wgpu::TextureDescriptor {
                label: Some("spin image"),
                size: wgpu::Extent3d {
                    width: lx,
                    height: ly,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format: SPIN_IMAGE_FORMAT,
                usage: wgpu::TextureUsages::STORAGE_BINDING
                    | wgpu::TextureUsages::TEXTURE_BINDING
                    | wgpu::TextureUsages::COPY_SRC,
                view_formats: &[],
            });
            let source = format!(
                "{}\n{}",
                crate::backend::SITE_PACKED_SPIN_WGSL,
                include_str!("spin_image.wgsl")
            );
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some("spin_image.wgsl"),
                source: wgpu::ShaderSource::Wgsl(source.into()),
            });
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some("spin image"),
                layout: None,
                module: &module,
                entry_point: Some("spin_image"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                cache: None,
            });
            let unit = |c: [u8; 4]| c.map(|v| f32::from(v) / 255.0);
            let view = View {
                lx,
                ly,
                z,
                _pad: 0,
                up: unit(palette.up),
                down: unit(palette.down),
            };
            let uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("spin image view"),
                contents: bytemuck::bytes_of(&view),
                usage: wgpu::BufferUsages::UNIFORM,
            });
            let target = texture.create_view(&wgpu::TextureViewDescriptor::default());
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("spin image"),
                layout: &pipeline.get_bind_group_layout(0),
                entries: &[
                    wgpu::BindGroupEntry {
                        binding: 0,
                        resource: spins.colours[0].as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 1,
                        resource: spins.colours[1].as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 2,
                        resource: uniform.as_entire_binding(),
                    },
                    wgpu::BindGroupEntry {
                        binding: 3,
                        resource: wgpu::BindingResource::TextureView(&target),
                    },
                ],
            });
            Ok(SpinImage {
                texture,
                pipeline,
                bind_group,
                size: [lx, ly],
            })
        })
    }

    /// The texture drawn into.
    pub fn texture(&self) -> &wgpu::Texture {
        &self.texture
    }

    /// Width and height in pixels (`lx`, `ly`).
    pub fn size(&self) -> [u32; 2] {
        self.size
    }

    /// Records the pass that draws the spins as the recorded work before it leaves them.
    pub fn record(&self, encoder: &mut wgpu::CommandEncoder) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("spin image"),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, &self.bind_group, &[]);
        let [w, h] = self.size;
        pass.dispatch_workgroups(w.div_ceil(TILE), h.div_ceil(TILE), 1);
    }
}

/// The RGBA bytes `SpinImage` draws of plane `z` of `state` (spins by site `x + lx (y + ly z)`, as
/// [`crate::SitePackedSampler::state`] gives them), row by row.
pub fn spin_pixels(state: &[i8], sides: [u32; 3], z: u32, palette: Palette) -> Vec<u8> {
    let [lx, ly, _] = sides.map(|s| s as usize);
    let plane = &state[z as usize * lx * ly..(z as usize + 1) * lx * ly];
    plane
        .iter()
        .flat_map(|&s| if s > 0 { palette.up } else { palette.down })
        .collect()
}
