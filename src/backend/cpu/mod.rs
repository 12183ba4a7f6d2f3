//! The CPU backend: block Gibbs on packed words, chains split across threads by word.
//!
//! Chains never interact, so each thread takes a contiguous range of words (32 chains each) and runs
//! the whole schedule on its own copy; draws depend only on the global word index, so the result for
//! a seed is the same for any thread count.

use std::convert::Infallible;
use std::ops::Range;

use ndarray::{Array2, Array3, ArrayView2, ArrayView3, s};

mod site_packed;
mod sweep;
pub(crate) mod vector_level;

pub use site_packed::CpuSitePacked;

use sweep::SweepKernel;

use super::config::{SamplerConfig, UpdatePath, UpdateRule, choose_path};
use super::{
    Sampler, SamplerState, Span, Step, check_count_capacity, check_observation, check_shard,
    check_sweep_range, initial_host_state,
};
use crate::anneal::{BestSoFar, check_schedule};
use crate::error::Result;
use crate::model::IsingModel;
use crate::moments::Moments;
use crate::observe::best::{BestKeeper, Kept};
use crate::observe::counts::MomentCounter;
use crate::observe::energy::{EnergyObserver, EnergyTerms};
use crate::observe::gather::SampleCollector;
use crate::observe::overlap::OverlapObserver;
use crate::observe::plane_counters::PlaneCounters;
use crate::observe::{
    EnergyTrace, HostObservers, NoObserver, Observe, Observed, Observer, OverlapTrace,
};
use crate::packed::{PackedSpins, WordSlice, check_value_rows, lane_mask};
use crate::program::{Init, SamplingProgram, SamplingSchedule, Temperatures};
use crate::rng::sigmoid;
use crate::update::lane_exchange::{
    LaneSwap, check_held, check_masks, check_swaps, keep_lanes, swap_lanes,
};

/// Units of work (about 2 ns each: a node's word costs about 10, plus 1 per neighbour) that pay for
/// starting and joining a thread (about 40 us).
const WORK_PER_THREAD: u64 = 1 << 17;

/// Sweeps between an anneal's checks up to which the sweeps keep the energies up to date instead of
/// each check summing them: a check sums every edge, while keeping costs every update a few vector
/// operations.
const TRACKED_CHECKS_APART: u64 = 4;

/// The cores this process may run on, asked once (the standard library reads the affinity mask and
/// cgroup quotas on every call, which costs more than a small sampling call).
pub(crate) fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

/// Block Gibbs sampling of many chains in plain Rust, multi-threaded; the oracle for the GPU.
///
/// ```
/// use ising_wgpu::{Blocks, CpuSampler, Lattice, SamplerConfig, SamplingProgram, SamplingSchedule, Sampler};
/// let ring = Lattice::chain(8, true)?;
/// let program = SamplingProgram::new(ring.model(0.5, 0.0, 1.0)?, Blocks::Given(ring.blocks().to_vec()), &[])?;
/// let mut sampler = CpuSampler::new(&program, &SamplerConfig::new(64).seed(7))?;
/// let moments = sampler.estimate_moments(&SamplingSchedule::new(50, 200, 1)?)?;
/// assert_eq!(moments.edge_means().len(), 8);
/// # Ok::<(), ising_wgpu::Error>(())
/// ```
pub struct CpuSampler {
    kernel: SweepKernel,
    program: SamplingProgram,
    temperatures: Temperatures,
    /// The update path asked for, if any.
    requested_path: Option<UpdatePath>,
    rule: UpdateRule,
    seed: u64,
    /// Chains in all; the sampler holds those of `window`.
    chains: usize,
    /// The 32-chain words this sampler holds (all of them unless it is a shard).
    window: Range<usize>,
    /// The chains of `window`.
    spins: PackedSpins,
    /// The kept states of [`Sampler::keep_lanes`], once it has run (the layout of `spins`).
    kept: Option<Vec<u32>>,
    next_sweep: u64,
    /// Threads to use, or `None` for as many as pay, up to one per core.
    threads: Option<usize>,
}

impl CpuSampler {
    /// Starts the chains of `config` on `program`.
    pub fn new(program: &SamplingProgram, config: &SamplerConfig) -> Result<Self> {
        CpuSampler::shard(program, config, 0..config.chains.div_ceil(32))
    }

