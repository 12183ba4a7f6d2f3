//! Compute pipelines of the sampler kernels with their explicit bind group layouts.

use std::num::NonZeroU64;

use super::context::GpuContext;
use super::plan::{GeneralKernel, LatticeKernel, PlanLimits};
use crate::error::{Error, Result};
use crate::shaders::{self, Access, Binding, Kernel, Multiply};

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
    pub(crate) tables_in_buffer: u32,
    /// Bit planes of each moment counter (`PlaneCounters`).
    pub(crate) planes: u32,
    pub(crate) words_per_beta: u32,
    pub(crate) n_fields: u32,
    pub(crate) beta_groups: u32,
    pub(crate) beta: f32,
    /// 1 when some lattice bonds are `-J` (`bond_signs`).
    pub(crate) signed_bonds: u32,
    /// Site-packed: 1 when the words held are a slab with halo planes (no wrap along the last axis).
    pub(crate) halos: u32,
    pub(crate) plane_tables: [u32; 8],
}

/// `floor((2^32 - 1) / d)`: `div_mod` in `lattice.wgsl` divides by `d` with it.
pub(crate) fn reciprocal(d: u32) -> u32 {
    u32::MAX / d.max(1)
}

/// A kernel's pipeline, the layout of its bind group 0 and the storage bindings it declares.
pub(crate) struct Pipeline {
    pub(crate) pipeline: wgpu::ComputePipeline,
    pub(crate) layout: wgpu::BindGroupLayout,
    pub(crate) bindings: &'static [Binding],
}

/// The sampler kernels.
pub(crate) struct Pipelines {
    pub(crate) general: Pipeline,
    /// The lattice update reading its plane tables from `field_tables`.
    pub(crate) lattice: Pipeline,
    /// The lattice update specialised for one plane table (`TABLES_FROM_PARAMS`), on `lattice`'s
    /// layout: the pipeline of dispatches whose `tables_in_buffer` is 0.
    pub(crate) lattice_one_table: wgpu::ComputePipeline,
    pub(crate) count: Pipeline,
    pub(crate) gather: Pipeline,
    pub(crate) energy_partials: Pipeline,
    pub(crate) energy_totals: Pipeline,
    pub(crate) overlap: Pipeline,
    pub(crate) lane_swap: Pipeline,
    pub(crate) lane_keep: Pipeline,
}

impl Pipelines {
    /// Compiles the kernels with `limits`' workgroup size and variants of the general and lattice
    /// updates (the general one with `words` words of chains an invocation for
    /// [`GeneralKernel::Words`], reading the CSR from two bindings only when `split_adjacency`); a
    /// variant the device cannot run, a shader or a layout error is an error, not a panic.
    pub(crate) fn new(
        ctx: &GpuContext,
        limits: &PlanLimits,
        words: u32,
        split_adjacency: bool,
    ) -> Result<Self> {
        let (workgroup_size, variant) = (limits.workgroup_size, limits.general_kernel);
        let device_limits = ctx.device().limits();
        let most = device_limits
            .max_compute_invocations_per_workgroup
            .min(device_limits.max_compute_workgroup_size_x);
        if workgroup_size == 0 || workgroup_size > most {
            return Err(Error::invalid(
                "workgroup size",
                format!("{workgroup_size} invocations; this device allows 1 to {most}"),
            ));
        }
        let features = ctx.device().features();
        let max_subgroup = ctx.adapter_info().subgroup_max_size;
        if let Some(why) = variant.unavailable(workgroup_size, features, max_subgroup) {
            return Err(Error::invalid("general kernel", why));
        }
        let general = match variant {
            GeneralKernel::Words => shaders::general(words).ok_or_else(|| {
                Error::invalid(
                    "words per invocation",
                    format!("{words}; the general kernel takes 1, 2 or 4"),
                )
            })?,
            GeneralKernel::Lanes => shaders::GENERAL_LANES,
            GeneralKernel::Ballot => shaders::GENERAL_BALLOT,
        };
        let lattice = match limits.lattice_kernel {
            LatticeKernel::Sites => shaders::LATTICE,
            LatticeKernel::Tiles => shaders::LATTICE_TILED,
        };
        let scope = ctx.device().push_error_scope(wgpu::ErrorFilter::Validation);
        let (lattice, [lattice_one_table]) = build_with_variants(
            ctx,
            &lattice,
            workgroup_size,
            &[],
            [&[("TABLES_FROM_PARAMS", 1.0)]],
        );
        let pipelines = Pipelines {
            general: build(
                ctx,
                &general,
                workgroup_size,
                &[("SPLIT_ADJACENCY", f64::from(u8::from(split_adjacency)))],
            ),
            lattice,
            lattice_one_table,
            count: build(ctx, &shaders::COUNT, workgroup_size, &[]),
            gather: build(ctx, &shaders::GATHER, workgroup_size, &[]),
            energy_partials: build(ctx, &shaders::ENERGY_PARTIALS, workgroup_size, &[]),
            energy_totals: build(ctx, &shaders::ENERGY_TOTALS, workgroup_size, &[]),
            overlap: build(ctx, &shaders::OVERLAP, workgroup_size, &[]),
            lane_swap: build(ctx, &shaders::LANE_SWAP, workgroup_size, &[]),
            lane_keep: build(ctx, &shaders::LANE_KEEP, workgroup_size, &[]),
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

/// Builds one kernel's pipeline: binding 0 is the uniform `Params` at a dynamic offset, then the
/// kernel's storage bindings; `overrides` sets the kernel's pipeline-overridable constants besides
/// `WORKGROUP_SIZE`.
pub(crate) fn build(
    ctx: &GpuContext,
    kernel: &Kernel,
    workgroup_size: u32,
    overrides: &[(&str, f64)],
) -> Pipeline {
    build_with_variants(ctx, kernel, workgroup_size, overrides, []).0
}

/// As [`build`], and besides it one pipeline on the same layout (so that the same bind groups
/// serve it) for each of `variants`, constants set on top of `overrides`.
fn build_with_variants<const V: usize>(
    ctx: &GpuContext,
    kernel: &Kernel,
    workgroup_size: u32,
    overrides: &[(&str, f64)],
    variants: [&[(&str, f64)]; V],
) -> (Pipeline, [wgpu::ComputePipeline; V]) {
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
    let entries: Vec<wgpu::BindGroupLayoutEntry> =
        std::iter::once(params)
            .chain(kernel.bindings.iter().enumerate().map(|(k, binding)| {
                wgpu::BindGroupLayoutEntry {
                    binding: k as u32 + 1,
                    visibility: wgpu::ShaderStages::COMPUTE,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Storage {
                            read_only: binding.access == Access::Read,
                        },
                        has_dynamic_offset: false,
                        min_binding_size: None,
                    },
                    count: None,
                }
            }))
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
    let compile = |variant: &[(&str, f64)]| {
        let constants: Vec<(&str, f64)> =
            std::iter::once(("WORKGROUP_SIZE", f64::from(workgroup_size)))
                .chain(overrides.iter().chain(variant).copied())
                .collect();
        device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(kernel.name),
            layout: Some(&pipeline_layout),
            module: &module,
            entry_point: Some(kernel.entry),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &constants,
                ..Default::default()
            },
            cache: None,
        })
    };
    let pipeline = Pipeline {
        pipeline: compile(&[]),
        layout,
        bindings: kernel.bindings,
    };
    (pipeline, variants.map(compile))
}

