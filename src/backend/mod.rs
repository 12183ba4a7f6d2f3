//! Executors: where the sweeps of the update algorithms ([`crate::update`]) and the observations
//! ([`crate::observe`]) run, on the CPU (threads, vector levels) or a GPU (context, planning,
//! pipelines, buffers). Every backend draws the same numbers for the same seed.

mod config;
pub(crate) mod cpu;
mod gpu;
mod paced;
mod state;

pub use config::{SamplerConfig, UpdatePath, UpdateRule};
pub use paced::{Pace, ScheduleRun, run_in_parts, sweep_in_parts};
pub use state::SamplerState;

pub use crate::update::site_packed::{Observables, SITE_PACKED_WORD, SitePackedLattice};
pub(crate) use cpu::cores;
pub use cpu::{CpuSampler, CpuSitePacked};
#[cfg(feature = "mpi")]
pub(crate) use gpu::read_after;
pub use gpu::{
    CHAIN_MAJOR_SPIN_WGSL, ChainMajorSpins, EnergyBuffer, GeneralKernel, GpuContext, GpuSampler,
    GpuSitePacked, LatticeKernel, MultiGpuSampler, PlanLimits, SITE_PACKED_SPIN_WGSL,
    SitePackedCounts, SitePackedKernel, SitePackedSpins, tuned_general_kernel,
    tuned_lattice_kernel, tuned_site_packed_kernel, tuned_words_per_invocation,
    tuned_workgroup_size,
};

use ndarray::{Array2, Array3, ArrayView2};

use crate::anneal::{BestSoFar, check_schedule};
use crate::error::{Error, Result};
use crate::model::IsingModel;
use crate::moments::Moments;
use crate::observe::{EnergyTrace, Observe, Observed};
use crate::packed::{PackedSpins, lane_mask};
use crate::program::{Init, SamplingProgram, SamplingSchedule, Temperatures};
pub use crate::update::lane_exchange::LaneSwap;

/// The sampling calls every backend offers. Chains persist between calls: each call continues where
/// the previous one stopped, with fresh random numbers. Samplers are `Send`: a call may run on another
/// thread than the one that made the sampler (as Python's bindings do with the GIL released).
pub trait Sampler: Send {
    /// Runs `schedule`, recording at each sample point what `observe` asks for; observations are
    /// reduced where the spins live (on a GPU only their results are read back).
    fn run(&mut self, schedule: &SamplingSchedule, observe: &Observe) -> Result<Observed>;

    /// Runs `sweeps` sweeps and observes nothing.
    fn sweep(&mut self, sweeps: u64) -> Result<()>;

    /// Runs `schedule` and returns the spins of `nodes` at each sample point, samples x chains x nodes.
    /// THRML's `sample_states`.
    #[doc(alias = "sample_states")]
    fn sample(&mut self, schedule: &SamplingSchedule, nodes: &[u32]) -> Result<Array3<i8>> {
        let observe = Observe {
            samples: Some(nodes.to_vec()),
            ..Observe::default()
        };
        Ok(self.run(schedule, &observe)?.samples.unwrap_or_default())
    }

    /// Runs `schedule` and returns the node and edge moment counts of all its samples. THRML's
    /// `estimate_moments`.
    fn estimate_moments(&mut self, schedule: &SamplingSchedule) -> Result<Moments> {
        let observe = Observe {
            moments: true,
            ..Observe::default()
        };
        self.run(schedule, &observe)?
            .moments
            .ok_or_else(|| Error::invalid("moments", "the backend counted no moments"))
    }

    /// Runs `schedule` and returns every chain's energy and magnetisation at each sample point.
    fn observe_energy(&mut self, schedule: &SamplingSchedule) -> Result<EnergyTrace> {
        let observe = Observe {
            energy: true,
            ..Observe::default()
        };
        self.run(schedule, &observe)?
            .energy
            .ok_or_else(|| Error::invalid("energy", "the backend recorded no energies"))
    }

    /// The current state of every chain, chains x nodes.
    fn state(&mut self) -> Result<Array2<i8>>;

    /// Exchanges whole chains where the spins live ([`LaneSwap`]), e.g. tempering's replica swaps.
    /// An error, and nothing swapped, unless each swap names two different words of the chains and
    /// no word is named twice (on a GPU, both words must also lie in one chain group).
    fn swap_lanes(&mut self, swaps: &[LaneSwap]) -> Result<()>;