    /// The chains of `config` in the 32-chain words `window` only, drawing what a sampler of all of
    /// them draws for those chains; its calls observe and hold those chains alone.
    pub(crate) fn shard(
        program: &SamplingProgram,
        config: &SamplerConfig,
        window: Range<usize>,
    ) -> Result<Self> {
        config.check_memory(program)?;
        let model = program.model();
        let chains = config.chains;
        let temperatures = config.temperatures(program)?;
        let lattice = choose_path(program, &temperatures, config.path, config.rule)?;
        let kernel = SweepKernel::new(program, &temperatures, lattice, config.rule, config.seed);
        let clamp_values = config.clamp_values.as_ref().map(|v| v.view());
        let all = initial_host_state(program, chains, &config.init, clamp_values)?;
        check_shard(chains, &window)?;
        let mut spins = all.select_words(window.clone());
        let probability: Option<&dyn Fn(usize, usize) -> f32> = match config.init {
            // At the beta of the word's temperature group.
            Init::Hinton => Some(&|i, w| sigmoid(temperatures.beta_of_word(w) * model.biases()[i])),
            Init::Uniform => Some(&|_, _| 0.5),
            Init::AllUp | Init::States(_) => None,
        };
        if let Some(probability) = probability {
            let masks: Vec<u32> = window.clone().map(|w| lane_mask(chains, w)).collect();
            let stride = spins.words();
            let mut slice = WordSlice {
                bits: spins.bits_mut(),
                stride,
                first_word: window.start,
                masks: &masks,
            };
            kernel.init(&mut slice, probability);
        }
        Ok(CpuSampler {
            kernel,
            program: program.clone(),
            temperatures,
            requested_path: config.path,
            rule: config.rule,
            seed: config.seed,
            chains,
            window,
            spins,
            kept: None,
            next_sweep: 0,
            threads: None,
        })
    }

    /// Takes `program`'s parameters at `temperatures` (nothing changes on an error).
    fn set_program(
        &mut self,
        program: SamplingProgram,
        temperatures: Temperatures,
    ) -> Result<UpdatePath> {
        let lattice = choose_path(&program, &temperatures, self.requested_path, self.rule)?;
        self.kernel = SweepKernel::new(&program, &temperatures, lattice, self.rule, self.seed);
        (self.program, self.temperatures) = (program, temperatures);
        Ok(self.kernel.update_path())
    }

