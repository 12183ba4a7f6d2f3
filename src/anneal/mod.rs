//! Simulated annealing on any backend: a beta per sweep ([`BetaSchedule`]), every chain an
//! independent read, and each read's best state kept where the spins live ([`anneal`]: only
//! energies are read back, and the kept states once at the end).

use std::time::{Duration, Instant};

use ndarray::Array2;

use crate::backend::{Pace, Sampler};
use crate::error::{Error, Result, check_finite, shown};
use crate::model::IsingModel;
use crate::program::SamplingSchedule;

/// Wall time of a part of [`anneal`] between two progress reports.
const PART: Duration = Duration::from_millis(100);

/// Inverse temperatures, one per sweep.
#[derive(Clone, Debug, PartialEq)]
pub enum BetaSchedule {
    /// From `hot` to `cold` in equal steps.
    Linear {
        /// The first sweep's beta.
        hot: f32,
        /// The last sweep's beta.
        cold: f32,
    },
    /// From `hot` to `cold` in equal ratios (dwave-samplers' `geometric`).
    Geometric {
        /// The first sweep's beta.
        hot: f32,
        /// The last sweep's beta.
        cold: f32,
    },
    /// These betas, one per sweep (dwave-samplers' `custom`; reverse annealing starts cold).
    List(Vec<f32>),
}

impl BetaSchedule {
    /// `linear:HOT:COLD`, `geometric:HOT:COLD` or a comma-separated list of betas; errors name the
    /// part that is wrong.
    ///
    /// ```
    /// use ising_wgpu::anneal::BetaSchedule;
    /// let s = BetaSchedule::parse("geometric:0.1:3.0")?;
    /// assert_eq!(s, BetaSchedule::Geometric { hot: 0.1, cold: 3.0 });
    /// assert_eq!(s.betas(3)?[1], (0.1f32 * 3.0).sqrt());
    /// assert_eq!(BetaSchedule::parse("1,0.5,1")?.betas(3)?, vec![1.0, 0.5, 1.0]);
    /// assert!(BetaSchedule::parse("geometric:0:1").is_err());
    /// # Ok::<(), ising_wgpu::Error>(())
    /// ```
    pub fn parse(text: &str) -> Result<Self> {
        let number = |s: &str| {
            s.trim()
                .parse::<f32>()
                .ok()
                .filter(|b| b.is_finite())
                .ok_or_else(|| {
                    Error::invalid(
                        "schedule",
                        format!("'{}' is not a finite number", shown(s.trim())),
                    )
                })
        };
        let schedule = match text.split(':').collect::<Vec<_>>()[..] {
            ["linear", hot, cold] => BetaSchedule::Linear {
                hot: number(hot)?,
                cold: number(cold)?,
            },
            ["geometric", hot, cold] => BetaSchedule::Geometric {
                hot: number(hot)?,
                cold: number(cold)?,
            },
            [list] => BetaSchedule::List(list.split(',').map(number).collect::<Result<_>>()?),
            _ => {
                return Err(Error::invalid(
                    "schedule",
                    format!(
                        "'{}' is none of linear:HOT:COLD, geometric:HOT:COLD and B1,B2,...",
                        shown(text)
                    ),
                ));
            }
        };
        schedule.check()?;
        Ok(schedule)
    }

    /// dwave-samplers' rule of thumb for `model` (its default beta range): hot enough that the
    /// costliest single flip is taken with probability 1/3 (`beta = ln 2 / max dE`), cold enough
    /// that of the `k` nodes whose cheapest costly flip costs the least, `min dE`, about one in a
    /// hundred sweeps sees one of them flip (`beta = ln(100 k) / min dE`); geometric between.
    pub fn default_for(model: &IsingModel) -> Self {
        let n = model.num_nodes();
        let (mut largest, mut smallest) = (vec![0f64; n], vec![f64::INFINITY; n]);
        for i in 0..n {
            largest[i] = f64::from(model.biases()[i].abs());
            if model.biases()[i] != 0.0 {
                smallest[i] = f64::from(model.biases()[i].abs());
            }
        }
        for (&(i, j), &w) in model.edges().iter().zip(model.weights()) {
            let w = f64::from(w.abs());
            for k in [i as usize, j as usize] {
                largest[k] += w;
                if w > 0.0 {
                    smallest[k] = smallest[k].min(w);
                }
            }
        }
        let max_de = 2.0 * largest.iter().copied().fold(0.0, f64::max);
        let min_de = 2.0 * smallest.iter().copied().fold(f64::INFINITY, f64::min);
        if max_de == 0.0 || !min_de.is_finite() {
            return BetaSchedule::Geometric {
                hot: 0.1,
                cold: 1.0,
            };
        }
        let cheapest = smallest.iter().filter(|&&s| 2.0 * s == min_de).count();
        let hot = (2f64.ln() / max_de) as f32;
        let cold = (((100.0 * cheapest as f64).ln() / min_de) as f32).max(hot);
        BetaSchedule::Geometric { hot, cold }
    }

