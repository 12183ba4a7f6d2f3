//! [`GpuSampler`]: block Gibbs sampling in WGSL kernels on a wgpu device.
//!
//! Biases, CSR and spins are uploaded once (`buffers`); a call records the dispatches of many
//! sweeps per submission (one parameter slot each) and of the observations at each sample point
//! (`observe`), and reads back only their results, once per call (or per full output buffer).

mod buffers;
mod lanes;
mod observe;
mod record;
mod state;

use buffers::{UpdateBuffers, group_words, grow, storage};

use std::ops::Range;

use ndarray::{Array2, ArrayView2};

use super::context::GpuContext;
use super::pipelines::{Params, Pipelines, reciprocal};
use super::plan::{
    ChainGroup, GeneralKernel, LatticeKernel, PlanLimits, plan_groups, split_adjacency,
};
use super::transfer::{Dispatch, Readback, Wait, params_buffer, record};
use crate::backend::config::{SamplerConfig, UpdatePath, UpdateRule, choose_path};
use crate::backend::{Sampler, SamplerState, initial_host_state};
use crate::error::{Error, Result};
use crate::model::IsingModel;
use crate::observe::{Observe, Observed};
use crate::packed::PackedSpins;
use crate::program::Init;
use crate::program::{SamplingProgram, SamplingSchedule, Temperatures};
use crate::update::general::Mode;
use crate::update::lane_exchange::LaneSwap;
use crate::update::lattice::{LatticeUpdate, tiled_workgroups};

/// Block Gibbs sampling of many chains on a GPU, with the random numbers of [`crate::CpuSampler`] for a
/// seed: the spins agree bit for bit except where the device's `exp` differs from the host's in the
/// last bit and a uniform lands exactly on that threshold (about one draw in 2^24).
pub struct GpuSampler {
    ctx: GpuContext,
    pipelines: Pipelines,
    limits: PlanLimits,
    /// Words of chains per invocation of the general kernel (`PlanLimits::words_per_invocation`, at
    /// most what the largest chain group needs).
    words_per_invocation: u32,
    /// What the update kernels read besides the spins.
    update: UpdateBuffers,
    adj_split: usize,
    edges: Option<wgpu::Buffer>,
    /// Each edge's weight, for the energies (present with `edges`).
    edge_weights: Option<wgpu::Buffer>,
    params: wgpu::Buffer,
    groups: Vec<Group>,
    blocks: Vec<(u32, u32)>,
    program: SamplingProgram,
    /// The lattice path, when the program and its parameters allow it.
    lattice: Option<LatticeUpdate>,
    /// The chains' inverse temperatures.
    temperatures: Temperatures,
    /// The update path asked for, if any.
    requested_path: Option<UpdatePath>,
    /// The rule of every update.
    rule: UpdateRule,
    /// Chains in all (the sampler holds those of `window`).
    chains: usize,
    /// The 32-chain words this sampler holds: all of them unless it is a shard.
    window: Range<usize>,
    seed: u64,
    next_sweep: u64,
    /// Reusable scratch buffers, by [`Scratch`] use.
    scratch: [Option<wgpu::Buffer>; 5],
    /// The partial sums of [`GpuSampler::record_energy`], once it has run.
    energy_partials: Option<wgpu::Buffer>,
    /// Its per-chain results, one buffer a chain group.
    energy: Vec<Option<wgpu::Buffer>>,
    /// The kept states of [`Sampler::keep_lanes`], one buffer a chain group, once it has run.
    kept: Vec<wgpu::Buffer>,
    readback: Readback,
}

/// One chain group's spins and the bind groups of the update kernels over them.
struct Group {
    plan: ChainGroup,
    spins: wgpu::Buffer,
    general: wgpu::BindGroup,
    lattice: wgpu::BindGroup,
}

/// Which kernel a recorded dispatch runs: the update on the group's own bind group, or an
/// observation kernel on its bind group.
#[derive(Clone, Copy)]
enum Kind<'a> {
    General,
    Lattice,
    Observe(&'a wgpu::ComputePipeline, &'a wgpu::BindGroup),
}

/// One recorded dispatch.
struct Op<'a> {
    kind: Kind<'a>,
    params: Params,
    invocations: u64,
}

impl GpuSampler {
    /// Starts the chains of `config` on `program` on `ctx`'s device, planning with the device's
    /// limits and the launch shape measured fastest on it ([`PlanLimits::tuned`], and for a lattice
    /// program [`super::tuned_lattice_kernel`]).
    pub fn new(
        ctx: &GpuContext,
        program: &SamplingProgram,
        config: &SamplerConfig,
    ) -> Result<Self> {
        config.check_memory(program)?;
        ctx.check_lost()?;
        Self::with_limits(ctx, program, config, Self::tuned_limits(ctx, program)?)
    }