    /// Uses `threads` threads (at least one, at most one per word of 32 chains) however short the
    /// run. By default a sampler uses up to one thread per core, fewer for runs too short to pay for
    /// starting them. Results never depend on it.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads.max(1));
        self
    }

    /// [`CpuSampler::with_threads`] where `threads` is given, else the default.
    pub(crate) fn threads(self, threads: Option<usize>) -> Self {
        match threads {
            Some(t) => self.with_threads(t),
            None => self,
        }
    }

    /// Threads for `sweeps` sweeps: the chosen count, or one per [`WORK_PER_THREAD`] units of work
    /// up to one per core; at most one per word.
    fn threads_for(&self, sweeps: u64) -> usize {
        let words = self.spins.words();
        let threads = self.threads.unwrap_or_else(|| {
            let cores = cores();
            let per_word =
                10 * self.program.num_free() as u64 + 2 * self.program.model().num_edges() as u64;
            let work = sweeps.saturating_mul(words as u64).saturating_mul(per_word);
            (work / WORK_PER_THREAD).clamp(1, cores as u64) as usize
        });
        threads.min(words).max(1)
    }

    /// Runs `span`, sweep `k` of it by `kernels[k]` (by the sampler's kernel when `None`), with a
    /// fresh observer per thread (made from the thread's chain count) observing at each sample
    /// point; returns each thread's first chain and observer. Small runs stay on the calling thread.
    fn run_parts<O: Observer>(
        &mut self,
        span: Span<'_>,
        kernels: Option<&[SweepKernel]>,
        observer_for: impl Fn(usize) -> O + Sync,
    ) -> Result<Vec<(usize, O)>> {
        check_sweep_range(self.next_sweep, span.total())?;
        let words = self.spins.words();
        let (chains, held) = (self.chains, self.window.start);
        let n = self.spins.num_nodes();
        let parts = self.threads_for(span.total());
        let bounds: Vec<usize> = (0..=parts).map(|p| p * words / parts).collect();
        let first_sweep = self.next_sweep;
        let kernel = &self.kernel;
        let global = self.spins.bits();
        // Words `w0..w1` of every node, swept on a copy.
        let part = |w0: usize, w1: usize| {
            let stride = w1 - w0;
            let mut bits: Vec<u32> = (0..n)
                .flat_map(|i| global[i * words + w0..i * words + w1].iter().copied())
                .collect();
            let masks: Vec<u32> = (held + w0..held + w1)
                .map(|w| lane_mask(chains, w))
                .collect();
            let local_chains = (32 * (held + w1)).min(chains) - 32 * (held + w0);
            let mut observer = observer_for(local_chains);
            let mut slice = WordSlice {
                bits: &mut bits,
                stride,
                first_word: held + w0,
                masks: &masks,
            };
            let result: std::result::Result<(), Infallible> = span.drive(|step| {
                match step {
                    Step::Sweeps { done, count } => {
                        for k in done..done + count {
                            let kernel = kernels.map_or(kernel, |ks| &ks[k as usize]);
                            let scores = observer.energy_scores(&slice);
                            kernel.sweep(&mut slice, first_sweep + k, scores);
                        }
                    }
                    Step::Observe => observer.observe(&slice),
                }
                Ok(())
            });
            let Ok(()) = result;
            (bits, w0, observer)
        };
        let results: Vec<(Vec<u32>, usize, O)> = if parts == 1 {
            vec![part(0, words)]
        } else {
            std::thread::scope(|scope| {
                let part = &part;
                let handles: Vec<_> = bounds
                    .windows(2)
                    .map(|r| {
                        let (w0, w1) = (r[0], r[1]);
                        scope.spawn(move || part(w0, w1))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("sampler thread panicked"))
                    .collect()
            })
        };
        self.next_sweep += span.total();
        let global = self.spins.bits_mut();
        let mut out = Vec::with_capacity(results.len());
        for (bits, w0, observer) in results {
            let stride = bits.len() / n.max(1);
            for i in 0..n {
                global[i * words + w0..i * words + w0 + stride]
                    .copy_from_slice(&bits[i * stride..(i + 1) * stride]);
            }
            out.push((32 * w0, observer));
        }
        Ok(out)
    }
}

impl Sampler for CpuSampler {
    fn run(&mut self, schedule: &SamplingSchedule, observe: &Observe) -> Result<Observed> {
        let model = self.program.model();
        let (n, m, chains) = (model.num_nodes(), model.num_edges(), self.spins.chains());
        let n_samples = check_observation(schedule, observe, n, m, chains)?;
        if observe.moments {
            check_count_capacity(schedule)?;
        }
        let edges = model.edges().to_vec();
        let terms = observe.energy.then(|| EnergyTerms::of(model));
        let capacity = schedule.n_samples as u32;
        let parts = self.run_parts(Span::Schedule(schedule), None, |local_chains| {
            let stride = local_chains.div_ceil(32);
            HostObservers {
                samples: observe.samples.as_ref().map(|nodes| SampleCollector {
                    nodes: nodes.clone(),
                    local_chains,
                    out: Vec::new(),
                }),
                moments: observe.moments.then(|| MomentCounter {
                    chains: local_chains,
                    edges: edges.clone(),
                    nodes: PlaneCounters::new(n, stride, capacity),
                    agreements: PlaneCounters::new(m, stride, capacity),
                }),
                energy: terms.as_ref().map(|terms| EnergyObserver {
                    terms: terms.clone(),
                    local_chains,
                    energies: Vec::new(),
                    ups: Vec::new(),
                }),
                overlap: observe.overlap.then(|| OverlapObserver {
                    local_chains,
                    disagreements: Vec::new(),
                }),
            }
        })?;
        let mut observed = Observed::default();
        if let Some(nodes) = &observe.samples {
            let mut out = Array3::<i8>::zeros((n_samples, chains, nodes.len()));
            for (c0, part) in &parts {
                let collector = part
                    .samples
                    .as_ref()
                    .expect("a sample collector per thread");
                let local = ArrayView3::from_shape(
                    (n_samples, collector.local_chains, nodes.len()),
                    &collector.out,
                )
                .expect("collector shape");
                out.slice_mut(s![.., *c0..c0 + collector.local_chains, ..])
                    .assign(&local);
            }
            observed.samples = Some(out);
        }
        if observe.moments {
            // Item-major (items x chains), handed over transposed: chains x items, column-major.
            let mut node_counts = Array2::zeros((n, chains));
            let mut edge_counts = Array2::zeros((m, chains));
            for (c0, part) in &parts {
                let counter = part.moments.as_ref().expect("a moment counter per thread");
                let (nodes, edges) = (&counter.nodes, &counter.agreements);
                nodes.write_columns(0, *c0, counter.chains, &mut node_counts);
                edges.write_columns(0, *c0, counter.chains, &mut edge_counts);
            }
            observed.moments = Some(Moments::from_counts(
                schedule.n_samples,
                node_counts.reversed_axes(),
                edge_counts.reversed_axes(),
            ));
        }
        if observe.energy {
            let mut energies = Array2::<f32>::zeros((n_samples, chains));
            let mut ups = Array2::<u32>::zeros((n_samples, chains));
            for (c0, part) in &parts {
                let energy = part.energy.as_ref().expect("an energy observer per thread");
                let shape = (n_samples, energy.local_chains);
                let columns = s![.., *c0..c0 + energy.local_chains];
                let local = ArrayView2::from_shape(shape, &energy.energies).expect("energy shape");
                energies.slice_mut(columns).assign(&local);
                let local = ArrayView2::from_shape(shape, &energy.ups).expect("ups shape");
                ups.slice_mut(columns).assign(&local);
            }
            observed.energy = Some(EnergyTrace::new(n, energies, ups));
        }
        if observe.overlap {
            let mut disagreements = Array2::<u32>::zeros((n_samples, chains / 2));
            for (c0, part) in &parts {
                let overlap = part
                    .overlap
                    .as_ref()
                    .expect("an overlap observer per thread");
                let pairs = overlap.local_chains / 2;
                let local = ArrayView2::from_shape((n_samples, pairs), &overlap.disagreements)
                    .expect("overlap shape");
                disagreements
                    .slice_mut(s![.., c0 / 2..c0 / 2 + pairs])
                    .assign(&local);
            }
            observed.overlap = Some(OverlapTrace::new(n, disagreements));
        }
        Ok(observed)
    }

