//! Parallel tempering (replica exchange) on any backend: the chains split into a ladder of betas
//! ([`crate::Temperatures`]), and every `swap_every` sweeps neighbouring betas exchange replicas by
//! the exact Metropolis rule on their energies. Only energies are read back: accepted swaps move the
//! spins where they live ([`crate::Sampler::swap_lanes`]), so group `k` always holds beta `k`'s
//! replicas and its samples, moments and observables are beta `k`'s.

use ndarray::{Array1, Array2, Ix1, Ix2};

use crate::backend::{LaneSwap, Sampler};
use crate::error::{Error, Result, shown};
use crate::io::Checkpoint;
use crate::observe::{Observe, Observed};
use crate::program::SamplingSchedule;
use crate::rng::{Purpose, key_of, philox4x32_10, tag};

/// `lo:hi:n` (`n` betas from `lo` to `hi` in equal ratios) or a comma-separated list of betas.
///
/// ```
/// let betas = ising_wgpu::temper::parse_ladder("0.25:1:3")?;
/// assert_eq!(betas, vec![0.25, 0.5, 1.0]);
/// assert_eq!(ising_wgpu::temper::parse_ladder("0.1,0.2")?, vec![0.1, 0.2]);
/// assert!(ising_wgpu::temper::parse_ladder("0:1:4").is_err());
/// # Ok::<(), ising_wgpu::Error>(())
/// ```
pub fn parse_ladder(text: &str) -> Result<Vec<f32>> {
    let number = |s: &str| {
        s.trim()
            .parse::<f64>()
            .ok()
            .filter(|b| b.is_finite() && *b >= 0.0)
            .ok_or_else(|| {
                Error::invalid(
                    "betas",
                    format!("'{}' is not a non-negative number", shown(s.trim())),
                )
            })
    };
    let betas: Vec<f32> = match text.split(':').collect::<Vec<_>>()[..] {
        [lo, hi, n] => {
            let (lo, hi) = (number(lo)?, number(hi)?);
            let n: usize = n.trim().parse().ok().filter(|&n| n >= 2).ok_or_else(|| {
                Error::invalid(
                    "betas",
                    format!("'{}' is not a count of at least 2 betas", shown(n.trim())),
                )
            })?;
            if lo <= 0.0 || hi <= 0.0 {
                return Err(Error::invalid(
                    "betas",
                    format!("a geometric ladder needs positive ends, got {lo} and {hi}"),
                ));
            }
            (0..n)
                .map(|k| (lo * (hi / lo).powf(k as f64 / (n - 1) as f64)) as f32)
                .collect()
        }
        [list] => list
            .split(',')
            .map(|b| number(b).map(|b| b as f32))
            .collect::<Result<_>>()?,
        _ => {
            return Err(Error::invalid(
                "betas",
                format!("'{}' is neither LO:HI:N nor B1,B2,...", shown(text)),
            ));
        }
    };
    if betas.len() < 2 {
        return Err(Error::invalid(
            "betas",
            "tempering needs at least two betas",
        ));
    }
    Ok(betas)
}

/// What [`temper`] observed and how the swaps went.
#[derive(Clone, Debug, PartialEq)]
pub struct Tempered {
    /// What `observe` asked for at every sample point, chains grouped by beta as the sampler's
    /// [`crate::Temperatures`] are (group `k` holds beta `k`'s replicas at every point).
    pub observed: Observed,
    /// Swaps attempted between betas `k` and `k + 1`, per replica, in order of `k`.
    pub attempted: Vec<u64>,
    /// Of those, accepted, per replica: `accepted[k][r]` for replica slot `r` of the pair.
    pub accepted: Vec<Vec<u64>>,
    /// Walks of a replica from the lowest beta to the highest and back, over all replicas.
    pub round_trips: u64,
}

impl Tempered {
    /// The acceptance rate of each neighbouring pair of betas, over all replicas.
    pub fn acceptance(&self) -> Vec<f64> {
        self.accepted
            .iter()
            .zip(&self.attempted)
            .map(|(a, &n)| {
                let total: u64 = a.iter().sum();
                if n == 0 {
                    0.0
                } else {
                    total as f64 / (n * a.len() as u64) as f64
                }
            })
            .collect()
    }
}

