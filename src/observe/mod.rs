//! Observation at sample points: each kernel (`.wgsl`) beside its host twin (`.rs`) under one name.
//! The GPU runs the kernel where the spins live and reads back only its result; the CPU runs the
//! twin on each thread's words through [`Observer`].
//!
//! - [`gather`]: the spins of chosen nodes (samples);
//! - [`counts`]: per-chain moment counts in bit planes ([`plane_counters`]);
//! - [`energy`]: per-chain energy and magnetisation;
//! - [`overlap`]: the replica overlap of chain pairs;
//! - [`best`]: an anneal's checks, each chain's lowest energy and its kept spins;
//! - `stored`: what a run observed, in a checkpoint.

pub(crate) mod best;
pub(crate) mod counts;
pub(crate) mod energy;
pub(crate) mod gather;
pub(crate) mod overlap;
pub(crate) mod plane_counters;
pub(crate) mod stored;

use ndarray::{Array2, Array3, ArrayView2, Axis};

use crate::moments::Moments;
use crate::packed::WordSlice;
use crate::stats::mean_and_stderr;

/// What the host does with a thread's words at each sample point.
pub(crate) trait Observer: Send {
    /// Observes the words of `spins` (the thread's chains) at the next sample point.
    fn observe(&mut self, spins: &WordSlice<'_>);

    /// Asked before every sweep: each word's lanes' scores `-H(s)`, for the sweep to keep up to
    /// date by adding what each update changes ([`crate::update::general::GeneralUpdate`]), where
    /// this observer takes its energies that way; `spins` are the words before the sweep.
    fn energy_scores(&mut self, _spins: &WordSlice<'_>) -> Option<&mut [[f32; 32]]> {
        None
    }
}

/// What a run records at each of its sample points; any combination, in one pass over the schedule.
///
/// ```
/// use ising_wgpu::{CpuSampler, Lattice, Observe, Sampler, SamplerConfig, SamplingSchedule};
/// let torus = Lattice::square(8, 8, true)?;
/// let program = torus.program(1.0, 0.0, 0.3)?;
/// let mut sampler = CpuSampler::new(&program, &SamplerConfig::new(64).seed(1))?;
/// let observed = sampler.run(
///     &SamplingSchedule::new(100, 50, 2)?,
///     &Observe { moments: true, energy: true, ..Observe::default() },
/// )?;
/// let (u, u_err) = observed.energy.unwrap().energy_per_site();
/// assert!((u + 0.7).abs() < 0.2, "{u} +/- {u_err}");
/// assert_eq!(observed.moments.unwrap().edge_means().len(), 128);
/// # Ok::<(), ising_wgpu::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observe {
    /// The spins of these nodes (samples x chains x nodes); `None` records none.
    pub samples: Option<Vec<u32>>,
    /// Per-chain moment counts ([`Moments`]).
    pub moments: bool,
    /// Every chain's energy and magnetisation ([`EnergyTrace`]).
    pub energy: bool,
    /// The replica overlap of each pair of chains `(2p, 2p + 1)` ([`OverlapTrace`]).
    pub overlap: bool,
}

impl Observe {
    /// An error unless what this records over `schedule` from `chains` chains of a model of
    /// `num_nodes` nodes and `num_edges` edges fits this machine's memory, and every observed node
    /// exists: the check each run makes, for callers to make before they start a sampler.
    pub fn check_memory(
        &self,
        schedule: &crate::SamplingSchedule,
        num_nodes: usize,
        num_edges: usize,
        chains: usize,
    ) -> crate::Result<()> {
        crate::backend::check_observation(schedule, self, num_nodes, num_edges, chains).map(|_| ())
    }
}

/// What a run recorded: each field is `Some` when [`Observe`] asked for it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observed {
    /// Spins of the observed nodes, samples x chains x nodes, -1/+1.
    pub samples: Option<Array3<i8>>,
    /// Moment counts of every node and edge.
    pub moments: Option<Moments>,
    /// Energy and magnetisation of every chain at every sample point.
    pub energy: Option<EnergyTrace>,
    /// Overlap of every pair of chains at every sample point.
    pub overlap: Option<OverlapTrace>,
}

impl Observed {
    /// What runs of the same schedule on several sets of chains observed, chains in order.
    pub(crate) fn concat_chains(parts: Vec<Observed>) -> Observed {
        let n = parts.len();
        let (mut samples, mut moments, mut energy, mut overlap) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for part in parts {
            samples.extend(part.samples);
            moments.extend(part.moments);
            energy.extend(part.energy);
            overlap.extend(part.overlap);
        }
        let views: Vec<_> = samples.iter().map(Array3::view).collect();
        Observed {
            samples: (views.len() == n)
                .then(|| ndarray::concatenate(Axis(1), &views).ok())
                .flatten(),
            moments: (moments.len() == n)
                .then(|| Moments::concat_chains(&moments))
                .flatten(),
            energy: (energy.len() == n)
                .then(|| EnergyTrace::concat(&energy, Axis(1)))
                .flatten(),
            overlap: (overlap.len() == n)
                .then(|| OverlapTrace::concat(&overlap, Axis(1)))
                .flatten(),
        }
    }

