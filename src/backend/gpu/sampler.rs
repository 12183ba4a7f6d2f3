//! [`GpuSampler`]: block Gibbs sampling in WGSL kernels on a wgpu device.
//!
//! Biases, CSR and spins are uploaded once; a call records the dispatches of many sweeps per
//! submission (one parameter slot each) and reads back only the observed samples or the moment
//! counts (in bit planes), once per call (or per full output buffer).

use ndarray::{Array2, Array3, ArrayView2};
use wgpu::util::DeviceExt;

use super::context::GpuContext;
use super::pipelines::{Params, Pipeline, Pipelines, reciprocal};
use super::plan::{ChainGroup, PlanLimits, plan_groups, split_adjacency};
use super::transfer::{
    Dispatch, OPS_PER_SUBMIT, Readback, bind_group, ensure, params_buffer, submit,
};
use crate::backend::config::{SamplerConfig, UpdatePath, choose_path};
use crate::backend::{
    Init, Sampler, Span, Step, check_count_capacity, check_sample_request, check_sweep_range,
    initial_host_state,
};
use crate::error::{Error, Result};
use crate::model::IsingModel;
use crate::moments::Moments;
use crate::observe::energy::ENERGY_CHUNK;
use crate::observe::plane_counters::PlaneCounters;
use crate::observe::{EnergyTrace, Observe, Observed};
use crate::packed::PackedSpins;
use crate::program::{SamplingProgram, SamplingSchedule, Temperatures};
use crate::spin::spin_i8;
use crate::update::general::Mode;
use crate::update::lattice::{LatticeUpdate, MAX_FIELDS};

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
    chains: usize,
    seed: u64,
    next_sweep: u64,
    /// Reusable scratch buffers, by [`Scratch`] use.
    scratch: [Option<wgpu::Buffer>; 4],
    readback: Readback,
}

/// The buffers the update kernels read besides the spins.
struct UpdateBuffers {
    row_ptr: wgpu::Buffer,
    /// CSR entries, split over two bindings when they exceed one.
    adj: [wgpu::Buffer; 2],
    biases: wgpu::Buffer,
    block_nodes: wgpu::Buffer,
    /// The beta of each temperature group.
    betas: wgpu::Buffer,
    /// The lattice path's plane tables per temperature group and distinct field.
    field_tables: wgpu::Buffer,
    /// Each site's field.
    site_field: wgpu::Buffer,
}

impl UpdateBuffers {
    /// The bind groups of the general and lattice kernels over `spins`.
    fn bind(
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
            ],
        );
        [general, lattice]
    }
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

/// One observation recorded at each sample point of a chain group: its dispatches (their `slot`
/// set at each point), and for those that fill a slot per sample point, the slots' buffer and bytes
/// per slot.
struct Recorded<'a> {
    ops: Vec<Op<'a>>,
    slots: Option<(&'a wgpu::Buffer, u64)>,
}

/// What the observations of one run need: scratch bytes by [`Scratch`] use, bit planes of the moment
/// counts, sample points between read-backs.
struct ObservationSizes {
    bytes: [u64; 4],
    planes: u32,
    slots_per_flush: u32,
}

/// The reusable scratch buffers of the observations, one per use.
#[derive(Clone, Copy)]
enum Scratch {
    /// Gathered sample words, by slot.
    Gathered = 0,
    /// Moment counts in bit planes.
    Counts = 1,
    /// Partial energies per chunk.
    Partials = 2,
    /// Energies and up counts, by slot.
    Energies = 3,
}

impl GpuSampler {
    /// Starts the chains of `config` on `program` on `ctx`'s device, planning with the device's
    /// limits and the launch shape measured fastest on it ([`super::tuned_workgroup_size`]).
    pub fn new(
        ctx: &GpuContext,
        program: &SamplingProgram,
        config: &SamplerConfig,
    ) -> Result<Self> {
        let limits = PlanLimits::tuned(ctx)?;
        Self::with_limits(ctx, program, config, limits)
    }

