//! [`GpuSitePacked`]: one site-packed lattice swept by `site_packed.wgsl`.

use std::ops::Range;

use wgpu::util::DeviceExt;

use super::context::GpuContext;
use super::pipelines::{Params, Pipeline, build, reciprocal};
use super::plan::PlanLimits;
use super::spin_buffers::{SitePackedCounts, SitePackedSpins};
use super::transfer::{
    Dispatch, OPS_PER_SUBMIT, Readback, Wait, bind_group, params_buffer, record,
};
use crate::backend::{SitePackedSampler, check_sweep_range};
use crate::error::{Error, Result};
use crate::program::Init;
use crate::shaders;
use crate::update::count_draw::CountDraw;
use crate::update::site_packed::{Observables, SitePackedLattice, Slab, TILE_ROWS, TILE_WORDS};

/// How the update kernel spreads a colour over invocations; the results are the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SitePackedKernel {
    /// One invocation a word, reading its neighbour words from the buffers.
    Words,
    /// One workgroup a tile of 8 rows x 32 words, which reads the other colour's words of the tile and
    /// its halo once into workgroup memory. Needs a workgroup size that is a multiple of 32, at most
    /// 256.
    Tiles,
}

/// One site-packed lattice on a GPU; the same draws as [`crate::CpuSitePacked`] for a seed.
pub struct GpuSitePacked {
    ctx: GpuContext,
    limits: PlanLimits,
    lattice: SitePackedLattice,
    /// The words held: the whole lattice, or a slab with halos.
    slab: Slab,
    draw: CountDraw,
    kernel: SitePackedKernel,
    update: Pipeline,
    measure: Pipeline,
    /// `[colour][binding]`: each colour's words held, the second binding empty unless one is too
    /// small.
    spins: [[wgpu::Buffer; 2]; 2],
    /// Words of each colour in the first binding.
    slab_words: usize,
    partials: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    params: wgpu::Buffer,
    seed: u64,
    next_sweep: u64,
    readback: Readback,
}

impl GpuSitePacked {
    /// Starts `lattice` from `init` on `ctx`'s device, drawing with `seed`, with the workgroup size and
    /// the kernel measured fastest on the device ([`super::tuned_workgroup_size`],
    /// [`super::tuned_site_packed_kernel`]).
    pub fn new(
        ctx: &GpuContext,
        lattice: &SitePackedLattice,
        seed: u64,
        init: Init,
    ) -> Result<Self> {
        ctx.check_lost()?;
        let limits = PlanLimits::tuned(ctx)?;
        let kernel = super::tuned_site_packed_kernel(ctx)?;
        Self::with_limits(ctx, lattice, seed, init, limits, kernel)
    }

    /// As [`GpuSitePacked::new`], planning with `limits` (at most the device's) and running `kernel`:
    /// a lower binding limit splits each colour over two bindings, which tests use on small lattices.
    pub fn with_limits(
        ctx: &GpuContext,
        lattice: &SitePackedLattice,
        seed: u64,
        init: Init,
        limits: PlanLimits,
        kernel: SitePackedKernel,
    ) -> Result<Self> {
        Self::start(ctx, lattice, lattice.whole(), seed, init, limits, kernel)
    }

