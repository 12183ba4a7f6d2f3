//! Compute pipelines of the sampler kernels with their explicit bind group layouts.

use std::num::NonZeroU64;

use super::context::GpuContext;
use crate::error::{Error, Result};
use crate::shaders::{self, Kernel, Multiply};

/// Size of one parameter slot in the uniform buffer: every kernel reads its `Params` at a dynamic
/// offset that is a multiple of this (256 is the largest `min_uniform_buffer_offset_alignment`).
pub(crate) const PARAMS_STRIDE: u64 = 256;

/// Per-dispatch parameters, `Params` in `shaders/common.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct Params {
    pub(crate) mode: u32,
    pub(crate) block_offset: u32,
    pub(crate) block_len: u32,
    pub(crate) words: u32,
    pub(crate) word_offset: u32,
    pub(crate) chains: u32,
    pub(crate) sweep_lo: u32,
    pub(crate) sweep_hi: u32,
    pub(crate) seed_lo: u32,
    pub(crate) seed_hi: u32,
    pub(crate) beta: f32,
    pub(crate) n_nodes: u32,
    pub(crate) n_edges: u32,
    pub(crate) group_chains: u32,
    pub(crate) slot: u32,
    pub(crate) n_obs: u32,
    pub(crate) adj_split: u32,
    pub(crate) colour: u32,
    pub(crate) sides: [u32; 3],
    /// `reciprocal` of `words`, `lx / 2` and `ly`.
    pub(crate) reciprocals: [u32; 3],
    pub(crate) slab_words: u32,
    pub(crate) per_site_fields: u32,
    /// Bit planes of each moment counter (`PlaneCounters`).
    pub(crate) planes: u32,
    /// WGSL aligns the `vec4` that follows to 16 bytes.
    pub(crate) _pad: u32,
    pub(crate) plane_tables: [u32; 8],
}

/// `floor((2^32 - 1) / d)`: `div_mod` in `shaders/lattice.wgsl` divides by `d` with it.
pub(crate) fn reciprocal(d: u32) -> u32 {
    u32::MAX / d.max(1)
}

/// A kernel's pipeline and the layout of its bind group 0.
pub(crate) struct Pipeline {
    pub(crate) pipeline: wgpu::ComputePipeline,
    pub(crate) layout: wgpu::BindGroupLayout,
}

/// The sampler kernels.
pub(crate) struct Pipelines {
    pub(crate) gibbs: Pipeline,
    pub(crate) lattice: Pipeline,
    pub(crate) count: Pipeline,
    pub(crate) gather: Pipeline,
}

/// Access of each storage binding after the uniform parameters at binding 0.
#[derive(Clone, Copy)]
pub(crate) enum Access {
    Read,
    ReadWrite,
}

impl Pipelines {
    /// Compiles the kernels with `workgroup_size` invocations a workgroup, the Gibbs kernel with
    /// `words` words of chains an invocation and reading the CSR from two bindings only when
    /// `split_adjacency`; a shader or layout error is an [`Error::Gpu`], not a panic.
    pub(crate) fn new(
        ctx: &GpuContext,
        workgroup_size: u32,
        words: u32,
        split_adjacency: bool,
    ) -> Result<Self> {
        let limits = ctx.device().limits();
        let most = limits
            .max_compute_invocations_per_workgroup
            .min(limits.max_compute_workgroup_size_x);
        if workgroup_size == 0 || workgroup_size > most {
            return Err(Error::invalid(
                "workgroup size",
                format!("{workgroup_size} invocations; this device allows 1 to {most}"),
            ));
        }
        let gibbs = shaders::gibbs(words).ok_or_else(|| {
            Error::invalid(
                "words per invocation",
                format!("{words}; the Gibbs kernel takes 1, 2 or 4"),
            )
        })?;
        use Access::{Read, ReadWrite};
        let scope = ctx.device().push_error_scope(wgpu::ErrorFilter::Validation);
        let pipelines = Pipelines {
            gibbs: build(
                ctx,
                &gibbs,
                &[ReadWrite, Read, Read, Read, Read, Read],
                workgroup_size,
                &[("SPLIT_ADJACENCY", f64::from(u8::from(split_adjacency)))],
            ),
            lattice: build(
                ctx,
                &shaders::LATTICE,
                &[ReadWrite, Read, Read],
                workgroup_size,
                &[],
            ),
            count: build(
                ctx,
                &shaders::COUNT,
                &[Read, Read, ReadWrite],
                workgroup_size,
                &[],
            ),
            gather: build(
                ctx,
                &shaders::GATHER,
                &[Read, Read, ReadWrite],
                workgroup_size,
                &[],
            ),
        };
        match pollster::block_on(scope.pop()) {
            Some(e) => Err(Error::Gpu {
                during: "kernel compilation",
                message: e.to_string(),
            }),
            None => Ok(pipelines),
        }
    }
}

/// Builds one kernel's pipeline: binding 0 is the uniform `Params` at a dynamic offset, then one
/// storage binding per entry of `storage`; `overrides` sets the kernel's pipeline-overridable
/// constants besides `WORKGROUP_SIZE`.
pub(crate) fn build(
    ctx: &GpuContext,
    kernel: &Kernel,
    storage: &[Access],
    workgroup_size: u32,
    overrides: &[(&str, f64)],
) -> Pipeline {
    let device = ctx.device();
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(kernel.name),
        source: wgpu::ShaderSource::Wgsl(
            kernel
                .source(Multiply::for_features(device.features()))
                .into(),
        ),
    });
    let params = wgpu::BindGroupLayoutEntry {
        binding: 0,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: true,
            min_binding_size: NonZeroU64::new(std::mem::size_of::<Params>() as u64),
        },
        count: None,
    };
    let entries: Vec<wgpu::BindGroupLayoutEntry> = std::iter::once(params)
        .chain(
            storage
                .iter()
                .enumerate()
                .map(|(k, access)| wgpu::BindGroupLayoutEntry {
                    binding: k as u32 + 1,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage {
                            read_only: matches!(access, Access::Read),
                        },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                }),
        )
        .collect();
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(kernel.name),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(kernel.name),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let constants: Vec<(&str, f64)> =
        std::iter::once(("WORKGROUP_SIZE", f64::from(workgroup_size)))
            .chain(overrides.iter().copied())
            .collect();
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(kernel.name),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some(kernel.entry),
        compilation_options: wgpu::PipelineCompilationOptions {
            constants: &constants,
            ..Default::default()
        },
        cache: None,
    });
    Pipeline { pipeline, layout }
}
