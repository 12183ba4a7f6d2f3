//! Parallel tempering (replica exchange) on any backend: the chains split into a ladder of betas
//! ([`crate::Temperatures`]), and every `swap_every` sweeps neighbouring betas exchange replicas by
//! the exact Metropolis rule on their energies. Only energies are read back: accepted swaps move the
//! spins where they live ([`crate::Sampler::swap_lanes`]), so group `k` always holds beta `k`'s
//! replicas and its samples, moments and observables are beta `k`'s.

use crate::backend::{LaneSwap, Sampler};
use crate::error::{Error, Result, shown};
use crate::observe::{Observe, Observed};
use crate::program::SamplingSchedule;
use crate::rng::{Purpose, philox4x32_10, tag};

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
#[derive(Clone, Copy, PartialEq, Eq)]
enum Visited {
    Neither,
    Lowest,
    Highest,
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
    if swap_every == 0 {
        return Err(Error::invalid("swap every", "swap at most every sweep (1)"));
    }
    let temperatures = sampler.temperatures().clone();
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
    let words = per / 32;
    let key = [seed as u32, (seed >> 32) as u32];
    // Which replica (by its starting chain) sits at each (beta, slot), and where it has been.
    let mut walker: Vec<usize> = (0..levels * per).collect();
    let mut visited: Vec<Visited> = (0..levels * per)
        .map(|c| {
            if c < per {
                Visited::Lowest
            } else {
                Visited::Neither
            }
        })
        .collect();
    let mut attempted = vec![0u64; levels - 1];
    let mut accepted = vec![vec![0u64; per]; levels - 1];
    let mut round_trips = 0u64;
    let mut observed: Option<Observed> = None;
    let samples: Vec<u64> = schedule.sample_sweeps().collect();
    let (mut done, mut next_sample, mut round) = (0u64, 0usize, 0u64);
    while next_sample < samples.len() {
        let next_swap = (done / swap_every + 1) * swap_every;
        let target = samples[next_sample].min(next_swap);
        let is_sample = target == samples[next_sample];
        let is_swap = target == next_swap;
        let asked = Observe {
            energy: observe.energy || is_swap,
            ..if is_sample {
                observe.clone()
            } else {
                Observe::default()
            }
        };
        let got = sampler.run(&SamplingSchedule::new(target - done, 1, 1)?, &asked)?;
        done = target;
        let total = schedule.total_sweeps();
        if done < total && !keep_going(done, total) {
            return Err(Error::Interrupted {
                done,
                total,
                unit: "sweeps",
            });
        }
        let energies = got.energy.as_ref().map(|t| t.energies().row(0).to_vec());
        if is_sample {
            next_sample += 1;
            let mut got = got;
            if !observe.energy {
                got.energy = None;
            }
            match &mut observed {
                Some(o) => o.append(got),
                None => observed = Some(got),
            }
        }
        if !is_swap {
            continue;
        }
        let energies = energies.expect("asked for");
        let mut swaps = Vec::new();
        for k in (usize::from(round % 2 == 1)..levels - 1).step_by(2) {
            attempted[k] += 1;
            let delta = f64::from(betas[k] - betas[k + 1]);
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
                    key,
                );
                let u = (f64::from(draw[0]) + 0.5) / 4_294_967_296.0;
                if x >= 0.0 || u < x.exp() {
                    accepted[k][r] += 1;
                    lanes[r / 32] |= 1 << (r % 32);
                    walker.swap(a, b);
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
        for (slot, &w) in walker.iter().enumerate() {
            match (slot / per, visited[w]) {
                (0, Visited::Highest) => {
                    round_trips += 1;
                    visited[w] = Visited::Lowest;
                }
                (0, _) => visited[w] = Visited::Lowest,
                (k, Visited::Lowest) if k == levels - 1 => visited[w] = Visited::Highest,
                _ => {}
            }
        }
        round += 1;
    }
    Ok(Tempered {
        observed: observed.unwrap_or_default(),
        attempted,
        accepted,
        round_trips,
    })
}