    /// The samples each observation present holds (one count per field), e.g. to check a resumed
    /// run's ([`crate::ScheduleRun::resume`]).
    pub fn sample_counts(&self) -> Vec<u64> {
        let mut counts = Vec::new();
        counts.extend(self.samples.as_ref().map(|s| s.len_of(Axis(0)) as u64));
        counts.extend(self.moments.as_ref().map(Moments::samples_per_chain));
        counts.extend(self.energy.as_ref().map(|e| e.energies.nrows() as u64));
        counts.extend(
            self.overlap
                .as_ref()
                .map(|o| o.disagreements.nrows() as u64),
        );
        counts
    }

    /// Appends what a later run of the same chains observed, in place: samples, energies and
    /// overlaps after these (amortised, as a `Vec` grows), moment counts added; a field is kept only
    /// when both runs have it.
    pub fn append(&mut self, later: Observed) {
        self.samples = match (self.samples.take(), later.samples) {
            (Some(mut a), Some(b)) => a.append(Axis(0), b.view()).is_ok().then_some(a),
            _ => None,
        };
        self.moments = match (self.moments.take(), later.moments) {
            (Some(mut a), Some(b)) => {
                a.add(&b);
                Some(a)
            }
            _ => None,
        };
        self.energy = match (self.energy.take(), later.energy) {
            (Some(mut a), Some(b)) => a.append(&b).then_some(a),
            _ => None,
        };
        self.overlap = match (self.overlap.take(), later.overlap) {
            (Some(mut a), Some(b)) => a.append(&b).then_some(a),
            _ => None,
        };
    }
}

/// Energy `H(s) = -(sum_i b_i s_i + sum_k J_k s_i s_j)` (without beta) and magnetisation
/// `M(s) = sum_i s_i` (over every node, clamped ones included) of every chain at every sample point.
#[derive(Clone, Debug, PartialEq)]
pub struct EnergyTrace {
    num_nodes: usize,
    energies: Array2<f32>,
    ups: Array2<u32>,
}

impl EnergyTrace {
    /// A trace from the energies and up-spin counts (samples x chains) of a model of `num_nodes` nodes.
    pub(crate) fn new(num_nodes: usize, energies: Array2<f32>, ups: Array2<u32>) -> Self {
        EnergyTrace {
            num_nodes,
            energies,
            ups,
        }
    }

    /// The trace of `chains` alone, e.g. one temperature group's
    /// ([`crate::Temperatures::chains_of`]).
    pub fn select_chains(&self, chains: std::ops::Range<usize>) -> EnergyTrace {
        let columns = ndarray::s![.., chains];
        EnergyTrace {
            num_nodes: self.num_nodes,
            energies: self.energies.slice(columns).to_owned(),
            ups: self.ups.slice(columns).to_owned(),
        }
    }

    /// Traces of the same model joined along `axis` (1: several sets of chains of one schedule,
    /// `select_chains`' inverse; 0: later samples of the same chains); `None` for no parts.
    pub(crate) fn concat(parts: &[EnergyTrace], axis: Axis) -> Option<EnergyTrace> {
        let energies: Vec<ArrayView2<f32>> = parts.iter().map(|t| t.energies.view()).collect();
        let ups: Vec<ArrayView2<u32>> = parts.iter().map(|t| t.ups.view()).collect();
        Some(EnergyTrace {
            num_nodes: parts.first()?.num_nodes,
            energies: ndarray::concatenate(axis, &energies).ok()?,
            ups: ndarray::concatenate(axis, &ups).ok()?,
        })
    }

    /// Appends `later`'s samples of the same chains in place; false (and this trace unusable) when
    /// the chains differ.
    fn append(&mut self, later: &EnergyTrace) -> bool {
        self.energies.append(Axis(0), later.energies.view()).is_ok()
            && self.ups.append(Axis(0), later.ups.view()).is_ok()
    }

    /// `H(s)`, samples x chains.
    pub fn energies(&self) -> ArrayView2<'_, f32> {
        self.energies.view()
    }

    /// Up-spin counts, samples x chains.
    #[cfg(feature = "mpi")]
    pub(crate) fn ups(&self) -> ArrayView2<'_, u32> {
        self.ups.view()
    }

    /// `M(s)`, samples x chains.
    pub fn magnetizations(&self) -> Array2<i64> {
        let n = self.num_nodes as i64;
        self.ups.mapv(|u| 2 * i64::from(u) - n)
    }

    /// Mean of `H / nodes` over samples and chains, with its standard error from the spread between
    /// the chains' means.
    pub fn energy_per_site(&self) -> (f64, f64) {
        self.per_site(self.energies.mapv(f64::from))
    }

    /// Mean of `M / nodes` over samples and chains, with its standard error from the spread between
    /// the chains' means.
    pub fn magnetization_per_site(&self) -> (f64, f64) {
        self.per_site(self.magnetizations().mapv(|m| m as f64))
    }

    /// Mean and standard error of `values / nodes` (samples x chains) from the chains' means.
    fn per_site(&self, values: Array2<f64>) -> (f64, f64) {
        let chain_means = values.mean_axis(Axis(0)).expect("at least one sample");
        let per_site: Vec<f64> = chain_means
            .iter()
            .map(|m| m / self.num_nodes as f64)
            .collect();
        mean_and_stderr(&per_site)
    }
}