    /// Copies the current spins of the lanes of `masks` (one per 32-chain word) into the sampler's
    /// kept states, where the spins live, e.g. annealing's best state of each read; the kept states
    /// start as the spins at the first call.
    fn keep_lanes(&mut self, masks: &[u32]) -> Result<()>;

    /// The kept states, chains x nodes ([`Sampler::keep_lanes`]; the current spins before any).
    fn kept_state(&mut self) -> Result<Array2<i8>>;

    /// The chains as they stand: spins, kept states, the sweep counter and the betas, enough for
    /// [`Sampler::restore_state`] to continue them bit for bit (e.g. from a checkpoint file).
    fn save_state(&mut self) -> Result<SamplerState>;

    /// Puts the chains back as `state` holds them; the sampler must have the program, parameters,
    /// chains and seed of the one that saved it for the draws to continue as that one's would. An
    /// error naming the mismatch ([`SamplerState::check`]), and nothing changed, when the state does
    /// not fit this sampler's chains and nodes.
    fn restore_state(&mut self, state: &SamplerState) -> Result<()>;

    /// Anneals: one sweep at each of `betas` in turn, every chain at that beta (the sampler's
    /// temperatures end as the last), checking every chain's energy `H(s)` after the last sweep and
    /// every `check_every` sweeps before it; where it is below `best`'s, `best` takes it and the
    /// chain's spins are kept ([`Sampler::keep_lanes`]). Only energies leave the device. An error
    /// for no betas, `check_every` 0 or a `best` not of this sampler's chains.
    fn anneal_sweeps(
        &mut self,
        betas: &[f32],
        check_every: u64,
        best: &mut BestSoFar,
    ) -> Result<()> {
        let checks = check_schedule(betas, check_every, best, self.held_chains().len())?;
        let mut done = 0u64;
        for stop in checks.sample_sweeps() {
            // Runs of one beta in one call; the energies come with the last sweep before the check.
            let mut k = done;
            while k < stop {
                let beta = betas[k as usize];
                let mut end = k + 1;
                while end < stop && betas[end as usize] == beta {
                    end += 1;
                }
                self.set_betas(&[beta])?;
                if end < stop {
                    self.sweep(end - k)?;
                } else {
                    let trace = self.observe_energy(&SamplingSchedule::new(end - k, 1, 1)?)?;
                    let energies = trace.energies().row(0).to_vec();
                    let masks = best.improve(0, &energies, end);
                    if masks.iter().any(|&m| m != 0) {
                        self.keep_lanes(&masks)?;
                    }
                }
                k = end;
            }
            done = stop;
        }
        best.sweeps += done;
        Ok(())
    }

    /// A short name of the backend, such as "cpu".
    fn backend_name(&self) -> String;

    /// The sweeps the next part of a paced run takes ([`Pace`]) given this process's `proposed`
    /// count: `proposed` itself, or for a sampler over several processes rank 0's, so that every
    /// process makes the same calls.
    fn part_sweeps(&mut self, proposed: u64) -> Result<u64> {
        Ok(proposed)
    }

    /// The chains this sampler holds, observes and returns: all of them, or a shard's
    /// ([`Backend::shard`]).
    fn held_chains(&self) -> std::ops::Range<usize> {
        0..self.temperatures().chains()
    }

    /// The update algorithm sweeps run: as [`SamplerConfig::path`] asked, or where it asked for
    /// none, the lattice path while the program and its parameters allow it ([`UpdatePath`]).
    fn update_path(&self) -> UpdatePath;

    /// Replaces weights, biases and beta with those of `model`, which must have the program's nodes
    /// and edges; the model's beta becomes every chain's (one temperature group). Spins (and on a
    /// GPU, pipelines and buffers) stay as they are. Returns the update path the sweeps now take,
    /// which new parameters may change where the config asked for none; an error (and nothing
    /// changed) where they rule out the path it asked for.
    fn set_parameters(&mut self, model: &IsingModel) -> Result<UpdatePath>;

    /// The inverse temperatures of the chains.
    fn temperatures(&self) -> &Temperatures;

    /// Splits the chains into `betas.len()` groups of whole 32-chain words, in order, each sampled
    /// at its own beta from the next sweep on ([`Temperatures`]); spins stay, and nothing is rebuilt
    /// (on a GPU only the small per-temperature tables are written). `hinton_init` drew the initial
    /// spins at the betas the sampler started with ([`SamplerConfig::betas`]).
    fn set_betas(&mut self, betas: &[f32]) -> Result<()>;