/// Where each replica has been last: the lowest beta, the highest, or neither yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Visited {
    Neither,
    Lowest,
    Highest,
}

impl Visited {
    const ALL: [Visited; 3] = [Visited::Neither, Visited::Lowest, Visited::Highest];
}

/// Runs `schedule` on `sampler`, whose chains must split into at least two temperature groups of
/// whole words ([`crate::SamplerConfig::betas`]), recording what `observe` asks at each sample
/// point; after every `swap_every` sweeps (after the sample point when both fall on one sweep),
/// replica `r` of beta `k` and replica `r` of beta `k + 1` swap with probability
/// `min(1, exp((beta_k - beta_k+1) (E_k - E_k+1)))`, pairs `k` of alternating parity from round to
/// round, decided from Philox draws keyed by `seed`, so every backend swaps alike. Between the runs
/// of sweeps, `keep_going(done, total)` sees the sweeps run so far; `false` stops the run with
/// [`Error::Interrupted`].
pub fn temper(
    sampler: &mut dyn Sampler,
    schedule: &SamplingSchedule,
    observe: &Observe,
    swap_every: u64,
    seed: u64,
    mut keep_going: impl FnMut(u64, u64) -> bool,
) -> Result<Tempered> {
    let mut run = TemperRun::new(sampler, schedule, observe, swap_every, seed)?;
    while !run.finished() {
        run.step(sampler)?;
        if !run.finished() && !keep_going(run.done(), run.total()) {
            return Err(Error::Interrupted {
                done: run.done(),
                total: run.total(),
                unit: "sweeps",
            });
        }
    }
    Ok(run.into_tempered())
}

/// A tempering run taken a step at a time (the sweeps to the next sample point or swap round, then
/// that round's swaps), holding the walk of every replica, the swap counts and what it has observed
/// so far: with the sampler's [`crate::SamplerState`] it is all a checkpoint needs
/// ([`TemperRun::store`], [`TemperRun::restore`]).
#[derive(Clone, Debug, PartialEq)]
pub struct TemperRun {
    observe: Observe,
    swap_every: u64,
    key: [u32; 2],
    betas: Vec<f32>,
    /// Replicas per beta.
    per: usize,
    /// The sweeps of the sample points.
    samples: Vec<u64>,
    /// Which replica (by its starting chain) sits at each (beta, slot), and where it has been.
    walker: Vec<usize>,
    visited: Vec<Visited>,
    attempted: Vec<u64>,
    accepted: Vec<Vec<u64>>,
    round_trips: u64,
    observed: Option<Observed>,
    done: u64,
    next_sample: usize,
}

impl TemperRun {
    /// Nothing run yet, on `sampler`'s ladder ([`temper`] says what it must be); an error naming
    /// what is wrong with the ladder or `swap_every`.
    pub fn new(
        sampler: &dyn Sampler,
        schedule: &SamplingSchedule,
        observe: &Observe,
        swap_every: u64,
        seed: u64,
    ) -> Result<Self> {
        if swap_every == 0 {
            return Err(Error::invalid("swap every", "swap at most every sweep (1)"));
        }
        let temperatures = sampler.temperatures();
        let betas = temperatures.betas().to_vec();
        let levels = betas.len();
        if levels < 2 {
            return Err(Error::invalid(
                "betas",
                "tempering needs at least two betas",
            ));
        }
        let per = temperatures.chains_of(0).len();
        if temperatures.chains_of(levels - 1).len() != per || !per.is_multiple_of(32) {
            return Err(Error::invalid(
                "replicas",
                format!(
                    "every beta needs the same whole 32-chain words of replicas; the last beta has {} chains, the first {per}",
                    temperatures.chains_of(levels - 1).len()
                ),
            ));
        }
        let chains = levels * per;
        Ok(TemperRun {
            observe: observe.clone(),
            swap_every,
            key: key_of(seed),
            betas,
            per,
            samples: schedule.sample_sweeps().collect(),
            walker: (0..chains).collect(),
            visited: (0..chains)
                .map(|c| match c < per {
                    true => Visited::Lowest,
                    false => Visited::Neither,
                })
                .collect(),
            attempted: vec![0; levels - 1],
            accepted: vec![vec![0; per]; levels - 1],
            round_trips: 0,
            observed: None,
            done: 0,
            next_sample: 0,
        })
    }

