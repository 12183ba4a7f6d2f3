//! The buffers of the GPU sampler's update kernels besides the spins, and their bind groups.

use wgpu::util::DeviceExt;

use super::super::context::GpuContext;
use super::super::pipelines::Pipelines;
use super::super::plan::ChainGroup;
use super::super::transfer::bind_group;
use crate::packed::PackedSpins;
use crate::program::SamplingProgram;
use crate::update::lattice::MAX_FIELDS;

/// A storage buffer holding `contents` (8 zero bytes when empty: bindings may not be empty),
/// writable and readable by copies.
pub(super) fn storage(device: &wgpu::Device, label: &str, contents: &[u8]) -> wgpu::Buffer {
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some(label),
        contents: if contents.is_empty() {
            &[0; 8]
        } else {
            contents
        },
        usage: wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_DST
            | wgpu::BufferUsages::COPY_SRC,
    })
}

/// The buffers the update kernels read besides the spins.
pub(super) struct UpdateBuffers {
    pub(super) row_ptr: wgpu::Buffer,
    /// CSR entries, split over two bindings when they exceed one.
    pub(super) adj: [wgpu::Buffer; 2],
    pub(super) biases: wgpu::Buffer,
    pub(super) block_nodes: wgpu::Buffer,
    /// The beta of each temperature group.
    pub(super) betas: wgpu::Buffer,
    /// The lattice path's plane tables per temperature group and distinct field.
    pub(super) field_tables: wgpu::Buffer,
    /// Each site's field.
    pub(super) site_field: wgpu::Buffer,
    /// Each site's bond sign bits (the lattice path of a +-J lattice).
    pub(super) bond_signs: wgpu::Buffer,
}

impl UpdateBuffers {
    /// The buffers of `program`, its CSR entries split after `adj_split` of them; the betas and
    /// lattice tables hold room for one beta and [`MAX_FIELDS`] fields until they are written.
    pub(super) fn new(device: &wgpu::Device, program: &SamplingProgram, adj_split: usize) -> Self {
        let model = program.model();
        let csr = program.csr();
        let storage = |label: &str, contents: &[u8]| storage(device, label, contents);
        let adj_words = adjacency_words(csr.col(), csr.edge(), model.weights());
        let (lo, hi) = adj_words.split_at(2 * adj_split);
        // Room for the lattice path's fields, written when it runs (only lattice programs take it).
        let site_fields = if program.lattice_sides().is_some() {
            model.num_nodes()
        } else {
            1
        };
        let block_nodes: Vec<u32> = program.blocks().concat();
        UpdateBuffers {
            row_ptr: storage("row_ptr", bytemuck::cast_slice(csr.row_ptr())),
            adj: [
                storage("adj", bytemuck::cast_slice(lo)),
                storage("adj_hi", bytemuck::cast_slice(hi)),
            ],
            biases: storage("biases", bytemuck::cast_slice(model.biases())),
            block_nodes: storage("block_nodes", bytemuck::cast_slice(&block_nodes)),
            betas: storage("betas", bytemuck::cast_slice(&[model.beta()])),
            field_tables: storage("field_tables", &vec![0; 32 * MAX_FIELDS]),
            site_field: storage("site_field", &vec![0; 4 * site_fields]),
            bond_signs: storage("bond_signs", &vec![0; 4 * site_fields]),
        }
    }

    /// Writes `model`'s weights and biases (the program's graph, the CSR split after `adj_split`).
    pub(super) fn write_parameters(
        &self,
        queue: &wgpu::Queue,
        program: &SamplingProgram,
        adj_split: usize,
    ) {
        let model = program.model();
        let csr = program.csr();
        let words = adjacency_words(csr.col(), csr.edge(), model.weights());
        let (lo, hi) = words.split_at(2 * adj_split);
        queue.write_buffer(&self.adj[0], 0, bytemuck::cast_slice(lo));
        if !hi.is_empty() {
            queue.write_buffer(&self.adj[1], 0, bytemuck::cast_slice(hi));
        }
        queue.write_buffer(&self.biases, 0, bytemuck::cast_slice(model.biases()));
    }

    /// The bind groups of the general and lattice kernels over `spins`.
    pub(super) fn bind(
        &self,
        ctx: &GpuContext,
        pipelines: &Pipelines,
        params: &wgpu::Buffer,
        spins: &wgpu::Buffer,
    ) -> [wgpu::BindGroup; 2] {
        let general = bind_group(
            ctx,
            &pipelines.general,
            params,
            &[
                ("spins", spins),
                ("row_ptr", &self.row_ptr),
                ("adj", &self.adj[0]),
                ("biases", &self.biases),
                ("block_nodes", &self.block_nodes),
                ("adj_hi", &self.adj[1]),
                ("betas", &self.betas),
            ],
        );
        let lattice = bind_group(
            ctx,
            &pipelines.lattice,
            params,
            &[
                ("spins", spins),
                ("field_tables", &self.field_tables),
                ("site_field", &self.site_field),
                ("bond_signs", &self.bond_signs),
            ],
        );
        [general, lattice]
    }
}

/// The words of `plan`'s chains, node-major.
pub(super) fn group_words(packed: &PackedSpins, plan: &ChainGroup) -> Vec<u32> {
    let words = packed.words();
    let bits = packed.bits();
    (0..packed.num_nodes())
        .flat_map(|i| {
            bits[i * words + plan.word_offset..i * words + plan.word_offset + plan.words].to_vec()
        })
        .collect()
}

/// CSR entries as (neighbour, weight bits) pairs, the `adj` layout of `general.wgsl`.
fn adjacency_words(col: &[u32], edge: &[u32], weights: &[f32]) -> Vec<u32> {
    col.iter()
        .zip(edge)
        .flat_map(|(&c, &e)| [c, weights[e as usize].to_bits()])
        .collect()
}

/// Replaces `buffer` by a zeroed one of `bytes` when it is smaller; whether it did.
pub(super) fn grow(ctx: &GpuContext, buffer: &mut wgpu::Buffer, bytes: u64) -> bool {
    if buffer.size() >= bytes {
        return false;
    }
    *buffer = ctx.device().create_buffer(&wgpu::BufferDescriptor {
        label: Some("temperature tables"),
        size: bytes.next_multiple_of(4),
        usage: buffer.usage(),
        mapped_at_creation: false,
    });
    true
}