    /// As [`GpuSitePacked::with_limits`], holding the words of `slab` (the tiled kernel updates
    /// whole lattices only).
    pub(crate) fn start(
        ctx: &GpuContext,
        lattice: &SitePackedLattice,
        slab: Slab,
        seed: u64,
        init: Init,
        limits: PlanLimits,
        kernel: SitePackedKernel,
    ) -> Result<Self> {
        ctx.check_lost()?;
        let words = slab.held_words();
        let per_binding = (limits.max_storage() / 4) as usize;
        if words > 2 * per_binding {
            return Err(Error::DeviceLimit {
                what: format!(
                    "one colour of the {:?} site-packed lattice ({words} words held)",
                    lattice.sides()
                ),
                bytes: 4 * words as u64,
                limit: 2 * limits.max_storage(),
                limit_name: "2 x max_storage_buffer_binding_size",
                hint: "a colour spans at most two bindings; use a smaller lattice or a device with larger buffers",
            });
        }
        let size = limits.workgroup_size;
        if kernel == SitePackedKernel::Tiles
            && (!size.is_multiple_of(TILE_WORDS) || size > TILE_WORDS * TILE_ROWS)
        {
            return Err(Error::invalid(
                "workgroup size",
                format!(
                    "{size}: tiles need a multiple of 32 up to 256; use SitePackedKernel::Words"
                ),
            ));
        }
        if kernel == SitePackedKernel::Tiles && slab != lattice.whole() {
            return Err(Error::invalid(
                "site-packed kernel",
                "tiles update whole lattices; use SitePackedKernel::Words for a slab",
            ));
        }
        limits.fold(update_workgroups(
            lattice,
            kernel,
            &limits,
            slab.own().len(),
        ))?;
        let (x, y) = limits.fold(limits.workgroups(slab.own().len() as u64))?;
        let slab_words = words.min(per_binding);
        let host = lattice.initial_words(&init, seed, &slab)?;
        let device = ctx.device();
        ctx.checked("site-packed set-up", || {
            let storage = |label: &str, words: &[u32]| {
                device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some(label),
                    contents: bytemuck::cast_slice(if words.is_empty() { &[0] } else { words }),
                    usage: wgpu::BufferUsages::STORAGE
                        | wgpu::BufferUsages::COPY_SRC
                        | wgpu::BufferUsages::COPY_DST,
                })
            };
            let spins = host.each_ref().map(|colour| {
                let (lo, hi) = colour.split_at(slab_words);
                [storage("spins", lo), storage("spins_hi", hi)]
            });
            let partials = storage("partials", &vec![0; 2 * (x * y) as usize]);
            let update = match kernel {
                SitePackedKernel::Words => &shaders::SITE_PACKED,
                SitePackedKernel::Tiles => &shaders::SITE_PACKED_TILED,
            };
            let update = build(ctx, update, limits.workgroup_size, &[]);
            let measure = build(
                ctx,
                &shaders::SITE_PACKED_MEASURE,
                limits.workgroup_size,
                &[],
            );
            let params = params_buffer(device);
            let [[even_lo, even_hi], [odd_lo, odd_hi]] = &spins;
            let bind_group = bind_group(
                ctx,
                &update,
                &params,
                &[
                    ("even_lo", even_lo),
                    ("even_hi", even_hi),
                    ("odd_lo", odd_lo),
                    ("odd_hi", odd_hi),
                    ("partials", &partials),
                ],
            );
            let (j, h, beta) = lattice.parameters();
            Ok(GpuSitePacked {
                ctx: ctx.clone(),
                limits,
                lattice: lattice.clone(),
                slab,
                draw: CountDraw::new(j, h, beta, lattice.degree()),
                kernel,
                update,
                measure,
                spins,
                slab_words,
                partials,
                bind_group,
                params,
                seed,
                next_sweep: 0,
                readback: Readback::default(),
            })
        })
    }

    /// Whether each colour spans two bindings.
    pub fn split_bindings(&self) -> bool {
        self.slab_words < self.slab.held_words()
    }

    /// Parameters of a dispatch over the words `range` (global) of `colour` in `sweep`.
    fn params(&self, colour: u32, sweep: u64, range: Range<usize>) -> Params {
        let [_, ly, _] = self.lattice.sides();
        let row = self.lattice.words_per_row() as u32;
        Params {
            block_offset: range.start as u32,
            block_len: range.len() as u32,
            // Wrapping, as the kernel's local indices are.
            word_offset: self.slab.base() as u32,
            halos: u32::from(self.slab.has_halos()),
            words: row,
            colour,
            sides: self.lattice.sides(),
            reciprocals: [reciprocal(row), 0, reciprocal(ly)],
            slab_words: self.slab_words as u32,
            sweep_lo: sweep as u32,
            sweep_hi: (sweep >> 32) as u32,
            seed_lo: self.seed as u32,
            seed_hi: (self.seed >> 32) as u32,
            plane_tables: self.draw.packed_tables(),
            ..Params::default()
        }
    }

    /// The update of the words `range` (global, all of them for tiles) of `colour` in `sweep`.
    fn update_dispatch(&self, colour: u32, sweep: u64, range: Range<usize>) -> Dispatch<'_> {
        let groups = update_workgroups(&self.lattice, self.kernel, &self.limits, range.len());
        self.dispatch(&self.update, self.params(colour, sweep, range), groups)
    }

    fn dispatch<'a>(
        &'a self,
        pipeline: &'a Pipeline,
        params: Params,
        workgroups: u64,
    ) -> Dispatch<'a> {
        Dispatch {
            pipeline: &pipeline.pipeline,
            bind_group: &self.bind_group,
            params,
            workgroups,
        }
    }
}

/// Workgroups of an update of `words` words of one colour with `kernel` (all of them for tiles).
fn update_workgroups(
    lattice: &SitePackedLattice,
    kernel: SitePackedKernel,
    limits: &PlanLimits,
    words: usize,
) -> u64 {
    let [_, ly, lz] = lattice.sides().map(u64::from);
    let row = lattice.words_per_row() as u64;
    match kernel {
        SitePackedKernel::Words => limits.workgroups(words as u64),
        SitePackedKernel::Tiles => {
            lz * ly.div_ceil(u64::from(TILE_ROWS)) * row.div_ceil(u64::from(TILE_WORDS))
        }
    }
}