    /// Runs the sweeps to the next sample point or swap round, whichever comes first, observing
    /// at the one and swapping at the other, and returns how many ran (0 once finished).
    pub fn step(&mut self, sampler: &mut dyn Sampler) -> Result<u64> {
        let Some(&sample) = self.samples.get(self.next_sample) else {
            return Ok(0);
        };
        let next_swap = (self.done / self.swap_every + 1) * self.swap_every;
        let target = sample.min(next_swap);
        let (is_sample, is_swap) = (target == sample, target == next_swap);
        let asked = Observe {
            energy: self.observe.energy || is_swap,
            ..if is_sample {
                self.observe.clone()
            } else {
                Observe::default()
            }
        };
        let got = sampler.run(&SamplingSchedule::new(target - self.done, 1, 1)?, &asked)?;
        let ran = target - self.done;
        self.done = target;
        let energies = got.energy.as_ref().map(|t| t.energies().row(0).to_vec());
        if is_sample {
            self.next_sample += 1;
            let mut got = got;
            if !self.observe.energy {
                got.energy = None;
            }
            match &mut self.observed {
                Some(o) => o.append(got),
                None => self.observed = Some(got),
            }
        }
        if is_swap {
            self.swap(sampler, &energies.expect("asked for"))?;
        }
        Ok(ran)
    }

    /// One round of swaps on the energies of every chain, the round that ends at the sweeps done
    /// (rounds counted from 0).
    fn swap(&mut self, sampler: &mut dyn Sampler, energies: &[f32]) -> Result<()> {
        let round = self.done / self.swap_every - 1;
        let (levels, per) = (self.betas.len(), self.per);
        let words = per / 32;
        let mut swaps = Vec::new();
        for k in (usize::from(round % 2 == 1)..levels - 1).step_by(2) {
            self.attempted[k] += 1;
            let delta = f64::from(self.betas[k] - self.betas[k + 1]);
            let mut lanes = vec![0u32; words];
            for r in 0..per {
                let (a, b) = (k * per + r, (k + 1) * per + r);
                let x = delta * (f64::from(energies[a]) - f64::from(energies[b]));
                let draw = philox4x32_10(
                    [
                        k as u32,
                        r as u32,
                        round as u32,
                        tag(round >> 32, Purpose::ReplicaSwap),
                    ],
                    self.key,
                );
                let u = (f64::from(draw[0]) + 0.5) / 4_294_967_296.0;
                if x >= 0.0 || u < x.exp() {
                    self.accepted[k][r] += 1;
                    lanes[r / 32] |= 1 << (r % 32);
                    self.walker.swap(a, b);
                }
            }
            for (w, &lanes) in lanes.iter().enumerate().filter(|(_, l)| **l != 0) {
                swaps.push(LaneSwap {
                    word_a: (k * words + w) as u32,
                    word_b: ((k + 1) * words + w) as u32,
                    lanes,
                });
            }
        }
        sampler.swap_lanes(&swaps)?;
        for (slot, &w) in self.walker.iter().enumerate() {
            match (slot / per, self.visited[w]) {
                (0, Visited::Highest) => {
                    self.round_trips += 1;
                    self.visited[w] = Visited::Lowest;
                }
                (0, _) => self.visited[w] = Visited::Lowest,
                (k, Visited::Lowest) if k == levels - 1 => self.visited[w] = Visited::Highest,
                _ => {}
            }
        }
        Ok(())
    }

    /// Whether every sample has been taken.
    pub fn finished(&self) -> bool {
        self.next_sample == self.samples.len()
    }

    /// Sweeps run so far.
    pub fn done(&self) -> u64 {
        self.done
    }

    /// Sweeps of the whole schedule.
    pub fn total(&self) -> u64 {
        self.samples.last().copied().unwrap_or(0)
    }

