//! What the GPU sampler records at sample points: each observation's kernels on a chain group,
//! their scratch and slot buffers, the schedule loop that records them between sweeps, and the
//! assembly of what is read back.

use ndarray::{Array2, Array3};
use wgpu::util::DeviceExt;

use super::super::pipelines::{Params, Pipeline};
use super::super::plan::ChainGroup;
use super::super::transfer::{OPS_PER_SUBMIT, bind_group, ensure};
use super::{GpuSampler, Kind, Op};
use crate::backend::{Span, Step, check_count_capacity, check_observation, check_sweep_range};
use crate::error::{Error, Result};
use crate::moments::Moments;
use crate::observe::energy::ENERGY_CHUNK;
use crate::observe::plane_counters::PlaneCounters;
use crate::observe::{EnergyTrace, Observe, Observed, OverlapTrace};
use crate::program::SamplingSchedule;
use crate::spin::spin_i8;
use crate::update::general::Mode;

/// One observation recorded at each sample point of a chain group: its dispatches (their `slot`
/// set at each point), and for those that fill a slot per sample point, the slots' buffer and bytes
/// per slot.
pub(super) struct Recorded<'a> {
    pub(super) ops: Vec<Op<'a>>,
    pub(super) slots: Option<(&'a wgpu::Buffer, u64)>,
}

/// One observation on a chain group: its dispatches at each sample point (pipeline, parameters,
/// invocations), the bind group they share, and the slots they fill (buffer, bytes a slot).
pub(super) struct Planned<'a> {
    ops: Vec<(wgpu::ComputePipeline, Params, u64)>,
    bind_group: wgpu::BindGroup,
    slots: Option<(&'a wgpu::Buffer, u64)>,
}

impl Planned<'_> {
    /// The dispatches to record at each sample point.
    pub(super) fn recorded(&self) -> Recorded<'_> {
        Recorded {
            ops: self
                .ops
                .iter()
                .map(|(pipeline, params, invocations)| Op {
                    kind: Kind::Observe(pipeline, &self.bind_group),
                    params: *params,
                    invocations: *invocations,
                })
                .collect(),
            slots: self.slots,
        }
    }
}

/// The host-side results of one run, filled group by group.
struct Collected {
    n_samples: u64,
    num_nodes: usize,
    chains: usize,
    samples: Option<(usize, Array3<i8>)>,
    /// Item-major (items x chains), as the planes are expanded; handed over transposed.
    counts: Option<(Array2<u32>, Array2<u32>)>,
    energies: Option<(Array2<f32>, Array2<u32>)>,
    /// Disagreeing nodes of each pair, samples x pairs.
    overlaps: Option<Array2<u32>>,
}

impl Collected {
    /// Room for what `observe` asks of `sampler`'s chains over `n_samples` sample points (`samples`
    /// as a length).
    fn new(sampler: &GpuSampler, n_samples: u64, samples: usize, observe: &Observe) -> Self {
        let (n, m, chains) = (
            sampler.num_nodes(),
            sampler.program.model().num_edges(),
            sampler.window_chains(),
        );
        Collected {
            n_samples,
            num_nodes: n,
            chains,
            samples: observe
                .samples
                .as_ref()
                .map(|nodes| (nodes.len(), Array3::zeros((samples, chains, nodes.len())))),
            counts: observe
                .moments
                .then(|| (Array2::zeros((n, chains)), Array2::zeros((m, chains)))),
            energies: observe.energy.then(|| {
                (
                    Array2::zeros((samples, chains)),
                    Array2::zeros((samples, chains)),
                )
            }),
            overlaps: observe
                .overlap
                .then(|| Array2::zeros((samples, chains / 2))),
        }
    }