impl GpuSitePacked {
    /// Records `sweeps` sweeps into `encoder`, the caller's to submit (with its own passes, in its
    /// own frame); they draw the numbers [`SitePackedSampler::sweep`] would, and the sweep counter
    /// moves on as they are recorded. [`SitePackedSampler::set_parameters`] reaches only sweeps
    /// recorded after it.
    pub fn record_sweeps(&mut self, encoder: &mut wgpu::CommandEncoder, sweeps: u64) -> Result<()> {
        check_sweep_range(self.next_sweep, sweeps)?;
        let own = self.slab.own();
        let mut done = 0;
        while done < sweeps {
            let batch = (sweeps - done).min(OPS_PER_SUBMIT as u64 / 2);
            let dispatches: Vec<Dispatch> = (0..batch)
                .flat_map(|s| {
                    let sweep = self.next_sweep + done + s;
                    [0, 1].map(|colour| self.update_dispatch(colour, sweep, own.clone()))
                })
                .collect();
            record(&self.ctx, encoder, &self.params, &self.limits, &dispatches)?;
            done += batch;
        }
        self.next_sweep += sweeps;
        Ok(())
    }

    /// Records the measurement of the state the recorded work leaves: per workgroup, up spins and
    /// agreeing neighbour pairs into the buffer returned ([`SitePackedCounts`]).
    pub fn record_observables(
        &mut self,
        encoder: &mut wgpu::CommandEncoder,
    ) -> Result<SitePackedCounts<'_>> {
        let own = self.slab.own();
        let groups = self.limits.workgroups(own.len() as u64);
        let measure = self.dispatch(&self.measure, self.params(0, 0, own), groups);
        record(&self.ctx, encoder, &self.params, &self.limits, &[measure])?;
        Ok(SitePackedCounts {
            buffer: &self.partials,
            pairs: (self.partials.size() / 8) as usize,
        })
    }

    /// Both colours' spin buffers with their layout, for a pass of the application's to read in
    /// place ([`super::SITE_PACKED_SPIN_WGSL`]); an error when a colour spans two bindings
    /// ([`GpuSitePacked::split_bindings`]), which the snippet does not read.
    pub fn spin_buffers(&self) -> Result<SitePackedSpins<'_>> {
        if self.split_bindings() {
            return Err(Error::invalid(
                "spin buffers",
                "each colour of this lattice spans two bindings; read it back with state() or use a lattice within max_storage_buffer_binding_size",
            ));
        }
        Ok(SitePackedSpins {
            colours: [&self.spins[0][0], &self.spins[1][0]],
            sides: self.lattice.sides(),
            words_per_colour: self.lattice.words_per_colour(),
        })
    }

    /// [`SitePackedSampler::sweep`] without blocking: completes when the device has run the sweeps
    /// (on native backends, when the device is polled; see `wgpu::Device::poll`).
    pub async fn sweep_async(&mut self, sweeps: u64) -> Result<()> {
        self.sweep_with(sweeps, Wait::Poll).await
    }

    /// [`SitePackedSampler::observables`] without blocking (polled as
    /// [`GpuSitePacked::sweep_async`] says).
    pub async fn observables_async(&mut self) -> Result<Observables> {
        self.observables_with(Wait::Poll).await
    }

    /// [`SitePackedSampler::state`] without blocking (polled as [`GpuSitePacked::sweep_async`]
    /// says).
    pub async fn state_async(&mut self) -> Result<Vec<i8>> {
        self.state_with(Wait::Poll).await
    }

    async fn sweep_with(&mut self, sweeps: u64, wait: Wait) -> Result<()> {
        let ctx = self.ctx.clone();
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        ctx.checked("site-packed sweeps", || {
            self.record_sweeps(&mut encoder, sweeps)
        })?;
        ctx.queue().submit([encoder.finish()]);
        wait.done(&ctx).await
    }

    async fn observables_with(&mut self, wait: Wait) -> Result<Observables> {
        let (ups, agreements) = self.counts_with(wait).await?;
        Ok(self.lattice.observables_of(ups, agreements))
    }

    /// Up spins and agreeing neighbour pairs of the own words, as
    /// [`SitePackedLattice::count`] gives them.
    async fn counts_with(&mut self, wait: Wait) -> Result<(u64, u64)> {
        let ctx = self.ctx.clone();
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        ctx.checked("site-packed measurement", || {
            self.record_observables(&mut encoder).map(|_| ())
        })?;
        ctx.queue().submit([encoder.finish()]);
        let partials = self.partials.clone();
        let words = self
            .readback
            .read_with(&ctx, &partials, partials.size(), wait)
            .await?;
        Ok(words.chunks(2).fold((0u64, 0u64), |(u, a), pair| {
            (u + u64::from(pair[0]), a + u64::from(pair[1]))
        }))
    }

    async fn state_with(&mut self, wait: Wait) -> Result<Vec<i8>> {
        let colours = self.own_words_with(wait).await?;
        Ok(self.lattice.unpack(&colours))
    }

    /// Both colours' own words (the slab's, halos left out).
    async fn own_words_with(&mut self, wait: Wait) -> Result<[Vec<u32>; 2]> {
        let words = self.slab.held_words();
        let mut colours = [Vec::new(), Vec::new()];
        for (colour, slabs) in colours.iter_mut().zip(self.spins.clone()) {
            let lo = 4 * self.slab_words as u64;
            colour.extend(
                self.readback
                    .read_with(&self.ctx, &slabs[0], lo, wait)
                    .await?,
            );
            if words > self.slab_words {
                let rest = 4 * (words - self.slab_words) as u64;
                colour.extend(
                    self.readback
                        .read_with(&self.ctx, &slabs[1], rest, wait)
                        .await?,
                );
            }
        }
        let own = self.slab.local_own();
        Ok(colours.map(|held| held[own.clone()].to_vec()))
    }
}