    /// What the run observed and how the swaps went (so far, if it has not finished).
    pub fn into_tempered(self) -> Tempered {
        Tempered {
            observed: self.observed.unwrap_or_default(),
            attempted: self.attempted,
            accepted: self.accepted,
            round_trips: self.round_trips,
        }
    }

    /// Stores the run's progress under `temper.*` and what it observed ([`Observed::store`]).
    pub fn store(&self, checkpoint: &mut Checkpoint) {
        let longs = |v: Vec<u64>| Array1::from(v).into_dyn();
        let progress = vec![self.done, self.next_sample as u64, self.round_trips];
        checkpoint.put("temper.progress", &longs(progress));
        checkpoint.put(
            "temper.walker",
            &longs(self.walker.iter().map(|&w| w as u64).collect()),
        );
        let visited = self.visited.iter().map(|v| *v as u32).collect::<Vec<u32>>();
        checkpoint.put("temper.visited", &Array1::from(visited).into_dyn());
        checkpoint.put("temper.attempted", &longs(self.attempted.clone()));
        let accepted = Array2::from_shape_fn((self.accepted.len(), self.per), |(k, r)| {
            self.accepted[k][r]
        });
        checkpoint.put("temper.accepted", &accepted.into_dyn());
        if let Some(observed) = &self.observed {
            observed.store(checkpoint);
        }
    }

    /// This run (just made, by [`TemperRun::new`] on the resumed sampler) continued from where
    /// [`TemperRun::store`] left one with the same arguments in `checkpoint`; an error naming what
    /// does not fit this run's ladder, schedule or observations.
    pub fn restore(
        mut self,
        checkpoint: &Checkpoint,
        (nodes, edges): (usize, usize),
    ) -> Result<Self> {
        let bad = |what: &str| {
            Error::invalid(
                "checkpoint",
                format!("its tempering {what} do not fit this run"),
            )
        };
        let chains = self.walker.len();
        let progress = checkpoint.require::<u64, Ix1>("temper.progress")?;
        let &[done, next_sample, round_trips] = progress.as_slice().unwrap_or(&[]) else {
            return Err(bad("progress counts"));
        };
        let walker: Vec<usize> = checkpoint
            .require::<u64, Ix1>("temper.walker")?
            .iter()
            .map(|&w| w as usize)
            .collect();
        let mut seen = vec![false; chains];
        if walker.len() != chains
            || walker
                .iter()
                .any(|&w| w >= chains || std::mem::replace(&mut seen[w], true))
        {
            return Err(bad("replica walks"));
        }
        let visited: Option<Vec<Visited>> = checkpoint
            .require::<u32, Ix1>("temper.visited")?
            .iter()
            .map(|&v| Visited::ALL.get(v as usize).copied())
            .collect();
        let visited = visited
            .filter(|v| v.len() == chains)
            .ok_or_else(|| bad("replica walks"))?;
        let attempted: Vec<u64> = checkpoint
            .require::<u64, Ix1>("temper.attempted")?
            .into_iter()
            .collect();
        let accepted = checkpoint.require::<u64, Ix2>("temper.accepted")?;
        if attempted.len() != self.attempted.len()
            || accepted.shape() != [attempted.len(), self.per]
        {
            return Err(bad("swap counts"));
        }
        // Every step ends on a sample point (taking it) or a swap round (making it).
        let taken = self.samples.iter().filter(|&&s| s <= done).count() as u64;
        let consistent =
            done <= self.total() && (next_sample == taken || (done == 0 && next_sample == 0));
        if !consistent {
            return Err(bad("progress counts"));
        }
        let observed = Observed::restore(checkpoint, &self.observe, chains, (nodes, edges))?;
        let counts = observed.as_ref().map_or(vec![0], Observed::sample_counts);
        if counts.iter().any(|&c| c != next_sample) {
            return Err(bad("observations"));
        }
        self.walker = walker;
        self.visited = visited;
        self.attempted = attempted;
        self.accepted = accepted.rows().into_iter().map(|r| r.to_vec()).collect();
        (self.done, self.next_sample) = (done, next_sample as usize);
        self.round_trips = round_trips;
        self.observed = observed;
        Ok(self)
    }
}