    /// Sets the clamped nodes of every chain (one row for all chains or one per chain, in the
    /// program's clamped order), e.g. to the next batch of data rows.
    fn set_clamp_values(&mut self, values: ArrayView2<'_, i8>) -> Result<()>;
}

/// The calls site-packed samplers offer on every backend. Sweeps update colour 0, then colour 1.
/// Samplers are `Send`, as [`Sampler`]s are.
pub trait SitePackedSampler: Send {
    /// Runs `sweeps` sweeps.
    fn sweep(&mut self, sweeps: u64) -> Result<()>;

    /// Energy per site and magnetisation of the current state (reduced where the spins live).
    fn observables(&mut self) -> Result<Observables>;

    /// The current spins, -1/+1, site `x + lx (y + ly z)` at index `x + lx (y + ly z)`.
    fn state(&mut self) -> Result<Vec<i8>>;

    /// [`UpdatePath::SitePacked`], as [`Sampler::update_path`] names the chain-major ones.
    fn update_path(&self) -> UpdatePath {
        UpdatePath::SitePacked
    }

    /// Sets coupling, field and beta for the following sweeps; spins stay.
    fn set_parameters(&mut self, coupling: f32, field: f32, beta: f32) -> Result<()>;

    /// A short name of the backend, such as "cpu".
    fn backend_name(&self) -> String;
}

/// The sweeps of one call: a schedule's, or a plain number of them with no sample point.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Span<'a> {
    /// A schedule's sweeps and sample points.
    Schedule(&'a SamplingSchedule),
    /// This many sweeps, observed nowhere.
    Sweeps(u64),
}

impl Span<'_> {
    /// Sweeps in all.
    pub(crate) fn total(&self) -> u64 {
        match self {
            Span::Schedule(s) => s.total_sweeps(),
            Span::Sweeps(n) => *n,
        }
    }

    /// The schedule loop every executor runs, written once: `step` is called with each run of
    /// sweeps and each sample point, in order.
    pub(crate) fn drive<E>(
        &self,
        mut step: impl FnMut(Step) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut done = 0;
        if let Span::Schedule(schedule) = self {
            for at in schedule.sample_sweeps() {
                step(Step::Sweeps {
                    done,
                    count: at - done,
                })?;
                done = at;
                step(Step::Observe)?;
            }
        }
        step(Step::Sweeps {
            done,
            count: self.total() - done,
        })
    }
}

/// What an executor does next in [`Span::drive`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Run `count` sweeps, after the `done` already run in this call (`count` may be 0).
    Sweeps {
        /// Sweeps of the call already run.
        done: u64,
        /// Sweeps to run now.
        count: u64,
    },
    /// Observe the next sample point.
    Observe,
}

/// The number of sample points of `schedule`, the length of every per-sample result; an error when
/// what `observe` records of `chains` chains of a model of `num_nodes` nodes and `num_edges` edges
/// cannot be held in memory (estimated before anything is allocated: each result and a copy of it
/// as it is assembled). With `observe`'s samples, an error unless every observed node exists.
pub(crate) fn check_observation(
    schedule: &SamplingSchedule,
    observe: &Observe,
    num_nodes: usize,
    num_edges: usize,
    chains: usize,
) -> Result<usize> {
    let nodes = observe.samples.as_deref().unwrap_or_default();
    if let Some(&bad) = nodes.iter().find(|&&i| i as usize >= num_nodes) {
        return Err(Error::NodeOutOfRange {
            what: "the observed nodes".to_string(),
            node: u64::from(bad),
            num_nodes,
        });
    }
    let n_samples = schedule.n_samples;
    let per_sample = |bytes_per_chain: u64| {
        crate::budget::bytes(n_samples, bytes_per_chain)
            .and_then(|b| b.checked_mul(chains as u64))
            .and_then(|b| b.checked_mul(2))
    };
    if let Some(nodes) = &observe.samples {
        crate::budget::check(
            "n_samples",
            || {
                format!(
                    "{n_samples} samples of {chains} chains x {} nodes",
                    nodes.len()
                )
            },
            per_sample(nodes.len() as u64),
        )?;
    }
    if observe.energy || observe.overlap {
        crate::budget::check(
            "n_samples",
            || format!("energies of {n_samples} samples of {chains} chains"),
            per_sample(12),
        )?;
    }
    if observe.moments {
        let counts = crate::budget::bytes(num_nodes + num_edges, 4)
            .and_then(|b| b.checked_mul(chains as u64))
            .and_then(|b| b.checked_mul(3));
        crate::budget::check(
            "chains",
            || {
                format!(
                    "moment counts of {chains} chains x {} nodes and edges",
                    num_nodes + num_edges
                )
            },
            counts,
        )?;
    }
    usize::try_from(n_samples)
        .map_err(|_| Error::invalid("n_samples", "too many samples to hold in memory"))
}