    fn sweep(&mut self, sweeps: u64) -> Result<()> {
        self.run_parts(Span::Sweeps(sweeps), None, |_| NoObserver)?;
        Ok(())
    }

    fn state(&mut self) -> Result<Array2<i8>> {
        Ok(self.spins.to_states())
    }

    fn swap_lanes(&mut self, swaps: &[LaneSwap]) -> Result<()> {
        check_swaps(swaps, self.chains.div_ceil(32))?;
        // Global words, as a sampler of all the chains names them.
        check_held(swaps, &self.window)?;
        let first = self.window.start as u32;
        let local: Vec<LaneSwap> = swaps
            .iter()
            .map(|s| LaneSwap {
                word_a: s.word_a - first,
                word_b: s.word_b - first,
                lanes: s.lanes,
            })
            .collect();
        let words = self.spins.words();
        swap_lanes(self.spins.bits_mut(), words, &local);
        Ok(())
    }

    fn keep_lanes(&mut self, masks: &[u32]) -> Result<()> {
        check_masks(masks, self.spins.words())?;
        let spins = self.spins.bits();
        let kept = self.kept.get_or_insert_with(|| spins.to_vec());
        keep_lanes(kept, spins, masks);
        Ok(())
    }

    fn save_state(&mut self) -> Result<SamplerState> {
        let kept = self.kept.as_ref().map(|bits| {
            let mut packed = PackedSpins::new(self.spins.num_nodes(), self.spins.chains());
            packed.bits_mut().copy_from_slice(bits);
            packed.to_states()
        });
        Ok(SamplerState {
            next_sweep: self.next_sweep,
            spins: self.spins.to_states(),
            kept,
            betas: self.temperatures.betas().to_vec(),
        })
    }

    fn restore_state(&mut self, state: &SamplerState) -> Result<()> {
        state.check_spins(self.spins.chains(), self.spins.num_nodes())?;
        Temperatures::new(&state.betas, self.chains)?;
        let spins = PackedSpins::from_states(state.spins.view())?;
        let kept = match &state.kept {
            Some(kept) => Some(PackedSpins::from_states(kept.view())?.bits().to_vec()),
            None => None,
        };
        self.set_betas(&state.betas)?;
        (self.spins, self.kept, self.next_sweep) = (spins, kept, state.next_sweep);
        Ok(())
    }