#[cfg(test)]
mod tests {
    use std::mem::{offset_of, size_of};

    use super::*;

    /// `Params` of `common.wgsl` as naga lays it out: (member, offset) and the struct's size.
    fn wgsl_params() -> (Vec<(String, u32)>, u32) {
        let source = shaders::GENERAL.source(Multiply::Emulated);
        let module = naga::front::wgsl::parse_str(&source).unwrap();
        let (_, ty) = module
            .types
            .iter()
            .find(|(_, ty)| ty.name.as_deref() == Some("Params"))
            .expect("common.wgsl declares Params");
        let naga::TypeInner::Struct { members, span } = &ty.inner else {
            panic!("Params is not a struct");
        };
        let members = members
            .iter()
            .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
            .collect();
        (members, *span)
    }

    #[test]
    fn params_match_the_wgsl_layout() {
        let at = |name: &str, offset: usize| (name.to_string(), offset as u32);
        let (sides, reciprocals) = (offset_of!(Params, sides), offset_of!(Params, reciprocals));
        let tables = offset_of!(Params, plane_tables);
        let want = vec![
            at("mode", offset_of!(Params, mode)),
            at("block_offset", offset_of!(Params, block_offset)),
            at("block_len", offset_of!(Params, block_len)),
            at("words", offset_of!(Params, words)),
            at("word_offset", offset_of!(Params, word_offset)),
            at("chains", offset_of!(Params, chains)),
            at("sweep_lo", offset_of!(Params, sweep_lo)),
            at("sweep_hi", offset_of!(Params, sweep_hi)),
            at("seed_lo", offset_of!(Params, seed_lo)),
            at("seed_hi", offset_of!(Params, seed_hi)),
            at("n_nodes", offset_of!(Params, n_nodes)),
            at("n_edges", offset_of!(Params, n_edges)),
            at("group_chains", offset_of!(Params, group_chains)),
            at("slot", offset_of!(Params, slot)),
            at("n_obs", offset_of!(Params, n_obs)),
            at("adj_split", offset_of!(Params, adj_split)),
            at("colour", offset_of!(Params, colour)),
            at("lx", sides),
            at("ly", sides + 4),
            at("lz", sides + 8),
            at("words_reciprocal", reciprocals),
            at("half_reciprocal", reciprocals + 4),
            at("ly_reciprocal", reciprocals + 8),
            at("slab_words", offset_of!(Params, slab_words)),
            at("tables_in_buffer", offset_of!(Params, tables_in_buffer)),
            at("planes", offset_of!(Params, planes)),
            at("words_per_beta", offset_of!(Params, words_per_beta)),
            at("n_fields", offset_of!(Params, n_fields)),
            at("beta_groups", offset_of!(Params, beta_groups)),
            at("beta", offset_of!(Params, beta)),
            at("signed_bonds", offset_of!(Params, signed_bonds)),
            at("halos", offset_of!(Params, halos)),
            at("plane_tables_lo", tables),
            at("plane_tables_hi", tables + 16),
        ];
        let (members, span) = wgsl_params();
        assert_eq!(members, want);
        assert_eq!(span as usize, size_of::<Params>());
        assert!(size_of::<Params>() as u64 <= PARAMS_STRIDE);
    }
}