/// An error when `sweeps` more sweeps from sweep `next_sweep` would pass the last sweep the random
/// counters can name ([`crate::rng::MAX_SWEEP`]).
pub(crate) fn check_sweep_range(next_sweep: u64, sweeps: u64) -> Result<()> {
    let last = next_sweep.checked_add(sweeps);
    if last.is_none_or(|l| l > crate::rng::MAX_SWEEP) {
        return Err(Error::invalid("sweeps", "the sweep count would pass 2^58"));
    }
    Ok(())
}

/// An error when per-chain `u32` counts could overflow.
pub(crate) fn check_count_capacity(schedule: &SamplingSchedule) -> Result<()> {
    if schedule.n_samples > u64::from(u32::MAX) {
        return Err(Error::invalid(
            "n_samples",
            "per-chain counts hold at most 2^32 - 1 samples",
        ));
    }
    Ok(())
}

/// The host-side starting spins every backend uploads: given states, or all down where the backend
/// draws them itself; clamped nodes set to their values either way.
pub(crate) fn initial_host_state(
    program: &SamplingProgram,
    chains: usize,
    init: &Init,
    clamp_values: Option<ArrayView2<'_, i8>>,
) -> Result<PackedSpins> {
    if chains == 0 {
        return Err(Error::invalid("chains", "at least one chain is needed"));
    }
    let n = program.model().num_nodes();
    let mut packed = match init {
        Init::States(states) => {
            if states.dim() != (chains, n) {
                return Err(Error::invalid(
                    "initial states",
                    format!(
                        "shape {:?} given, expected (chains, nodes) = ({chains}, {n})",
                        states.dim()
                    ),
                ));
            }
            PackedSpins::from_states(states.view())?
        }
        Init::Hinton | Init::Uniform => PackedSpins::new(n, chains),
        Init::AllUp => {
            let mut packed = PackedSpins::new(n, chains);
            let words = packed.words();
            for (k, word) in packed.bits_mut().iter_mut().enumerate() {
                *word = lane_mask(chains, k % words);
            }
            packed
        }
    };
    match clamp_values {
        Some(values) => packed.set_nodes(program.clamped(), values)?,
        None if !program.clamped().is_empty() => {
            return Err(Error::invalid(
                "clamp values",
                format!(
                    "the program clamps {} nodes; give their values",
                    program.clamped().len()
                ),
            ));
        }
        None => {}
    }
    Ok(packed)
}

/// An error unless `words` is a non-empty run of the words of `chains` chains.
pub(crate) fn check_shard(chains: usize, words: &std::ops::Range<usize>) -> Result<()> {
    let all = chains.div_ceil(32);
    if words.is_empty() || words.end > all {
        return Err(Error::invalid(
            "chain shard",
            format!("words {words:?} asked for; {chains} chains fill {all} words"),
        ));
    }
    Ok(())
}

/// Where samplers run, chosen once and used to build samplers of any program.
#[derive(Clone, Debug)]
pub enum Backend {
    /// The CPU samplers, with this many threads (at most one per word they split the work into);
    /// `None`: up to one per core, fewer for chain-major runs too short to pay for starting them.
    Cpu {
        /// Thread count.
        threads: Option<usize>,
    },
    /// The GPU sampler on this device.
    Gpu(Box<GpuContext>),
    /// The chains of every sampler split over the ranks of the MPI job, each rank's share on this
    /// backend ([`crate::distributed::RankedSampler`]): sampling, annealing and training over the
    /// ranks return what one process returns. A site-packed lattice is cut into slabs, one a rank
    /// ([`crate::distributed::RankedSitePacked`]).
    #[cfg(feature = "mpi")]
    Ranked(Box<Backend>),
}