    /// An error unless every beta is finite and non-negative and geometric ends are positive.
    fn check(&self) -> Result<()> {
        let ends = match self {
            BetaSchedule::Linear { hot, cold } | BetaSchedule::Geometric { hot, cold } => {
                vec![*hot, *cold]
            }
            BetaSchedule::List(betas) if betas.is_empty() => {
                return Err(Error::invalid("schedule", "the list of betas is empty"));
            }
            BetaSchedule::List(betas) => betas.clone(),
        };
        for (k, &beta) in ends.iter().enumerate() {
            check_finite(|| format!("schedule beta {k}"), f64::from(beta))?;
            if beta < 0.0 {
                return Err(Error::invalid(
                    "schedule",
                    format!("beta {beta} is negative"),
                ));
            }
        }
        if let BetaSchedule::Geometric { hot, cold } = self
            && (*hot <= 0.0 || *cold <= 0.0)
        {
            return Err(Error::invalid(
                "schedule",
                format!("a geometric schedule needs positive ends, got {hot} and {cold}"),
            ));
        }
        Ok(())
    }

    /// The number of sweeps a list gives (`None` for the other forms, which take any).
    pub fn list_len(&self) -> Option<u64> {
        match self {
            BetaSchedule::List(betas) => Some(betas.len() as u64),
            _ => None,
        }
    }

    /// The beta of each of `sweeps` sweeps; an error for a list of another length or no sweeps.
    pub fn betas(&self, sweeps: u64) -> Result<Vec<f32>> {
        self.check()?;
        if sweeps == 0 {
            return Err(Error::invalid("sweeps", "anneal for at least one sweep"));
        }
        if sweeps > 1 << 32 {
            return Err(Error::invalid(
                "sweeps",
                format!("{sweeps} sweeps is more than 2^32"),
            ));
        }
        let last = (sweeps - 1).max(1) as f64;
        let at = |k: u64| k as f64 / last;
        Ok(match self {
            BetaSchedule::Linear { hot, cold } => (0..sweeps)
                .map(|k| (f64::from(*hot) + (f64::from(*cold) - f64::from(*hot)) * at(k)) as f32)
                .collect(),
            BetaSchedule::Geometric { hot, cold } => (0..sweeps)
                .map(|k| {
                    (f64::from(*hot) * (f64::from(*cold) / f64::from(*hot)).powf(at(k))) as f32
                })
                .collect(),
            BetaSchedule::List(betas) if betas.len() as u64 == sweeps => betas.clone(),
            BetaSchedule::List(betas) => {
                return Err(Error::invalid(
                    "sweeps",
                    format!(
                        "{sweeps} sweeps asked for, the list of betas has {}",
                        betas.len()
                    ),
                ));
            }
        })
    }
}

/// The result of [`anneal`]: each read's (chain's) best state and its energy.
#[derive(Clone, Debug, PartialEq)]
pub struct Annealed {
    /// Each read's lowest energy `H(s)` (without beta) among the checked sweeps, recomputed in `f64`
    /// from its kept state.
    pub energies: Vec<f64>,
    /// Each read's state of that energy, reads x nodes, -1/+1.
    pub states: Array2<i8>,
    /// Each read's last state, reads x nodes.
    pub final_states: Array2<i8>,
    /// The sweep (1-based) at which each read first reached its kept energy.
    pub found_at: Vec<u64>,
}

/// Each chain's lowest energy `H(s)` so far in an anneal and the sweep that first reached it, as
/// [`Sampler::anneal_sweeps`] keeps them.
#[derive(Clone, Debug, PartialEq)]
pub struct BestSoFar {
    /// Each chain's lowest checked energy (infinite before the first check).
    pub energies: Vec<f32>,
    /// The sweep (1-based, counted over every call) at which each chain reached it (0 before).
    pub found_at: Vec<u64>,
    /// Sweeps run by the calls so far.
    pub sweeps: u64,
}