    /// As [`GpuSampler::new`], planning with `limits` (at most the device's): lower limits split
    /// spins into more chain groups and fold dispatches sooner, which tests use on small models.
    pub fn with_limits(
        ctx: &GpuContext,
        program: &SamplingProgram,
        config: &SamplerConfig,
        limits: PlanLimits,
    ) -> Result<Self> {
        let (chains, seed, init) = (config.chains, config.seed, &config.init);
        let temperatures = config.temperatures(program)?;
        // Checked before anything is allocated; `set_temperatures` takes it below.
        choose_path(program, &temperatures, config.path)?;
        let clamp_values = config.clamp_values.as_ref().map(|v| v.view());
        u32::try_from(chains).map_err(|_| Error::invalid("chains", "at most 2^32 - 1 chains"))?;
        let model = program.model();
        let csr = program.csr();
        let (n, m) = (model.num_nodes(), model.num_edges());
        let groups = plan_groups(n, m, chains, &limits)?;
        let adj_split = split_adjacency(csr.col().len(), &limits)?;

        let host = initial_host_state(program, chains, init, clamp_values)?;
        let device = ctx.device();
        let scope = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let storage = |label: &str, contents: &[u8]| {
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
        };
        let row_ptr = storage("row_ptr", bytemuck::cast_slice(csr.row_ptr()));
        let adj_words = adjacency_words(csr.col(), csr.edge(), model.weights());
        let (lo, hi) = adj_words.split_at(2 * adj_split);
        let adj = [
            storage("adj", bytemuck::cast_slice(lo)),
            storage("adj_hi", bytemuck::cast_slice(hi)),
        ];
        let biases = storage("biases", bytemuck::cast_slice(model.biases()));
        // Room for the lattice path's fields, written when it runs (only lattice programs take it).
        let site_fields = if program.lattice_sides().is_some() {
            n
        } else {
            1
        };
        let block_nodes: Vec<u32> = program.blocks().concat();
        let update = UpdateBuffers {
            row_ptr,
            adj,
            biases,
            block_nodes: storage("block_nodes", bytemuck::cast_slice(&block_nodes)),
            betas: storage("betas", bytemuck::cast_slice(&[model.beta()])),
            field_tables: storage("field_tables", &vec![0; 32 * MAX_FIELDS]),
            site_field: storage("site_field", &vec![0; 4 * site_fields]),
        };
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
        let pipelines = Pipelines::new(ctx, limits.workgroup_size, words_per_invocation, split)?;
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
            chains,
            seed,
            next_sweep: 0,
            scratch: Default::default(),
            readback: Readback::default(),
        };
        sampler.set_temperatures()?;
        let mode = match init {
            Init::Hinton => Some(Mode::Hinton),
            Init::Uniform => Some(Mode::Uniform),
            Init::States(_) => None,
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

    /// Number of spins of the model.
    fn num_nodes(&self) -> usize {
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
            ..self.lattice_params(plan.words as u32)
        }
    }

