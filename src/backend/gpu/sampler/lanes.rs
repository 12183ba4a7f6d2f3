//! Chains swapped or kept where they live: the lane-exchange kernels (`lane_swap.wgsl`,
//! `lane_keep.wgsl`) on each chain group, for tempering's swaps and annealing's best states.

use ndarray::Array2;

use super::super::pipelines::Params;
use super::buffers::storage;
use super::{GpuSampler, Kind, Op};
use crate::error::{Error, Result};
use crate::update::lane_exchange::{LaneSwap, check_held, check_masks, check_swaps};

impl GpuSampler {
    /// [`crate::Sampler::swap_lanes`]: each group's swaps in one dispatch; an error (nothing
    /// swapped) when a swap's words lie outside this sampler's window or in two chain groups.
    pub(super) fn swap_lanes_in_place(&mut self, swaps: &[LaneSwap]) -> Result<()> {
        check_swaps(swaps, self.chains.div_ceil(32))?;
        check_held(swaps, &self.window)?;
        let mut per_group: Vec<Vec<[u32; 4]>> = vec![Vec::new(); self.groups.len()];
        for (k, s) in swaps.iter().enumerate() {
            let group_of = |w: u32| {
                self.groups.iter().position(|g| {
                    (g.plan.word_offset..g.plan.word_offset + g.plan.words).contains(&(w as usize))
                })
            };
            match (group_of(s.word_a), group_of(s.word_b)) {
                (Some(a), Some(b)) if a == b => {
                    let first = self.groups[a].plan.word_offset as u32;
                    per_group[a].push([s.word_a - first, s.word_b - first, s.lanes, 0]);
                }
                _ => {
                    return Err(Error::invalid(
                        "lane swaps",
                        format!(
                            "swap {k} joins words {} and {}, which this GPU sampler does not hold in \
                             one spin buffer (chain groups split the chains when they exceed the \
                             device's binding limit); use fewer chains or fewer nodes",
                            s.word_a, s.word_b
                        ),
                    ));
                }
            }
        }
        self.checked("lane swaps", |s| {
            for (g, entries) in per_group.iter().enumerate().filter(|(_, e)| !e.is_empty()) {
                let buffer = storage(s.ctx.device(), "swaps", bytemuck::cast_slice(entries));
                let bind_group =
                    s.observe_bind_group(&s.pipelines.lane_swap, g, &[("swaps", &buffer)]);
                let op = Op {
                    kind: Kind::Observe(&s.pipelines.lane_swap.pipeline, &bind_group),
                    params: Params {
                        n_obs: entries.len() as u32,
                        ..s.base_params(g)
                    },
                    invocations: (s.num_nodes() * entries.len()) as u64,
                };
                s.submit(g, &[op])?;
            }
            Ok(())
        })
    }

    /// [`crate::Sampler::keep_lanes`]: the kept copies (made from the spins at the first call), then
    /// each group's masked lanes copied in one dispatch.
    pub(super) fn keep_lanes_in_place(&mut self, masks: &[u32]) -> Result<()> {
        check_masks(masks, self.window.len())?;
        self.checked("kept states", |s| {
            if s.kept.is_empty() {
                let kept = s.kept_buffers();
                let mut encoder = s
                    .ctx
                    .device()
                    .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
                for (g, kept) in s.groups.iter().zip(&kept) {
                    encoder.copy_buffer_to_buffer(&g.spins, 0, kept, 0, g.spins.size());
                }
                s.ctx.queue().submit([encoder.finish()]);
                s.kept = kept;
            }
            for g in 0..s.groups.len() {
                let plan = s.local_plan(g);
                let group_masks = &masks[plan.word_offset..plan.word_offset + plan.words];
                if group_masks.iter().all(|&m| m == 0) {
                    continue;
                }
                let buffer = storage(s.ctx.device(), "masks", bytemuck::cast_slice(group_masks));
                let kept = s.kept[g].clone();
                let bind_group = s.observe_bind_group(
                    &s.pipelines.lane_keep,
                    g,
                    &[("masks", &buffer), ("kept", &kept)],
                );
                let op = Op {
                    kind: Kind::Observe(&s.pipelines.lane_keep.pipeline, &bind_group),
                    params: s.base_params(g),
                    invocations: (s.num_nodes() * plan.words) as u64,
                };
                s.submit(g, &[op])?;
            }
            Ok(())
        })
    }

    /// One uninitialised kept-state buffer per chain group, the size of its spins.
    pub(super) fn kept_buffers(&self) -> Vec<wgpu::Buffer> {
        self.groups
            .iter()
            .map(|g| {
                self.ctx.device().create_buffer(&wgpu::BufferDescriptor {
                    label: Some("kept"),
                    size: g.spins.size(),
                    usage: wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_DST
                        | wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                })
            })
            .collect()
    }

    /// [`crate::Sampler::kept_state`]: the kept copies read back, or the spins before any keep.
    pub(super) fn read_kept_state(&mut self) -> Result<Array2<i8>> {
        if self.kept.is_empty() {
            return crate::Sampler::state(self);
        }
        self.checked("kept state read-back", |s| {
            let mut words = Vec::with_capacity(s.groups.len());
            for g in 0..s.groups.len() {
                let kept = s.kept[g].clone();
                let bytes = 4 * (s.num_nodes() * s.groups[g].plan.words) as u64;
                words.push(s.read(&kept, bytes)?);
            }
            Ok(s.unpack_state(&words))
        })
    }
}