impl Backend {
    /// Starts the chains of `config` on `program` on this backend (see [`CpuSampler::new`]).
    pub fn sampler(
        &self,
        program: &SamplingProgram,
        config: &SamplerConfig,
    ) -> Result<Box<dyn Sampler>> {
        Ok(match self {
            Backend::Cpu { threads } => {
                Box::new(CpuSampler::new(program, config)?.threads(*threads))
            }
            Backend::Gpu(ctx) => Box::new(GpuSampler::new(ctx, program, config)?),
            #[cfg(feature = "mpi")]
            Backend::Ranked(each) => Box::new(crate::distributed::RankedSampler::new(
                each, program, config,
            )?),
        })
    }

    /// Starts only the chains of `config` in the 32-chain words `words` (a shard, e.g. one
    /// process's share of the chains), drawing for them what [`Backend::sampler`]'s sampler of all
    /// the chains draws; its calls observe and return those chains alone, and take global word
    /// indices in [`Sampler::swap_lanes`] and one mask per held word in [`Sampler::keep_lanes`].
    /// An error unless `words` is a non-empty run of the chains' words.
    pub fn shard(
        &self,
        program: &SamplingProgram,
        config: &SamplerConfig,
        words: std::ops::Range<usize>,
    ) -> Result<Box<dyn Sampler>> {
        Ok(match self {
            Backend::Cpu { threads } => {
                Box::new(CpuSampler::shard(program, config, words)?.threads(*threads))
            }
            Backend::Gpu(ctx) => {
                check_shard(config.chains, &words)?;
                let limits = GpuSampler::tuned_limits(ctx, program)?;
                Box::new(GpuSampler::shard(ctx, program, config, limits, words)?)
            }
            #[cfg(feature = "mpi")]
            Backend::Ranked(each) => each.shard(program, config, words)?,
        })
    }

    /// Starts the site-packed `lattice` from `init` on this backend, drawing with `seed`.
    pub fn site_packed(
        &self,
        lattice: &SitePackedLattice,
        seed: u64,
        init: Init,
    ) -> Result<Box<dyn SitePackedSampler>> {
        Ok(match self {
            Backend::Cpu { threads } => {
                let sampler = CpuSitePacked::new(lattice, seed, init)?;
                Box::new(match threads {
                    Some(t) => sampler.with_threads(*t),
                    None => sampler,
                })
            }
            Backend::Gpu(ctx) => Box::new(GpuSitePacked::new(ctx, lattice, seed, init)?),
            #[cfg(feature = "mpi")]
            Backend::Ranked(each) => Box::new(match &**each {
                Backend::Cpu { threads } => {
                    crate::distributed::RankedSitePacked::new(lattice, seed, init, *threads)?
                }
                Backend::Gpu(ctx) => {
                    crate::distributed::RankedSitePacked::on_gpu(ctx, lattice, seed, init, None)?
                }
                // Ranks within ranks are the same ranks, as for the chains.
                Backend::Ranked(_) => return each.site_packed(lattice, seed, init),
            }),
        })
    }

    /// The backend `--backend auto` takes: the adapter [`GpuContext::new`] picks unless it is a
    /// software one (slower than the CPU backend on the same cores) or there is none; then the CPU
    /// backend with `threads`, and why, as a notice for the user.
    pub fn auto(threads: Option<usize>) -> (Backend, Option<String>) {
        Self::auto_on(GpuContext::new(), threads)
    }

    /// As [`Backend::auto`], with the GPU context (or the error) already found, e.g. by
    /// [`GpuContext::for_local_rank`].
    pub fn auto_on(found: Result<GpuContext>, threads: Option<usize>) -> (Backend, Option<String>) {
        let cpu = Backend::Cpu { threads };
        match found {
            Ok(ctx) if !ctx.is_software() => (Backend::Gpu(Box::new(ctx)), None),
            Ok(ctx) => (
                cpu,
                Some(format!(
                    "the GPU adapter is a software one ({}), slower than the CPU backend on the same cores; using the CPU backend",
                    ctx.describe()
                )),
            ),
            Err(e) => (cpu, Some(format!("{e}; using the CPU backend"))),
        }
    }

    /// "cpu (vector level)" or "gpu: adapter", for messages.
    pub fn name(&self) -> String {
        match self {
            Backend::Cpu { .. } => format!("cpu ({})", cpu::widest_vector_level()),
            Backend::Gpu(ctx) => format!("gpu: {}", ctx.describe()),
            #[cfg(feature = "mpi")]
            Backend::Ranked(each) => {
                format!(
                    "{} ranks, each {}",
                    crate::distributed::ranks(),
                    each.name()
                )
            }
        }
    }
}