    fn anneal_sweeps(
        &mut self,
        betas: &[f32],
        check_every: u64,
        best: &mut BestSoFar,
    ) -> Result<()> {
        let chains = self.chains;
        let checks = check_schedule(betas, check_every, best, self.spins.chains())?;
        let mut kernels = Vec::with_capacity(betas.len());
        for &beta in betas {
            kernels.push(self.kernel.at(&Temperatures::new(&[beta], chains)?));
        }
        let check_sweeps: Vec<u64> = checks.sample_sweeps().collect();
        let terms = EnergyTerms::of(self.program.model());
        // The sweeps keep the energies where that gives the checks' very bits and checks are close.
        // The kernels at each beta share the sampler's couplings, hence its counting nodes.
        let tracks_energy =
            terms.exact() && check_every <= TRACKED_CHECKS_APART && self.kernel.tracks_energy();
        let stride = self.spins.words();
        let mut kept = self
            .kept
            .clone()
            .unwrap_or_else(|| self.spins.bits().to_vec());
        let before = best.clone();
        let first_held_word = self.window.start;
        let parts = self.run_parts(Span::Schedule(&checks), Some(&kernels), |local_chains| {
            BestKeeper {
                terms: terms.clone(),
                local_chains,
                first_held_word,
                before: &before,
                kept_before: &kept,
                stride,
                check_sweeps: &check_sweeps,
                checks: 0,
                kept: None,
                tracks: tracks_energy,
                scores: None,
            }
        })?;
        let parts: Vec<Kept> = parts.into_iter().filter_map(|(_, p)| p.kept).collect();
        for part in parts {
            let (w0, c0, local) = (
                part.first_word,
                32 * part.first_word,
                part.best.energies.len(),
            );
            best.energies[c0..c0 + local].copy_from_slice(&part.best.energies);
            best.found_at[c0..c0 + local].copy_from_slice(&part.best.found_at);
            let width = part.words.len() / self.spins.num_nodes().max(1);
            if width > 0 {
                let rows = kept
                    .chunks_exact_mut(stride)
                    .zip(part.words.chunks_exact(width));
                for (node, words) in rows {
                    node[w0..w0 + width].copy_from_slice(words);
                }
            }
        }
        best.sweeps += betas.len() as u64;
        self.kept = Some(kept);
        self.kernel = kernels.pop().expect("at least one beta");
        self.temperatures = Temperatures::new(&betas[betas.len() - 1..], chains)?;
        Ok(())
    }

    fn kept_state(&mut self) -> Result<Array2<i8>> {
        let mut packed = self.spins.clone();
        if let Some(kept) = &self.kept {
            packed.bits_mut().copy_from_slice(kept);
        }
        Ok(packed.to_states())
    }

    fn set_parameters(&mut self, model: &IsingModel) -> Result<UpdatePath> {
        let mut program = self.program.clone();
        program.set_parameters(model)?;
        let temperatures = Temperatures::single(model.beta(), self.chains);
        self.set_program(program, temperatures)
    }

    fn temperatures(&self) -> &Temperatures {
        &self.temperatures
    }

    fn set_betas(&mut self, betas: &[f32]) -> Result<()> {
        let temperatures = Temperatures::new(betas, self.chains)?;
        self.kernel = self.kernel.at(&temperatures);
        self.temperatures = temperatures;
        Ok(())
    }

    fn set_clamp_values(&mut self, values: ArrayView2<'_, i8>) -> Result<()> {
        let clamped = self.program.clamped().to_vec();
        check_value_rows(values.nrows(), self.chains)?;
        // One row for all chains, or the rows of this sampler's chains.
        let rows = self.held_chains();
        match values.nrows() {
            1 => self.spins.set_nodes(&clamped, values),
            _ => self.spins.set_nodes(&clamped, values.slice(s![rows, ..])),
        }
    }

    fn backend_name(&self) -> String {
        let level = self.kernel.vector_level().name();
        match self.threads {
            Some(threads) => format!("cpu ({threads} threads, {level})"),
            None => format!("cpu ({level})"),
        }
    }

    fn update_path(&self) -> UpdatePath {
        self.kernel.update_path()
    }

    fn held_chains(&self) -> Range<usize> {
        32 * self.window.start..(32 * self.window.end).min(self.chains)
    }
}

/// The widest vector level this processor runs, the one CPU sweeps use.
pub(crate) fn widest_vector_level() -> &'static str {
    vector_level::VectorLevel::widest().name()
}