/// What the slab of a lattice over MPI ranks (`distributed::GpuSlab`) drives.
#[cfg(feature = "mpi")]
impl GpuSitePacked {
    /// The device.
    pub(crate) fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// The words held.
    pub(crate) fn held(&self) -> &Slab {
        &self.slab
    }

    /// Records the update of `colour`'s words `ranges` (global; empty ones skipped) in `sweep`,
    /// in order.
    pub(crate) fn record_update(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        colour: usize,
        sweep: u64,
        ranges: &[Range<usize>],
    ) -> Result<()> {
        let dispatches: Vec<Dispatch> = ranges
            .iter()
            .filter(|range| !range.is_empty())
            .map(|range| self.update_dispatch(colour as u32, sweep, range.clone()))
            .collect();
        record(&self.ctx, encoder, &self.params, &self.limits, &dispatches)
    }

    /// Where `colour`'s held words `local` (local indices) lie: for each binding that holds some,
    /// the buffer, the byte offset in it and the part of `local` it holds, counted from
    /// `local.start`.
    pub(crate) fn held_pieces(
        &self,
        colour: usize,
        local: Range<usize>,
    ) -> Vec<(&wgpu::Buffer, u64, Range<usize>)> {
        let split = self.slab_words;
        let [lo, hi] = &self.spins[colour];
        let mut pieces = Vec::new();
        if local.start < split {
            let end = local.end.min(split);
            pieces.push((lo, 4 * local.start as u64, 0..end - local.start));
        }
        if local.end > split {
            let start = local.start.max(split);
            pieces.push((
                hi,
                4 * (start - split) as u64,
                start - local.start..local.len(),
            ));
        }
        pieces
    }

    /// Up spins and agreeing neighbour pairs of the own words (blocking).
    pub(crate) fn counts(&mut self) -> Result<(u64, u64)> {
        let ctx = self.ctx.clone();
        ctx.checked("site-packed measurement", || {
            pollster::block_on(self.counts_with(Wait::Block))
        })
    }

    /// Both colours' own words (blocking).
    pub(crate) fn own_words(&mut self) -> Result<[Vec<u32>; 2]> {
        let ctx = self.ctx.clone();
        ctx.checked("site-packed read-back", || {
            pollster::block_on(self.own_words_with(Wait::Block))
        })
    }
}

impl SitePackedSampler for GpuSitePacked {
    fn sweep(&mut self, sweeps: u64) -> Result<()> {
        let ctx = self.ctx.clone();
        ctx.checked("site-packed sweeps", || {
            pollster::block_on(self.sweep_with(sweeps, Wait::Block))
        })
    }

    fn observables(&mut self) -> Result<Observables> {
        let ctx = self.ctx.clone();
        ctx.checked("site-packed measurement", || {
            pollster::block_on(self.observables_with(Wait::Block))
        })
    }

    fn state(&mut self) -> Result<Vec<i8>> {
        let ctx = self.ctx.clone();
        ctx.checked("site-packed read-back", || {
            pollster::block_on(self.state_with(Wait::Block))
        })
    }

    fn set_parameters(&mut self, coupling: f32, field: f32, beta: f32) -> Result<()> {
        self.lattice.set_parameters(coupling, field, beta)?;
        self.draw = CountDraw::new(coupling, field, beta, self.lattice.degree());
        Ok(())
    }

    fn backend_name(&self) -> String {
        format!("gpu: {}", self.ctx.describe())
    }
}