impl BestSoFar {
    /// Nothing checked yet, for `chains` chains.
    pub fn new(chains: usize) -> Self {
        BestSoFar {
            energies: vec![f32::INFINITY; chains],
            found_at: vec![0; chains],
            sweeps: 0,
        }
    }

    /// Takes the energies checked after `sweep` sweeps of this call (one per chain of
    /// `first_chain..`) where they are lower, and returns the lanes that improved, one mask per
    /// word of those chains.
    pub(crate) fn improve(&mut self, first_chain: usize, energies: &[f32], sweep: u64) -> Vec<u32> {
        let mut masks = vec![0u32; energies.len().div_ceil(32)];
        let at = self.sweeps + sweep;
        for (k, &e) in energies.iter().enumerate() {
            let c = first_chain + k;
            if e < self.energies[c] {
                self.energies[c] = e;
                self.found_at[c] = at;
                masks[k / 32] |= 1 << (k % 32);
            }
        }
        masks
    }
}

/// The checks of an anneal of `sweeps` sweeps: after the last sweep and every `check_every` before
/// it, as a schedule whose sample points are the checks; with the errors of
/// [`Sampler::anneal_sweeps`] for `betas`, `check_every` and `best`.
pub(crate) fn check_schedule(
    betas: &[f32],
    check_every: u64,
    best: &BestSoFar,
    chains: usize,
) -> Result<SamplingSchedule> {
    if betas.is_empty() {
        return Err(Error::invalid("sweeps", "anneal for at least one sweep"));
    }
    if check_every == 0 {
        return Err(Error::invalid(
            "check every",
            "check at least every sweep (1)",
        ));
    }
    if best.energies.len() != chains || best.found_at.len() != chains {
        return Err(Error::LengthMismatch {
            what: "best energies so far (one per chain)",
            expected: chains,
            got: best.energies.len().min(best.found_at.len()),
        });
    }
    let sweeps = betas.len() as u64;
    let first = (sweeps - 1) % check_every + 1;
    SamplingSchedule::new(first, (sweeps - first) / check_every + 1, check_every)
}

/// Anneals every chain of `sampler` (all at one beta) through `betas`, one per sweep, checking each
/// chain's energy after the last sweep and every `check_every` sweeps before it, and keeping each
/// chain's lowest-energy state where the spins live ([`Sampler::anneal_sweeps`]). `progress(done)`
/// is called with the sweeps done after each part of the run (about a tenth of a second of it, at
/// most a twentieth, whole checks); `false` stops the run with [`Error::Interrupted`]. The model's energies are `H(s)` of the
/// sampler's program.
pub fn anneal(
    sampler: &mut dyn Sampler,
    model: &IsingModel,
    betas: &[f32],
    check_every: u64,
    mut progress: impl FnMut(u64) -> bool,
) -> Result<Annealed> {
    let mut run = AnnealRun::new(betas, check_every, sampler.temperatures().chains())?;
    // Parts about PART long, but at most a twentieth of the run.
    let twentieth = run.total().div_ceil(20);
    let mut pace = Pace::new(PART);
    while !run.finished() {
        let start = Instant::now();
        let budget = sampler.part_sweeps(pace.sweeps())?.min(twentieth);
        let ran = run.step(sampler, budget)?;
        pace.record(ran, start.elapsed());
        if !progress(run.done()) && !run.finished() {
            return Err(Error::Interrupted {
                done: run.done(),
                total: run.total(),
                unit: "sweeps",
            });
        }
    }
    run.finish(sampler, model)
}

/// An anneal taken a part at a time, holding each read's best so far: with the sampler's
/// [`crate::SamplerState`] (which holds the kept states) it is all a checkpoint needs, since parts of
/// whole checks give the very results of one [`Sampler::anneal_sweeps`] call however they are cut.
#[derive(Clone, Debug, PartialEq)]
pub struct AnnealRun {
    betas: Vec<f32>,
    check_every: u64,
    best: BestSoFar,
}

impl AnnealRun {
    /// Nothing run yet, for `chains` reads; the errors of [`Sampler::anneal_sweeps`].
    pub fn new(betas: &[f32], check_every: u64, chains: usize) -> Result<Self> {
        Self::resume(betas, check_every, BestSoFar::new(chains))
    }