    /// Uploads the temperatures' betas, and takes the lattice path as asked or where the program's
    /// parameters allow it, with its plane tables uploaded. A buffer too small for them is replaced
    /// (and the bind groups over it), never the pipelines.
    fn set_temperatures(&mut self) -> Result<()> {
        let lattice = choose_path(&self.program, &self.temperatures, self.requested_path)?;
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
            queue.write_buffer(
                &self.update.site_field,
                0,
                bytemuck::cast_slice(lattice.site_fields()),
            );
        }
        if grown {
            for group in &mut self.groups {
                let [general, lattice] =
                    self.update
                        .bind(&self.ctx, &self.pipelines, &self.params, &group.spins);
                (group.general, group.lattice) = (general, lattice);
            }
        }
        Ok(())
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
        let runs = if lattice {
            words
        } else {
            words.div_ceil(u64::from(self.words_per_invocation))
        };
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
            invocations: u64::from(block_len) * runs,
        }
    }

    /// Records the ops in one compute pass and submits them.
    fn submit(&self, g: usize, ops: &[Op<'_>]) -> Result<()> {
        let group = &self.groups[g];
        let dispatches: Vec<Dispatch> = ops
            .iter()
            .map(|op| {
                let (pipeline, bind_group) = match op.kind {
                    Kind::General => (&self.pipelines.general.pipeline, &group.general),
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
        submit(&self.ctx, &self.params, &self.limits, &dispatches)
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

    /// The reusable storage buffer of `use_`, of at least `bytes` (grown when needed); callers clear
    /// what they count into.
    fn scratch(&mut self, use_: usize, bytes: u64) -> wgpu::Buffer {
        ensure(
            self.ctx.device(),
            &mut self.scratch[use_],
            bytes,
            wgpu::BufferUsages::STORAGE
                | wgpu::BufferUsages::COPY_SRC
                | wgpu::BufferUsages::COPY_DST,
            "scratch",
        )
    }

    /// Zeroes the first `bytes` of `buffer`.
    fn clear(&self, buffer: &wgpu::Buffer, bytes: u64) {
        let mut encoder = self
            .ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        encoder.clear_buffer(buffer, 0, Some(bytes));
        self.ctx.queue().submit([encoder.finish()]);
    }

    /// The scratch bytes each observation of `observe` needs on the largest group, the bit planes of
    /// the moment counts and the sample points between read-backs; an error naming the observation
    /// when one does not fit the device.
    fn observation_sizes(
        &self,
        schedule: &SamplingSchedule,
        observe: &Observe,
    ) -> Result<ObservationSizes> {
        let (n, m) = (
            self.num_nodes() as u64,
            self.program.model().num_edges() as u64,
        );
        let plans = self.groups.iter().map(|g| g.plan);
        let words = plans
            .clone()
            .map(|plan| plan.words as u64)
            .max()
            .unwrap_or(0);
        let chains = plans.map(|plan| plan.chains as u64).max().unwrap_or(0);
        let mut bytes = [0u64; 4];
        let edge_list = |what: &str| {
            self.edges.as_ref().ok_or_else(|| Error::DeviceLimit {
                what: format!("the edge list of {what}"),
                bytes: 8 * m,
                limit: self.limits.max_storage(),
                limit_name: "max_storage_buffer_binding_size",
                hint: "the graph has too many edges for this observation on this device; sample instead",
            })
        };
        // Counts in bit planes, as the CPU's `PlaneCounters` keeps them: `planes` words per (item,
        // word), at most the 32 of one `u32` per chain that the groups are planned for.
        let planes =
            PlaneCounters::planes_for(schedule.n_samples.min(u64::from(u32::MAX)) as u32) as u32;
        if observe.moments {
            check_count_capacity(schedule)?;
            edge_list("the moment counts")?;
            bytes[Scratch::Counts as usize] = 4 * (n + m) * u64::from(planes) * words;
            self.limits.check_storage(
                || format!("the moment counts of {chains} chains"),
                bytes[Scratch::Counts as usize],
                "the graph has too many nodes and edges for per-chain counts on this device; sample instead",
            )?;
        }
        let mut slot_bytes = 0;
        if let Some(nodes) = observe.samples.as_ref().filter(|nodes| !nodes.is_empty()) {
            slot_bytes += 4 * nodes.len() as u64 * words;
        }
        if observe.energy {
            edge_list("the energies")?;
            let chunks = (n + m).div_ceil(u64::from(ENERGY_CHUNK));
            bytes[Scratch::Partials as usize] = 8 * 32 * chunks * words;
            self.limits.check_storage(
                || format!("the partial energies of {chains} chains"),
                bytes[Scratch::Partials as usize],
                "the graph has too many nodes and edges for per-chain energies on this device",
            )?;
            slot_bytes += 8 * chains;
        }
        // At most 64 MiB of slots between read-backs, and never past the binding limit.
        let budget = self.limits.max_storage().min(64 << 20);
        let slots_per_flush = (budget / slot_bytes.max(1)).clamp(1, schedule.n_samples) as u32;
        if let Some(nodes) = observe.samples.as_ref().filter(|nodes| !nodes.is_empty()) {
            bytes[Scratch::Gathered as usize] =
                u64::from(slots_per_flush) * 4 * nodes.len() as u64 * words;
        }
        if observe.energy {
            bytes[Scratch::Energies as usize] = u64::from(slots_per_flush) * 8 * chains;
        }
        Ok(ObservationSizes {
            bytes,
            planes,
            slots_per_flush,
        })
    }

    /// Copies the first `bytes` of `src` to the host.
    fn read(&mut self, src: &wgpu::Buffer, bytes: u64) -> Result<Vec<u32>> {
        self.readback.read(&self.ctx, src, bytes)
    }

    /// Runs `span` on group `g` from sweep `first_sweep`, recording each observation at each sample
    /// point; returns, per observation that fills slots, its slots' words over all flushes, in order.
    fn run_span(
        &mut self,
        g: usize,
        span: Span<'_>,
        first_sweep: u64,
        recorded: &[Recorded<'_>],
        slots_per_flush: u32,
    ) -> Result<Vec<Vec<u32>>> {
        let mut read: Vec<Vec<u32>> = vec![Vec::new(); recorded.len()];
        let mut ops: Vec<Op> = Vec::with_capacity(OPS_PER_SUBMIT);
        let per_point: usize = recorded.iter().map(|r| r.ops.len()).sum();
        let fills_slots = recorded.iter().any(|r| r.slots.is_some());
        let mut slot = 0u32;
        let mut flush = |s: &mut Self, ops: &mut Vec<Op>, slot: &mut u32| -> Result<()> {
            if !ops.is_empty() {
                s.submit(g, ops)?;
                ops.clear();
            }
            for (r, out) in recorded.iter().zip(&mut read) {
                if let Some((buffer, bytes)) = r.slots
                    && *slot > 0
                {
                    out.extend(s.read(buffer, u64::from(*slot) * bytes)?);
                }
            }
            *slot = 0;
            Ok(())
        };
        span.drive(|step| match step {
            Step::Sweeps { done, count } => {
                for k in done..done + count {
                    if ops.len() + self.blocks.len() + per_point > OPS_PER_SUBMIT {
                        self.submit(g, &ops)?;
                        ops.clear();
                    }
                    let sweep = first_sweep + k;
                    ops.extend(
                        (0..self.blocks.len()).map(|b| self.update_op(g, b, Mode::Update, sweep)),
                    );
                }
                Ok(())
            }
            Step::Observe => {
                if ops.len() + per_point > OPS_PER_SUBMIT {
                    self.submit(g, &ops)?;
                    ops.clear();
                }
                for op in recorded.iter().flat_map(|r| &r.ops) {
                    ops.push(Op {
                        params: Params { slot, ..op.params },
                        ..*op
                    });
                }
                if fills_slots {
                    slot += 1;
                    if slot == slots_per_flush {
                        flush(self, &mut ops, &mut slot)?;
                    }
                }
                Ok(())
            }
        })?;
        flush(self, &mut ops, &mut slot)?;
        Ok(read)
    }

    /// A bind group of an observation kernel on group `g`'s spins and the kernel's other buffers.
    fn observe_bind_group(
        &self,
        pipeline: &Pipeline,
        g: usize,
        others: &[(&str, &wgpu::Buffer)],
    ) -> wgpu::BindGroup {
        let mut storage = vec![("spins", &self.groups[g].spins)];
        storage.extend_from_slice(others);
        bind_group(&self.ctx, pipeline, &self.params, &storage)
    }
}

impl Sampler for GpuSampler {
    fn run(&mut self, schedule: &SamplingSchedule, observe: &Observe) -> Result<Observed> {
        let (n, m) = (self.num_nodes(), self.program.model().num_edges());
        let nodes = match &observe.samples {
            Some(nodes) => {
                check_sample_request(schedule, nodes, n)?;
                Some(nodes.as_slice())
            }
            None => None,
        };
        let n_samples = usize::try_from(schedule.n_samples)
            .map_err(|_| Error::invalid("n_samples", "too many samples to hold in memory"))?;
        check_sweep_range(self.next_sweep, schedule.total_sweeps())?;
        let sizes = self.observation_sizes(schedule, observe)?;
        let first_sweep = self.next_sweep;
        let mut gathered =
            Array3::<i8>::zeros((n_samples, self.chains, nodes.map_or(0, <[u32]>::len)));
        // Item-major, as the planes are expanded; handed over transposed (chains x items).
        let counts_shape = |items: usize| {
            if observe.moments {
                (items, self.chains)
            } else {
                (0, 0)
            }
        };
        let mut node_counts = Array2::<u32>::zeros(counts_shape(n));
        let mut edge_counts = Array2::<u32>::zeros(counts_shape(m));
        let energy_shape = if observe.energy {
            (n_samples, self.chains)
        } else {
            (0, 0)
        };
        let mut energies = Array2::<f32>::zeros(energy_shape);
        let mut ups = Array2::<u32>::zeros(energy_shape);
        self.checked("sampling", |s| {
            let observed = nodes.map(|nodes| {
                s.ctx
                    .device()
                    .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("observed"),
                        contents: bytemuck::cast_slice(if nodes.is_empty() { &[0] } else { nodes }),
                        usage: wgpu::BufferUsages::STORAGE,
                    })
            });
            let scratch: [Option<wgpu::Buffer>; 4] = std::array::from_fn(|k| {
                let bytes = sizes.bytes[k];
                (bytes > 0).then(|| s.scratch(k, bytes))
            });
            for g in 0..s.groups.len() {
                let plan = s.groups[g].plan;
                let words = plan.words as u64;
                let base = s.base_params(g);
                let mut bind_groups = Vec::new();
                if let (Some(nodes), Some(observed), Some(out)) =
                    (nodes, &observed, &scratch[Scratch::Gathered as usize])
                    && !nodes.is_empty()
                {
                    let bg = s.observe_bind_group(
                        &s.pipelines.gather,
                        g,
                        &[("observed", observed), ("out", out)],
                    );
                    let op = (
                        s.pipelines.gather.pipeline.clone(),
                        base_with(base, |p| p.n_obs = nodes.len() as u32),
                        nodes.len() as u64 * words,
                    );
                    bind_groups.push((vec![op], bg, Some((out, 4 * nodes.len() as u64 * words))));
                }
                if let Some(planes) = &scratch[Scratch::Counts as usize] {
                    let bytes = 4 * (n + m) as u64 * u64::from(sizes.planes) * words;
                    s.clear(planes, bytes);
                    let edges = s.edges.clone().expect("checked by observation_sizes");
                    let bg = s.observe_bind_group(
                        &s.pipelines.count,
                        g,
                        &[("edges", &edges), ("planes", planes)],
                    );
                    let op = (
                        s.pipelines.count.pipeline.clone(),
                        base_with(base, |p| p.planes = sizes.planes),
                        (n + m) as u64 * words,
                    );
                    bind_groups.push((vec![op], bg, None));
                }
                if let (Some(partials), Some(out)) = (
                    &scratch[Scratch::Partials as usize],
                    &scratch[Scratch::Energies as usize],
                ) {
                    let edges = s.edges.clone().expect("checked by observation_sizes");
                    let weights = s.edge_weights.clone().expect("present with the edges");
                    let bg = s.observe_bind_group(
                        &s.pipelines.energy_partials,
                        g,
                        &[
                            ("edges", &edges),
                            ("weights", &weights),
                            ("biases", &s.update.biases),
                            ("partials", partials),
                            ("out", out),
                        ],
                    );
                    let chunks = (n + m).div_ceil(ENERGY_CHUNK as usize) as u64;
                    let ops = vec![
                        (
                            s.pipelines.energy_partials.pipeline.clone(),
                            base,
                            chunks * words,
                        ),
                        (
                            s.pipelines.energy_totals.pipeline.clone(),
                            base,
                            plan.chains as u64,
                        ),
                    ];
                    bind_groups.push((ops, bg, Some((out, 8 * plan.chains as u64))));
                }
                let recorded: Vec<Recorded> = bind_groups
                    .iter()
                    .map(|(ops, bg, slots)| Recorded {
                        ops: ops
                            .iter()
                            .map(|(pipeline, params, invocations)| Op {
                                kind: Kind::Observe(pipeline, bg),
                                params: *params,
                                invocations: *invocations,
                            })
                            .collect(),
                        slots: *slots,
                    })
                    .collect();
                let read = s.run_span(
                    g,
                    Span::Schedule(schedule),
                    first_sweep,
                    &recorded,
                    sizes.slots_per_flush,
                )?;
                let mut read = read.into_iter();
                let first_chain = 32 * plan.word_offset;
                if let Some(nodes) = nodes.filter(|nodes| !nodes.is_empty()) {
                    let words_read = read.next().expect("gathered words");
                    unpack_gathered(&words_read, plan, nodes.len(), s.chains, &mut gathered);
                }
                if observe.moments {
                    read.next();
                    let planes = scratch[Scratch::Counts as usize].as_ref().expect("counts");
                    let bytes = 4 * (n + m) as u64 * u64::from(sizes.planes) * words;
                    let capacity = schedule.n_samples as u32;
                    let counters =
                        PlaneCounters::from_words(plan.words, capacity, s.read(planes, bytes)?);
                    counters.write_columns(0, first_chain, plan.chains, &mut node_counts);
                    counters.write_columns(n, first_chain, plan.chains, &mut edge_counts);
                }
                if observe.energy {
                    let words_read = read.next().expect("energy words");
                    for (k, pair) in words_read.chunks_exact(2).enumerate() {
                        let (t, c) = (k / plan.chains, first_chain + k % plan.chains);
                        energies[(t, c)] = f32::from_bits(pair[0]);
                        ups[(t, c)] = pair[1];
                    }
                }
            }
            Ok(())
        })?;
        self.next_sweep += schedule.total_sweeps();
        Ok(Observed {
            samples: nodes.map(|_| gathered),
            moments: observe.moments.then(|| {
                Moments::from_counts(
                    schedule.n_samples,
                    node_counts.reversed_axes(),
                    edge_counts.reversed_axes(),
                )
            }),
            energy: observe.energy.then(|| EnergyTrace::new(n, energies, ups)),
        })
    }

    fn sweep(&mut self, sweeps: u64) -> Result<()> {
        check_sweep_range(self.next_sweep, sweeps)?;
        let first_sweep = self.next_sweep;
        self.checked("sweeps", |s| {
            for g in 0..s.groups.len() {
                s.run_span(g, Span::Sweeps(sweeps), first_sweep, &[], 1)?;
            }
            s.ctx.wait()
        })?;
        self.next_sweep += sweeps;
        Ok(())
    }

    fn state(&mut self) -> Result<Array2<i8>> {
        let mut packed = PackedSpins::new(self.num_nodes(), self.chains);
        let words = packed.words();
        for g in 0..self.groups.len() {
            let plan = self.groups[g].plan;
            let spins = self.groups[g].spins.clone();
            let bits = self.checked("state read-back", |s| {
                s.read(&spins, 4 * (s.num_nodes() * plan.words) as u64)
            })?;
            let all = packed.bits_mut();
            for i in 0..self.num_nodes() {
                all[i * words + plan.word_offset..i * words + plan.word_offset + plan.words]
                    .copy_from_slice(&bits[i * plan.words..(i + 1) * plan.words]);
            }
        }
        Ok(packed.to_states())
    }

    fn backend_name(&self) -> String {
        format!("gpu: {}", self.ctx.describe())
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
        choose_path(&program, &temperatures, self.requested_path)?;
        (self.program, self.temperatures) = (program, temperatures);
        let csr = self.program.csr();
        let words = adjacency_words(csr.col(), csr.edge(), model.weights());
        let queue = self.ctx.queue();
        let (lo, hi) = words.split_at(2 * self.adj_split);
        queue.write_buffer(&self.update.adj[0], 0, bytemuck::cast_slice(lo));
        if !hi.is_empty() {
            queue.write_buffer(&self.update.adj[1], 0, bytemuck::cast_slice(hi));
        }
        queue.write_buffer(&self.update.biases, 0, bytemuck::cast_slice(model.biases()));
        if let Some(weights) = &self.edge_weights {
            queue.write_buffer(weights, 0, bytemuck::cast_slice(model.weights()));
        }
        self.set_temperatures()?;
        Ok(self.update_path())
    }

    fn temperatures(&self) -> &Temperatures {
        &self.temperatures
    }

    fn set_betas(&mut self, betas: &[f32]) -> Result<()> {
        self.temperatures = Temperatures::new(betas, self.chains)?;
        self.set_temperatures()
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

/// The words of `plan`'s chains, node-major.
fn group_words(packed: &PackedSpins, plan: &ChainGroup) -> Vec<u32> {
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

/// `params` changed by `f`.
fn base_with(mut params: Params, f: impl FnOnce(&mut Params)) -> Params {
    f(&mut params);
    params
}

/// Spreads the gathered words of `plan`'s group (slot, then observed node, then word) over `out`
/// (samples x chains x observed nodes).
fn unpack_gathered(
    words: &[u32],
    plan: ChainGroup,
    n_obs: usize,
    chains: usize,
    out: &mut Array3<i8>,
) {
    for (k, &word) in words.iter().enumerate() {
        let w = k % plan.words;
        let o = (k / plan.words) % n_obs;
        let t = k / (plan.words * n_obs);
        let first_chain = 32 * (plan.word_offset + w);
        for b in 0..32.min(chains - first_chain) {
            out[(t, first_chain + b, o)] = spin_i8((word >> b) & 1 == 1);
        }
    }
}

/// Replaces `buffer` by a zeroed one of `bytes` when it is smaller; whether it did.
fn grow(ctx: &GpuContext, buffer: &mut wgpu::Buffer, bytes: u64) -> bool {
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
