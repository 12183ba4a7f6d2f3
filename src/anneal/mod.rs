//! Simulated annealing on any backend: a beta per sweep ([`BetaSchedule`]), every chain an
//! independent read, and each read's best state kept where the spins live ([`anneal`]: only
//! energies are read back, and the kept states once at the end).

use ndarray::Array2;

use crate::backend::Sampler;
use crate::error::{Error, Result, check_finite};
use crate::model::IsingModel;
use crate::program::SamplingSchedule;

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
                    Error::invalid("schedule", format!("'{}' is not a finite number", s.trim()))
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
                        "'{text}' is none of linear:HOT:COLD, geometric:HOT:COLD and B1,B2,..."
                    ),
                ));
            }
        };
        schedule.check()?;
        Ok(schedule)
    }

    /// dwave-samplers' rule of thumb for `model`: hot enough that the costliest single flip is
    /// taken with probability 1/3 (`beta = ln 2 / max dE`), cold enough that the cheapest costly
    /// one is taken with probability 1/101 (`beta = ln 100 / min dE`), geometric between.
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
        let hot = (2f64.ln() / max_de) as f32;
        let cold = ((100f64.ln() / min_de) as f32).max(hot);
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

/// Anneals every chain of `sampler` (all at one beta) through `betas`, one per sweep, checking each
/// chain's energy after every `check_every` sweeps and after the last, and keeping each chain's
/// lowest-energy state where the spins live ([`Sampler::keep_lanes`]). `progress(done)` is called
/// after each check with the sweeps done. The model's energies are `H(s)` of the sampler's program.
pub fn anneal(
    sampler: &mut dyn Sampler,
    model: &IsingModel,
    betas: &[f32],
    check_every: u64,
    mut progress: impl FnMut(u64),
) -> Result<Annealed> {
    if betas.is_empty() {
        return Err(Error::invalid("sweeps", "anneal for at least one sweep"));
    }
    if check_every == 0 {
        return Err(Error::invalid(
            "check every",
            "check at least every sweep (1)",
        ));
    }
    let temperatures = sampler.temperatures();
    let chains = temperatures.chains_of(temperatures.betas().len() - 1).end;
    let words = chains.div_ceil(32);
    let mut best = vec![f32::INFINITY; chains];
    let mut found_at = vec![0u64; chains];
    let sweeps = betas.len() as u64;
    let mut done = 0u64;
    while done < sweeps {
        let stop = (done + check_every).min(sweeps);
        // Runs of one beta in one call; the energies come with the last sweep before the check.
        let mut k = done;
        while k < stop {
            let beta = betas[k as usize];
            let mut end = k + 1;
            while end < stop && betas[end as usize] == beta {
                end += 1;
            }
            sampler.set_betas(&[beta])?;
            if end < stop {
                sampler.sweep(end - k)?;
            } else {
                let trace = sampler.observe_energy(&SamplingSchedule::new(end - k, 1, 1)?)?;
                let mut masks = vec![0u32; words];
                for (c, &e) in trace.energies().row(0).iter().enumerate() {
                    if e < best[c] {
                        best[c] = e;
                        found_at[c] = end;
                        masks[c / 32] |= 1 << (c % 32);
                    }
                }
                if masks.iter().any(|&m| m != 0) {
                    sampler.keep_lanes(&masks)?;
                }
            }
            k = end;
        }
        done = stop;
        progress(done);
    }
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
        found_at,
    })
}