    /// Takes group `g`'s results: its slots' words as [`GpuSampler::run_span`] read them (in
    /// [`GpuSampler::plan_observations`]' order), and its moment counts from `scratch`.
    fn take_group(
        &mut self,
        sampler: &mut GpuSampler,
        g: usize,
        read: Vec<Vec<u32>>,
        scratch: &[Option<wgpu::Buffer>; 5],
        sizes: &ObservationSizes,
    ) -> Result<()> {
        let plan = sampler.local_plan(g);
        let first_chain = 32 * plan.word_offset;
        let mut read = read.into_iter();
        if let Some((n_obs, out)) = self.samples.as_mut().filter(|(n_obs, _)| *n_obs > 0) {
            let words = read.next().expect("gathered words");
            unpack_gathered(&words, plan, *n_obs, self.chains, out);
        }
        if let Some((nodes, edges)) = &mut self.counts {
            read.next();
            let planes = scratch[Scratch::Counts as usize].as_ref().expect("counts");
            let bytes = sizes.count_bytes(nodes.nrows() + edges.nrows(), plan.words);
            let capacity = self.n_samples as u32;
            let words = sampler.read(planes, bytes)?;
            let counters = PlaneCounters::from_words(plan.words, capacity, words);
            counters.write_columns(0, first_chain, plan.chains, nodes);
            counters.write_columns(nodes.nrows(), first_chain, plan.chains, edges);
        }
        if let Some((energies, ups)) = &mut self.energies {
            let words = read.next().expect("energy words");
            for (k, pair) in words.chunks_exact(2).enumerate() {
                let (t, c) = (k / plan.chains, first_chain + k % plan.chains);
                energies[(t, c)] = f32::from_bits(pair[0]);
                ups[(t, c)] = pair[1];
            }
        }
        if let Some(overlaps) = &mut self.overlaps {
            let words = read.next().expect("overlap words");
            let pairs = plan.chains / 2;
            for (k, &d) in words.iter().enumerate() {
                overlaps[(k / pairs, first_chain / 2 + k % pairs)] = d;
            }
        }
        Ok(())
    }

    /// What the run observed.
    fn finish(self) -> Observed {
        Observed {
            samples: self.samples.map(|(_, samples)| samples),
            moments: self.counts.map(|(nodes, edges)| {
                Moments::from_counts(self.n_samples, nodes.reversed_axes(), edges.reversed_axes())
            }),
            energy: self
                .energies
                .map(|(energies, ups)| EnergyTrace::new(self.num_nodes, energies, ups)),
            overlap: self.overlaps.map(|d| OverlapTrace::new(self.num_nodes, d)),
        }
    }
}

/// What the observations of one run need: scratch bytes by [`Scratch`] use, bit planes of the moment
/// counts, sample points between read-backs.
struct ObservationSizes {
    bytes: [u64; 5],
    planes: u32,
    slots_per_flush: u32,
}

impl ObservationSizes {
    /// Bytes of the bit-plane counts of `items` items on a group of `words` words.
    fn count_bytes(&self, items: usize, words: usize) -> u64 {
        count_bytes(items, self.planes, words)
    }
}

/// Bytes of `planes` bit planes of `items` items on a group of `words` words.
fn count_bytes(items: usize, planes: u32, words: usize) -> u64 {
    4 * items as u64 * u64::from(planes) * words as u64
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
    /// Overlaps of chain pairs, by slot.
    Overlaps = 4,
}