    /// The limits [`GpuSampler::new`] plans `program` with on `ctx`: [`PlanLimits::tuned`], and
    /// for a lattice program the lattice kernel measured fastest.
    pub(crate) fn tuned_limits(ctx: &GpuContext, program: &SamplingProgram) -> Result<PlanLimits> {
        let mut limits = PlanLimits::tuned(ctx)?;
        if program.lattice_sides().is_some() {
            limits.lattice_kernel = super::tuned_lattice_kernel(ctx)?;
        }
        Ok(limits)
    }

    /// As [`GpuSampler::new`], planning with `limits` (at most the device's): lower limits split
    /// spins into more chain groups and fold dispatches sooner, which tests use on small models.
    pub fn with_limits(
        ctx: &GpuContext,
        program: &SamplingProgram,
        config: &SamplerConfig,
        limits: PlanLimits,
    ) -> Result<Self> {
        config.check_memory(program)?;
        let words = config.chains.div_ceil(32);
        Self::shard(ctx, program, config, limits, 0..words)
    }

    /// The chains of `config` in the 32-chain words `window` only, drawing what a sampler of all of
    /// them draws for those chains; the results of every call are those chains'. Several shards on
    /// several devices make a [`crate::MultiGpuSampler`].
    pub(crate) fn shard(
        ctx: &GpuContext,
        program: &SamplingProgram,
        config: &SamplerConfig,
        limits: PlanLimits,
        window: Range<usize>,
    ) -> Result<Self> {
        ctx.check_lost()?;
        let (chains, seed, init) = (config.chains, config.seed, &config.init);
        let temperatures = config.temperatures(program)?;
        // Chosen before anything is allocated; `set_temperatures` takes it below.
        let lattice = choose_path(program, &temperatures, config.path, config.rule)?;
        let clamp_values = config.clamp_values.as_ref().map(|v| v.view());
        u32::try_from(chains).map_err(|_| Error::invalid("chains", "at most 2^32 - 1 chains"))?;
        let model = program.model();
        let csr = program.csr();
        let (n, m) = (model.num_nodes(), model.num_edges());
        let window_chains = (32 * window.end)
            .min(chains)
            .saturating_sub(32 * window.start);
        let mut groups = plan_groups(n, m, window_chains, &limits)?;
        for group in &mut groups {
            group.word_offset += window.start;
        }
        let adj_split = split_adjacency(csr.col().len(), &limits)?;

        let host = initial_host_state(program, chains, init, clamp_values)?;
        let device = ctx.device();
        let scope = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let storage = |label: &str, contents: &[u8]| storage(device, label, contents);
        let update = UpdateBuffers::new(device, program, adj_split);
        let edge_words: Vec<u32> = model.edges().iter().flat_map(|&(i, j)| [i, j]).collect();
        // Only moment counts read the edge list; a graph whose list exceeds a binding can still sample.
        let edges_fit = limits.check_storage(String::new, 8 * m as u64, "").is_ok();
        let edges = edges_fit.then(|| storage("edges", bytemuck::cast_slice(&edge_words)));
        let edge_weights =
            edges_fit.then(|| storage("edge_weights", bytemuck::cast_slice(model.weights())));
        let params = params_buffer(device);
        let split = adj_split < csr.col().len();
        let words = groups.iter().map(|g| g.words).max().unwrap_or(1);
        let words_per_invocation = limits
            .words_per_invocation
            .min(words.next_power_of_two() as u32);
        check_loop_limit(ctx, program, words_per_invocation)?;
        let pipelines = Pipelines::new(ctx, &limits, words_per_invocation, split)?;
        let groups: Vec<Group> = groups
            .into_iter()
            .map(|plan| {
                let spins = storage("spins", bytemuck::cast_slice(&group_words(&host, &plan)));
                let [general, lattice] = update.bind(ctx, &pipelines, &params, &spins);
                Group {
                    plan,
                    spins,
                    general,
                    lattice,
                }
            })
            .collect();
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Gpu {
                during: "buffer allocation",
                message: e.to_string(),
            });
        }
        let mut offset = 0u32;
        let blocks = program
            .blocks()
            .iter()
            .map(|b| {
                let entry = (offset, b.len() as u32);
                offset += b.len() as u32;
                entry
            })
            .collect();
        let mut sampler = GpuSampler {
            ctx: ctx.clone(),
            pipelines,
            limits,
            words_per_invocation,
            update,
            adj_split,
            edges,
            edge_weights,
            params,
            groups,
            blocks,
            program: program.clone(),
            lattice: None,
            temperatures,
            requested_path: config.path,
            rule: config.rule,
            chains,
            window,
            seed,
            next_sweep: 0,
            scratch: Default::default(),
            energy_partials: None,
            energy: Vec::new(),
            kept: Vec::new(),
            readback: Readback::default(),
        };
        sampler.set_temperatures(lattice, true);
        let mode = match init {
            Init::Hinton => Some(Mode::Hinton),
            Init::Uniform => Some(Mode::Uniform),
            Init::AllUp | Init::States(_) => None,
        };
        if let Some(mode) = mode {
            sampler.checked("initial draws", |s| {
                for g in 0..s.groups.len() {
                    let ops: Vec<Op> = (0..s.blocks.len())
                        .map(|b| s.update_op(g, b, mode, 0))
                        .collect();
                    s.submit(g, &ops)?;
                }
                Ok(())
            })?;
        }
        Ok(sampler)
    }

    /// The context this sampler runs on.
    pub fn context(&self) -> &GpuContext {
        &self.ctx
    }

    /// Number of chain groups the spins were split into (1 unless they exceed the binding limit).
    pub fn chain_groups(&self) -> usize {
        self.groups.len()
    }

    /// Chains this sampler holds, those of its window.
    fn window_chains(&self) -> usize {
        self.held_chains().len()
    }

    /// Group `g`'s plan with its words counted from the window's first.
    fn local_plan(&self, g: usize) -> ChainGroup {
        let plan = self.groups[g].plan;
        ChainGroup {
            word_offset: plan.word_offset - self.window.start,
            ..plan
        }
    }

    /// Number of spins of the model.
    pub(crate) fn num_nodes(&self) -> usize {
        self.program.model().num_nodes()
    }

    /// Parameters shared by every dispatch on group `g`.
    fn base_params(&self, g: usize) -> Params {
        let plan = &self.groups[g].plan;
        Params {
            words: plan.words as u32,
            word_offset: plan.word_offset as u32,
            chains: self.chains as u32,
            seed_lo: self.seed as u32,
            seed_hi: (self.seed >> 32) as u32,
            n_nodes: self.num_nodes() as u32,
            n_edges: self.program.model().num_edges() as u32,
            group_chains: plan.chains as u32,
            adj_split: self.adj_split as u32,
            words_per_beta: self.temperatures.words_per_beta() as u32,
            beta_groups: self.temperatures.betas().len() as u32,
            beta: self.temperatures.betas()[0],
            ..self.lattice_params(plan.words as u32)
        }
    }

    /// Uploads the temperatures' betas, and takes `lattice` (the lattice path chosen for the
    /// program and temperatures, or none) with its plane tables uploaded, and its sites' fields and
    /// bonds' signs too when the program's parameters are `new_parameters`. A buffer too small for
    /// them is replaced (and the bind groups over it), never the pipelines.
    fn set_temperatures(&mut self, lattice: Option<LatticeUpdate>, new_parameters: bool) {
        let betas = self.temperatures.betas().to_vec();
        let mut grown = grow(&self.ctx, &mut self.update.betas, 4 * betas.len() as u64);
        let queue = self.ctx.queue().clone();
        queue.write_buffer(&self.update.betas, 0, bytemuck::cast_slice(&betas));
        self.lattice = lattice;
        if let Some(lattice) = self.lattice.as_ref().filter(|l| l.draws().len() > 1) {
            let tables: Vec<u32> = lattice
                .draws()
                .iter()
                .flat_map(|d| d.packed_tables())
                .collect();
            let bytes = 4 * tables.len() as u64;
            grown |= grow(&self.ctx, &mut self.update.field_tables, bytes);
            queue.write_buffer(&self.update.field_tables, 0, bytemuck::cast_slice(&tables));
        }
        // The sites' fields and bonds' signs change with the parameters, not the temperatures.
        if let Some(lattice) = self.lattice.as_ref().filter(|_| new_parameters) {
            queue.write_buffer(
                &self.update.site_field,
                0,
                bytemuck::cast_slice(lattice.site_fields()),
            );
            if !lattice.bond_signs().is_empty() {
                queue.write_buffer(
                    &self.update.bond_signs,
                    0,
                    bytemuck::cast_slice(lattice.bond_signs()),
                );
            }
        }
        if grown {
            for group in &mut self.groups {
                let [general, lattice] =
                    self.update
                        .bind(&self.ctx, &self.pipelines, &self.params, &group.spins);
                (group.general, group.lattice) = (general, lattice);
            }
        }
    }

    /// The lattice fields of the parameters for `words` words a node (zero off the lattice path).
    fn lattice_params(&self, words: u32) -> Params {
        let Some(lattice) = &self.lattice else {
            return Params::default();
        };
        let [lx, ly, _] = lattice.sides();
        Params {
            sides: lattice.sides(),
            reciprocals: [reciprocal(words), reciprocal(lx / 2), reciprocal(ly)],
            plane_tables: lattice.draws()[0].packed_tables(),
            tables_in_buffer: u32::from(lattice.draws().len() > 1),
            n_fields: lattice.fields() as u32,
            signed_bonds: u32::from(!lattice.bond_signs().is_empty()),
            ..Params::default()
        }
    }

    fn update_op(&self, g: usize, block: usize, mode: Mode, sweep: u64) -> Op<'static> {
        let (block_offset, block_len) = self.blocks[block];
        let params = Params {
            mode: mode as u32,
            block_offset,
            block_len,
            sweep_lo: sweep as u32,
            sweep_hi: (sweep >> 32) as u32,
            ..self.base_params(g)
        };
        let lattice = mode == Mode::Update && self.lattice.is_some();
        let words = self.groups[g].plan.words as u64;
        let runs = match self.limits.general_kernel {
            _ if lattice => words,
            GeneralKernel::Words => words.div_ceil(u64::from(self.words_per_invocation)),
            GeneralKernel::Lanes | GeneralKernel::Ballot => 32 * words,
        };
        let mut invocations = u64::from(block_len) * runs;
        if let (true, Some(update), LatticeKernel::Tiles) =
            (lattice, &self.lattice, self.limits.lattice_kernel)
        {
            // Whole workgroups of tiles, whatever the workgroup size the others run with.
            invocations =
                tiled_workgroups(update.sides(), words) * u64::from(self.limits.workgroup_size);
        }
        Op {
            kind: if lattice {
                Kind::Lattice
            } else {
                Kind::General
            },
            params: Params {
                colour: block as u32,
                ..params
            },
            invocations,
        }
    }

    /// Records the ops on group `g` into `encoder` ([`record`]).
    fn record_ops(
        &self,
        g: usize,
        encoder: &mut wgpu::CommandEncoder,
        ops: &[Op<'_>],
    ) -> Result<()> {
        let group = &self.groups[g];
        let dispatches: Vec<Dispatch> = ops
            .iter()
            .map(|op| {
                let (pipeline, bind_group) = match op.kind {
                    Kind::General => (&self.pipelines.general.pipeline, &group.general),
                    Kind::Lattice if op.params.tables_in_buffer == 0 => {
                        (&self.pipelines.lattice_one_table, &group.lattice)
                    }
                    Kind::Lattice => (&self.pipelines.lattice.pipeline, &group.lattice),
                    Kind::Observe(pipeline, bind_group) => (pipeline, bind_group),
                };
                Dispatch {
                    pipeline,
                    bind_group,
                    params: op.params,
                    workgroups: self.limits.workgroups(op.invocations),
                }
            })
            .collect();
        record(&self.ctx, encoder, &self.params, &self.limits, &dispatches)
    }

    /// Records the ops on group `g` and submits them.
    fn submit(&self, g: usize, ops: &[Op<'_>]) -> Result<()> {
        let mut encoder = self
            .ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        self.record_ops(g, &mut encoder, ops)?;
        self.ctx.queue().submit([encoder.finish()]);
        Ok(())
    }

    /// Runs `f` inside error scopes ([`GpuContext::checked`]).
    fn checked<T>(
        &mut self,
        during: &'static str,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        let ctx = self.ctx.clone();
        ctx.checked(during, || f(self))
    }

    /// The chains' spins from each group's words as read back.
    fn unpack_state(&self, groups: &[Vec<u32>]) -> Array2<i8> {
        let mut packed = PackedSpins::new(self.num_nodes(), self.window_chains());
        let words = packed.words();
        let all = packed.bits_mut();
        for (g, bits) in groups.iter().enumerate() {
            let plan = self.local_plan(g);
            for i in 0..self.num_nodes() {
                all[i * words + plan.word_offset..i * words + plan.word_offset + plan.words]
                    .copy_from_slice(&bits[i * plan.words..(i + 1) * plan.words]);
            }
        }
        packed.to_states()
    }

    /// Copies the first `bytes` of `src` to the host.
    fn read(&mut self, src: &wgpu::Buffer, bytes: u64) -> Result<Vec<u32>> {
        self.readback.read(&self.ctx, src, bytes)
    }
}

impl Sampler for GpuSampler {
    fn run(&mut self, schedule: &SamplingSchedule, observe: &Observe) -> Result<Observed> {
        self.run_observed(schedule, observe)
    }

    fn sweep(&mut self, sweeps: u64) -> Result<()> {
        self.checked("sweeps", |s| {
            pollster::block_on(s.sweep_with(sweeps, Wait::Block))
        })
    }

    fn state(&mut self) -> Result<Array2<i8>> {
        self.checked("state read-back", |s| {
            pollster::block_on(s.state_with(Wait::Block))
        })
    }

    fn swap_lanes(&mut self, swaps: &[LaneSwap]) -> Result<()> {
        self.swap_lanes_in_place(swaps)
    }

    fn keep_lanes(&mut self, masks: &[u32]) -> Result<()> {
        self.keep_lanes_in_place(masks)
    }

    fn kept_state(&mut self) -> Result<Array2<i8>> {
        self.read_kept_state()
    }

    fn save_state(&mut self) -> Result<SamplerState> {
        self.read_state()
    }

    fn restore_state(&mut self, state: &SamplerState) -> Result<()> {
        self.write_state(state)
    }

    fn backend_name(&self) -> String {
        format!("gpu: {}", self.ctx.describe())
    }

    fn held_chains(&self) -> Range<usize> {
        32 * self.window.start..(32 * self.window.end).min(self.chains)
    }

    fn update_path(&self) -> UpdatePath {
        match self.lattice {
            Some(_) => UpdatePath::Lattice,
            None => UpdatePath::General,
        }
    }

    fn set_parameters(&mut self, model: &IsingModel) -> Result<UpdatePath> {
        let mut program = self.program.clone();
        program.set_parameters(model)?;
        let temperatures = Temperatures::single(model.beta(), self.chains);
        let lattice = choose_path(&program, &temperatures, self.requested_path, self.rule)?;
        (self.program, self.temperatures) = (program, temperatures);
        let queue = self.ctx.queue();
        self.update
            .write_parameters(queue, &self.program, self.adj_split);
        if let Some(weights) = &self.edge_weights {
            queue.write_buffer(weights, 0, bytemuck::cast_slice(model.weights()));
        }
        self.set_temperatures(lattice, true);
        Ok(self.update_path())
    }

    fn temperatures(&self) -> &Temperatures {
        &self.temperatures
    }

    fn set_betas(&mut self, betas: &[f32]) -> Result<()> {
        let temperatures = Temperatures::new(betas, self.chains)?;
        let lattice = self.lattice.as_ref().map(|l| l.at(&temperatures));
        self.temperatures = temperatures;
        self.set_temperatures(lattice, false);
        Ok(())
    }

    fn set_clamp_values(&mut self, values: ArrayView2<'_, i8>) -> Result<()> {
        let clamped = self.program.clamped().to_vec();
        // Pack the clamped nodes alone (node k of `packed` is clamped node k), then write each
        // clamped node's words into every chain group.
        let mut packed = PackedSpins::new(clamped.len(), self.chains);
        let local: Vec<u32> = (0..clamped.len() as u32).collect();
        packed.set_nodes(&local, values)?;
        let words = packed.words();
        for group in &self.groups {
            let plan = group.plan;
            for (k, &node) in clamped.iter().enumerate() {
                let row = &packed.bits()
                    [k * words + plan.word_offset..k * words + plan.word_offset + plan.words];
                let offset = 4 * (node as usize * plan.words) as u64;
                self.ctx
                    .queue()
                    .write_buffer(&group.spins, offset, bytemuck::cast_slice(row));
            }
        }
        Ok(())
    }
}

/// An error when a free node has more neighbours than `ctx`'s shader loops visit: `general.wgsl` loops
/// once per neighbour, then once per word and per tied draw (at most 33 a word), and some drivers end
/// long loops silently ([`GpuContext::max_loop_iterations`]).
fn check_loop_limit(ctx: &GpuContext, program: &SamplingProgram, words: u32) -> Result<()> {
    let Some(limit) = ctx.max_loop_iterations() else {
        return Ok(());
    };
    let row_ptr = program.csr().row_ptr();
    let degree = |i: u32| (row_ptr[i as usize + 1] - row_ptr[i as usize]) as usize;
    let busiest = program
        .blocks()
        .iter()
        .flatten()
        .copied()
        .max_by_key(|&i| degree(i));
    match busiest {
        Some(node) if degree(node) + 33 * words as usize > limit => Err(Error::LoopLimit {
            node,
            degree: degree(node),
            adapter: ctx.adapter_info().name.clone(),
            limit,
        }),
        _ => Ok(()),
    }
}