    /// A run that has reached `best` (whose `sweeps` are the sweeps done), as [`AnnealRun::best`]
    /// gave it; an error when those sweeps are past the betas or not where a part ends.
    pub fn resume(betas: &[f32], check_every: u64, best: BestSoFar) -> Result<Self> {
        check_schedule(betas, check_every, &best, best.energies.len())?;
        let (done, total) = (best.sweeps, betas.len() as u64);
        let first = (total - 1) % check_every + 1;
        if done > total
            || (done > 0 && (done < first || !(done - first).is_multiple_of(check_every)))
        {
            return Err(Error::invalid(
                "resumed anneal",
                format!(
                    "{done} sweeps done, which is not the end of a part of {total} sweeps checked \
                     every {check_every}"
                ),
            ));
        }
        Ok(AnnealRun {
            betas: betas.to_vec(),
            check_every,
            best,
        })
    }

    /// Runs at most about `budget` sweeps (whole checks, at least one; the first part takes the odd
    /// sweeps so that the checks fall as in one call) and returns how many ran (0 once finished).
    pub fn step(&mut self, sampler: &mut dyn Sampler, budget: u64) -> Result<u64> {
        let (done, total, every) = (self.done(), self.total(), self.check_every);
        let stop = match done {
            _ if done == total => return Ok(0),
            0 => (total - 1) % every + 1,
            _ => (done + (budget / every).max(1) * every).min(total),
        };
        let betas = &self.betas[done as usize..stop as usize];
        sampler.anneal_sweeps(betas, every, &mut self.best)?;
        Ok(stop - done)
    }

    /// Whether every sweep has run.
    pub fn finished(&self) -> bool {
        self.done() == self.total()
    }

    /// Sweeps run so far.
    pub fn done(&self) -> u64 {
        self.best.sweeps
    }

    /// Sweeps of the whole anneal.
    pub fn total(&self) -> u64 {
        self.betas.len() as u64
    }

    /// Each read's best energy so far and where it was found.
    pub fn best(&self) -> &BestSoFar {
        &self.best
    }

    /// The result, from the sampler's kept and current states; the model's energies are `H(s)` of
    /// the sampler's program.
    pub fn finish(self, sampler: &mut dyn Sampler, model: &IsingModel) -> Result<Annealed> {
        let states = sampler.kept_state()?;
        // `IsingModel::energy` includes beta; the kept energies are H(s), without it.
        let mut unit = model.clone();
        unit.set_beta(1.0)?;
        let energies = unit.energy(states.view())?.to_vec();
        let final_states = sampler.state()?;
        Ok(Annealed {
            energies,
            states,
            final_states,
            found_at: self.best.found_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_range_is_dwave_samplers_rule() {
        // A ring of ten +-1 bonds and one bond of 0.25 across it: node fields up to 2.25 (nodes 0
        // and 5: two unit bonds and the weak one), the cheapest costly flip 2 x 0.25 for those two.
        let mut edges: Vec<(u32, u32)> = (0..10).map(|i| (i, (i + 1) % 10)).collect();
        edges.push((0, 5));
        let mut weights: Vec<f32> = (0..10)
            .map(|i| if i % 3 == 0 { -1.0 } else { 1.0 })
            .collect();
        weights.push(0.25);
        let model = IsingModel::new(10, edges, weights, vec![0.0; 10], 1.0).unwrap();
        let BetaSchedule::Geometric { hot, cold } = BetaSchedule::default_for(&model) else {
            panic!("a geometric range");
        };
        assert!((hot - (2f32.ln() / 4.5)).abs() < 1e-6, "{hot}");
        assert!((cold - (200f32.ln() / 0.5)).abs() < 1e-5, "{cold}");
        // Without the weak bond every node's cheapest flip costs 2: k = 10.
        let ring = IsingModel::new(
            10,
            (0..10).map(|i| (i, (i + 1) % 10)).collect(),
            vec![1.0; 10],
            vec![0.0; 10],
            1.0,
        )
        .unwrap();
        let BetaSchedule::Geometric { hot, cold } = BetaSchedule::default_for(&ring) else {
            panic!("a geometric range");
        };
        assert!((hot - 2f32.ln() / 4.0).abs() < 1e-6 && (cold - 1000f32.ln() / 2.0).abs() < 1e-6);
    }
}