impl GpuSampler {
    /// [`Sampler::run`]: `schedule` on every chain group, each observation recorded by its kernel
    /// at each sample point, read back and assembled.
    pub(super) fn run_observed(
        &mut self,
        schedule: &SamplingSchedule,
        observe: &Observe,
    ) -> Result<Observed> {
        let n_samples = check_observation(
            schedule,
            observe,
            self.num_nodes(),
            self.program.model().num_edges(),
            32 * self.window.len(),
        )?;
        check_sweep_range(self.next_sweep, schedule.total_sweeps())?;
        let sizes = self.observation_sizes(schedule, observe)?;
        let mut collected = Collected::new(self, schedule.n_samples, n_samples, observe);
        let first_sweep = self.next_sweep;
        self.checked("sampling", |s| {
            let nodes = observe.samples.as_deref().filter(|nodes| !nodes.is_empty());
            let observed = nodes.map(|nodes| {
                let buffer = s
                    .ctx
                    .device()
                    .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("observed"),
                        contents: bytemuck::cast_slice(nodes),
                        usage: wgpu::BufferUsages::STORAGE,
                    });
                (buffer, nodes.len() as u32)
            });
            let scratch: [Option<wgpu::Buffer>; 5] = std::array::from_fn(|k| {
                let bytes = sizes.bytes[k];
                (bytes > 0).then(|| s.scratch(k, bytes))
            });
            for g in 0..s.groups.len() {
                let observed = observed.as_ref().map(|(buffer, n_obs)| (buffer, *n_obs));
                let planned = s.plan_observations(g, observed, &scratch, &sizes);
                let recorded: Vec<Recorded> = planned.iter().map(Planned::recorded).collect();
                let span = Span::Schedule(schedule);
                let read = s.run_span(g, span, first_sweep, &recorded, sizes.slots_per_flush)?;
                collected.take_group(s, g, read, &scratch, &sizes)?;
            }
            Ok(())
        })?;
        self.next_sweep += schedule.total_sweeps();
        Ok(collected.finish())
    }

    /// The observations of `sizes` on group `g`, in the order [`Collected::take_group`] reads
    /// them: samples (into `scratch`'s gathered slots, of the `observed` nodes: their buffer and
    /// count), moment counts (cleared here), energies.
    fn plan_observations<'a>(
        &self,
        g: usize,
        observed: Option<(&wgpu::Buffer, u32)>,
        scratch: &'a [Option<wgpu::Buffer>; 5],
        sizes: &ObservationSizes,
    ) -> Vec<Planned<'a>> {
        let (n, m) = (self.num_nodes(), self.program.model().num_edges());
        let plan = self.groups[g].plan;
        let words = plan.words as u64;
        let base = self.base_params(g);
        let mut planned = Vec::new();
        if let (Some((observed, n_obs)), Some(out)) =
            (observed, &scratch[Scratch::Gathered as usize])
        {
            let bind_group = self.observe_bind_group(
                &self.pipelines.gather,
                g,
                &[("observed", observed), ("out", out)],
            );
            let params = Params { n_obs, ..base };
            planned.push(Planned {
                ops: vec![(
                    self.pipelines.gather.pipeline.clone(),
                    params,
                    u64::from(n_obs) * words,
                )],
                bind_group,
                slots: Some((out, 4 * u64::from(n_obs) * words)),
            });
        }
        if let Some(planes) = &scratch[Scratch::Counts as usize] {
            self.clear(planes, sizes.count_bytes(n + m, plan.words));
            let edges = self.edges.as_ref().expect("checked by observation_sizes");
            let bind_group = self.observe_bind_group(
                &self.pipelines.count,
                g,
                &[("edges", edges), ("planes", planes)],
            );
            let params = Params {
                planes: sizes.planes,
                ..base
            };
            planned.push(Planned {
                ops: vec![(
                    self.pipelines.count.pipeline.clone(),
                    params,
                    (n + m) as u64 * words,
                )],
                bind_group,
                slots: None,
            });
        }
        if let (Some(partials), Some(out)) = (
            &scratch[Scratch::Partials as usize],
            &scratch[Scratch::Energies as usize],
        ) {
            planned.push(self.plan_energy(g, partials, out));
        }
        if let Some(out) = &scratch[Scratch::Overlaps as usize] {
            let bind_group = self.observe_bind_group(&self.pipelines.overlap, g, &[("out", out)]);
            planned.push(Planned {
                ops: vec![(self.pipelines.overlap.pipeline.clone(), base, words)],
                bind_group,
                slots: Some((out, 4 * (plan.chains / 2) as u64)),
            });
        }
        planned
    }

    /// The energy of every chain of group `g` at a sample point: partial sums into `partials`, then
    /// per chain into `out`'s slot (`[slot][chain of the group]`: energy bits, up count).
    pub(super) fn plan_energy<'a>(
        &self,
        g: usize,
        partials: &wgpu::Buffer,
        out: &'a wgpu::Buffer,
    ) -> Planned<'a> {
        let (n, m) = (self.num_nodes(), self.program.model().num_edges());
        let plan = self.groups[g].plan;
        let base = self.base_params(g);
        let edges = self.edges.as_ref().expect("checked by observation_sizes");
        let weights = self.edge_weights.as_ref().expect("present with the edges");
        let bind_group = self.observe_bind_group(
            &self.pipelines.energy_partials,
            g,
            &[
                ("edges", edges),
                ("weights", weights),
                ("biases", &self.update.biases),
                ("partials", partials),
                ("out", out),
            ],
        );
        let chunks = (n + m).div_ceil(ENERGY_CHUNK as usize) as u64;
        let partials = self.pipelines.energy_partials.pipeline.clone();
        let totals = self.pipelines.energy_totals.pipeline.clone();
        Planned {
            ops: vec![
                (partials, base, chunks * plan.words as u64),
                (totals, base, plan.chains as u64),
            ],
            bind_group,
            slots: Some((out, 8 * plan.chains as u64)),
        }
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
                        (0..self.blocks.len())
                            .map(|b| self.update_op(g, b, Mode::update(self.rule), sweep)),
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
        let mut bytes = [0u64; 5];
        // Counts in bit planes, as the CPU's `PlaneCounters` keeps them: `planes` words per (item,
        // word), at most the 32 of one `u32` per chain that the groups are planned for.
        let planes =
            PlaneCounters::planes_for(schedule.n_samples.min(u64::from(u32::MAX)) as u32) as u32;
        if observe.moments {
            check_count_capacity(schedule)?;
            self.edge_list("the moment counts")?;
            bytes[Scratch::Counts as usize] = count_bytes((n + m) as usize, planes, words as usize);
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
            bytes[Scratch::Partials as usize] = self.energy_partial_bytes()?;
            slot_bytes += 8 * chains;
        }
        if observe.overlap {
            slot_bytes += 4 * (chains / 2);
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
        if observe.overlap {
            bytes[Scratch::Overlaps as usize] =
                u64::from(slots_per_flush) * 4 * (chains / 2).max(1);
        }
        Ok(ObservationSizes {
            bytes,
            planes,
            slots_per_flush,
        })
    }

    /// The edge list, or an error naming `what` needs it when it exceeds the device's binding limit.
    fn edge_list(&self, what: &str) -> Result<&wgpu::Buffer> {
        self.edges.as_ref().ok_or_else(|| Error::DeviceLimit {
            what: format!("the edge list of {what}"),
            bytes: 8 * self.program.model().num_edges() as u64,
            limit: self.limits.max_storage(),
            limit_name: "max_storage_buffer_binding_size",
            hint: "the graph has too many edges for this observation on this device; sample instead",
        })
    }

    /// Bytes of the energies' partial sums on the largest chain group; an error when they or the
    /// edge list they read do not fit the device.
    pub(super) fn energy_partial_bytes(&self) -> Result<u64> {
        self.edge_list("the energies")?;
        let items = (self.num_nodes() + self.program.model().num_edges()) as u64;
        let plans = self.groups.iter().map(|g| g.plan);
        let words = plans.clone().map(|p| p.words as u64).max().unwrap_or(0);
        let chains = plans.map(|p| p.chains).max().unwrap_or(0);
        let bytes = 8 * 32 * items.div_ceil(u64::from(ENERGY_CHUNK)) * words;
        self.limits.check_storage(
            || format!("the partial energies of {chains} chains"),
            bytes,
            "the graph has too many nodes and edges for per-chain energies on this device",
        )?;
        Ok(bytes)
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

    /// A bind group of an observation kernel on group `g`'s spins and the kernel's other buffers.
    pub(super) fn observe_bind_group(
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