/// The replica overlap `q = (1/N) sum_i s_i^a s_i^b` (over every node) of each pair of chains
/// `(2p, 2p + 1)` at every sample point; the two chains of a pair share a word, and so a beta.
#[derive(Clone, Debug, PartialEq)]
pub struct OverlapTrace {
    num_nodes: usize,
    /// Disagreeing nodes, samples x pairs.
    disagreements: Array2<u32>,
}

/// Means over samples and pairs of `q`, `q^2` and `q^4`, with standard errors from the spread
/// between pairs, and the Binder ratio `(3 - <q^4> / <q^2>^2) / 2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OverlapStats {
    /// `<q>` and its standard error.
    pub q: (f64, f64),
    /// `<q^2>` and its standard error.
    pub q2: (f64, f64),
    /// `<q^4>` and its standard error.
    pub q4: (f64, f64),
    /// The Binder ratio of the means.
    pub binder: f64,
}

impl OverlapTrace {
    /// A trace from the disagreeing nodes (samples x pairs) of a model of `num_nodes` nodes.
    pub(crate) fn new(num_nodes: usize, disagreements: Array2<u32>) -> Self {
        OverlapTrace {
            num_nodes,
            disagreements,
        }
    }

    /// Appends `later`'s samples of the same pairs in place; false when the pairs differ.
    fn append(&mut self, later: &OverlapTrace) -> bool {
        self.disagreements
            .append(Axis(0), later.disagreements.view())
            .is_ok()
    }

    /// Traces of the same nodes joined along `axis` (0: later samples, 1: more pairs); `None` for
    /// no parts.
    pub(crate) fn concat(parts: &[OverlapTrace], axis: Axis) -> Option<OverlapTrace> {
        let views: Vec<ArrayView2<u32>> = parts.iter().map(|t| t.disagreements.view()).collect();
        Some(OverlapTrace {
            num_nodes: parts.first()?.num_nodes,
            disagreements: ndarray::concatenate(axis, &views).ok()?,
        })
    }

    /// Disagreeing nodes, samples x pairs.
    #[cfg(feature = "mpi")]
    pub(crate) fn disagreements(&self) -> ArrayView2<'_, u32> {
        self.disagreements.view()
    }

    /// `q` of every pair at every sample point, samples x pairs.
    pub fn q(&self) -> Array2<f64> {
        let n = self.num_nodes as f64;
        self.disagreements.mapv(|d| 1.0 - 2.0 * f64::from(d) / n)
    }

    /// The pairs of `chains` alone (pairs `chains.start / 2 .. chains.end / 2`), e.g. one
    /// temperature group's ([`crate::Temperatures::chains_of`], whole words, so whole pairs).
    pub fn select_chains(&self, chains: std::ops::Range<usize>) -> OverlapTrace {
        OverlapTrace {
            num_nodes: self.num_nodes,
            disagreements: self
                .disagreements
                .slice(ndarray::s![.., chains.start / 2..chains.end / 2])
                .to_owned(),
        }
    }

    /// `<q>`, `<q^2>`, `<q^4>` and the Binder ratio over every sample and pair.
    pub fn stats(&self) -> OverlapStats {
        let q = self.q();
        let moment = |k: i32| {
            let per_pair = q.mapv(|v| v.powi(k)).mean_axis(Axis(0)).expect("a sample");
            mean_and_stderr(&per_pair.to_vec())
        };
        let (q1, q2, q4) = (moment(1), moment(2), moment(4));
        OverlapStats {
            q: q1,
            q2,
            q4,
            binder: 0.5 * (3.0 - q4.0 / (q2.0 * q2.0)),
        }
    }
}

/// Observes nothing: for runs of plain sweeps.
pub(crate) struct NoObserver;

impl Observer for NoObserver {
    fn observe(&mut self, _: &WordSlice<'_>) {}
}

/// The host twins that a thread runs at each sample point, as [`Observe`] asks.
pub(crate) struct HostObservers {
    /// Spins of the observed nodes.
    pub(crate) samples: Option<gather::SampleCollector>,
    /// Moment counts.
    pub(crate) moments: Option<counts::MomentCounter>,
    /// Energies and up counts.
    pub(crate) energy: Option<energy::EnergyObserver>,
    /// Overlaps of chain pairs.
    pub(crate) overlap: Option<overlap::OverlapObserver>,
}

impl Observer for HostObservers {
    fn observe(&mut self, spins: &WordSlice<'_>) {
        if let Some(o) = &mut self.samples {
            o.observe(spins);
        }
        if let Some(o) = &mut self.moments {
            o.observe(spins);
        }
        if let Some(o) = &mut self.energy {
            o.observe(spins);
        }
        if let Some(o) = &mut self.overlap {
            o.observe(spins);
        }
    }
}
